"""Pure serialisers and parsers of the formats at Vigil's edges."""
