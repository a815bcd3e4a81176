"""Zone geometries: GeoJSON in, validated with shapely, with a bounding box."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

ZONE_KINDS: tuple[str, ...] = (
    "line_of_contact",
    "boundary_line",
    "buffer_zone",
    "disengagement_area",
    "corridor",
    "withdrawal_zone",
    "area_of_responsibility",
    "no_access",
    "outline",
)
GEOMETRY_TYPES = {"Point", "LineString", "Polygon", "MultiPolygon", "MultiLineString"}


class GeometryError(ValueError):
    """A geometry that cannot be a zone, with the reason."""


def validate_geometry(geojson: Any) -> tuple[float, float, float, float]:
    """Check a GeoJSON geometry and return its bbox (minlon, minlat, maxlon, maxlat)."""
    if not isinstance(geojson, dict) or geojson.get("type") not in GEOMETRY_TYPES:
        raise GeometryError(f"geometry type must be one of {sorted(GEOMETRY_TYPES)}")
    try:
        geom = shape(geojson)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise GeometryError(f"not a GeoJSON geometry: {exc}") from exc
    except shapely.errors.ShapelyError as exc:
        raise GeometryError(f"not a GeoJSON geometry: {exc}") from exc
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    if not geom.is_valid:
        raise GeometryError(explain_validity(geom))
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeometryError("coordinates must be longitude, latitude in degrees (WGS84)")
    return float(minx), float(miny), float(maxx), float(maxy)
