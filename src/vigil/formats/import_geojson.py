"""GeoJSON imports: a FeatureCollection whose Point geometry is where the thing observed was,
and whose properties carry the CSV template's fields by the same names."""

from __future__ import annotations

import math
from typing import Any

import orjson

from vigil.errors import FieldError
from vigil.formats.import_rows import (
    ParsedFile,
    ParsedRow,
    check_row_count,
    decode_utf8,
    refuse,
    unknown_names,
)


def _collection(data: bytes) -> list[Any]:
    """The features of a FeatureCollection, or a refusal saying what the file is instead."""
    try:
        doc = orjson.loads(decode_utf8(data, "GeoJSON file"))
    except orjson.JSONDecodeError as exc:
        raise refuse(f"the GeoJSON file is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise refuse(f"the GeoJSON file must be a FeatureCollection, not {kind!r}")
    features = doc.get("features")
    if not isinstance(features, list):
        raise refuse("the FeatureCollection has no 'features' list")
    return features


def _point(geometry: Any) -> tuple[dict[str, Any], list[FieldError]]:
    """lat and lon of a Point geometry (none for a null geometry: a bearing may locate it)."""
    if geometry is None:
        return {}, []
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        return {}, [FieldError("geometry", f"must be a Point (where it was seen), not {kind!r}")]
    coords = geometry.get("coordinates")
    numbers = isinstance(coords, list) and 2 <= len(coords) <= 3
    if not numbers or not all(_is_number(c) for c in coords):
        return {}, [FieldError("geometry", "coordinates must be [lon, lat] or [lon, lat, alt]")]
    return {"lon": coords[0], "lat": coords[1]}, []


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _properties(props: Any) -> tuple[dict[str, Any], list[FieldError]]:
    """Template fields from properties: scalars only, known names only, no lat/lon."""
    if props is None:
        return {}, []
    if not isinstance(props, dict):
        return {}, [FieldError("properties", "must be an object")]
    errors = unknown_names(props)
    errors += [
        FieldError(k, "give the location as the Point geometry, not as a property")
        for k in ("lat", "lon")
        if k in props
    ]
    errors += [
        FieldError(k, "must be a text or a number")
        for k, v in props.items()
        if v is not None and (isinstance(v, bool | dict | list))
    ]
    fields = {k: v for k, v in props.items() if v is not None and v != ""}
    return fields, errors


def _feature(n: int, feature: Any) -> ParsedRow:
    label = f"feature {n}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return ParsedRow(label, {}, [FieldError("", "not a GeoJSON Feature")])
    fields, errors = _properties(feature.get("properties"))
    where, bad_geometry = _point(feature.get("geometry"))
    return ParsedRow(label, {**fields, **where}, errors + bad_geometry)


def parse_geojson(data: bytes, max_rows: int) -> ParsedFile:
    """One row per feature, numbered from 1 in the file's order."""
    features = _collection(data)
    check_row_count(len(features), max_rows, "features")
    return ParsedFile("geojson", [_feature(i, f) for i, f in enumerate(features, start=1)])
