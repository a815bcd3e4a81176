"""Vigil: the information system of a civilian ceasefire monitoring mission."""
