"""Zone geometry validation with shapely."""

from __future__ import annotations

import pytest

from vigil.domain.geometry import GeometryError, validate_geometry

BOWTIE = {"type": "Polygon", "coordinates": [[[46, 39], [47, 40], [47, 39], [46, 40], [46, 39]]]}


def test_valid_polygon_gives_bbox() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[46, 39], [47, 39], [47, 40], [46, 40], [46, 39]]],
    }
    assert validate_geometry(square) == (46, 39, 47, 40)


@pytest.mark.parametrize(
    "geometry, reason",
    [
        (BOWTIE, "Self-intersection"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({"type": "Circle", "coordinates": [1, 2]}, "geometry type"),
        ({"type": "Point", "coordinates": [200, 95]}, "longitude, latitude"),
        ({"type": "LineString", "coordinates": [[1]]}, "GeoJSON"),
        ("not a dict", "geometry type"),
    ],
)
def test_invalid_geometry_says_why(geometry: object, reason: str) -> None:
    with pytest.raises(GeometryError, match=reason):
        validate_geometry(geometry)
