"""Zone and place files: GeoJSON and CSV parsed into drafts, every refusal with its row."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from vigil.domain.geography import PlaceDraft, PostDraft, ZoneDraft
from vigil.errors import FieldError, VigilError

T = TypeVar("T", bound=BaseModel)
PLACE_COLUMNS = ("code", "kind", "lat", "lon")


def _refuse(what: str, errors: list[FieldError]) -> VigilError:
    first = errors[0]
    return VigilError(
        "import_refused",
        f"{what} refused, nothing imported: {first.field}: {first.message}",
        errors[:100],
    )


def _drafts(items: list[tuple[str, Any]], model: type[T], what: str) -> list[T]:
    """Validate every item; refuse the whole file if any is wrong, listing each problem."""
    drafts, errors = [], []
    for where, item in items:
        try:
            drafts.append(model.model_validate(item))
        except ValidationError as exc:
            for e in exc.errors():
                loc = ".".join(str(p) for p in e["loc"])
                errors.append(FieldError(f"{where}.{loc}" if loc else where, e["msg"]))
    if errors:
        raise _refuse(what, errors)
    return drafts


def _features(raw: bytes, what: str) -> list[dict[str, Any]]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise VigilError("import_refused", f"{what} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise VigilError("import_refused", f"{what} must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise VigilError("import_refused", f"{what} has no features")
    bad = [i for i, f in enumerate(features) if not isinstance(f, dict)]
    if bad:
        raise _refuse(what, [FieldError(f"feature {i + 1}", "not an object") for i in bad])
    return features


def _props(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature.get("properties")
    return dict(props) if isinstance(props, dict) else {}


def parse_zones(raw: bytes) -> list[ZoneDraft]:
    """Zones from a FeatureCollection: properties code, kind, names (or name), description."""
    items = []
    for i, feature in enumerate(_features(raw, "zone file")):
        props = _props(feature)
        names = props.get("names") or ({"en": props["name"]} if props.get("name") else {})
        item = {
            "code": props.get("code"),
            "kind": props.get("kind"),
            "names": names,
            "description": props.get("description") or "",
            "geometry": feature.get("geometry"),
        }
        items.append((f"feature {i + 1}", item))
    return _drafts(items, ZoneDraft, "zone file")


def _place_from_columns(row: dict[str, str]) -> dict[str, Any]:
    names = {k[5:]: v for k, v in row.items() if k and k.startswith("name_") and v}
    aliases = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
    return {
        "code": row.get("code"),
        "kind": row.get("kind") or "settlement",
        "names": names,
        "aliases": aliases,
        "lat": row.get("lat"),
        "lon": row.get("lon"),
    }


def parse_places_csv(raw: bytes) -> list[PlaceDraft]:
    """Places from CSV: code,kind,lat,lon, a name_<lang> column per language, aliases (a|b)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VigilError("import_refused", "the CSV file is not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in PLACE_COLUMNS if c not in header]
    if not any(h.startswith("name_") for h in header):
        missing.append("name_<lang>")
    if missing:
        raise _refuse(
            "place file", [FieldError("header", f"missing column {c!r}") for c in missing]
        )
    try:
        items = [(f"row {n}", _place_from_columns(r)) for n, r in enumerate(reader, start=2)]
    except csv.Error as exc:
        raise VigilError("import_refused", f"the CSV file is malformed: {exc}") from exc
    if not items:
        raise VigilError("import_refused", "the place file has no rows")
    return _drafts(items, PlaceDraft, "place file")


def parse_places_geojson(raw: bytes) -> list[PlaceDraft]:
    """Places from a FeatureCollection of Points: properties code, kind, names, aliases."""
    items = []
    for i, feature in enumerate(_features(raw, "place file")):
        props, geom = _props(feature), feature.get("geometry") or {}
        coords = geom.get("coordinates") if geom.get("type") == "Point" else None
        lon, lat = (
            (coords[0], coords[1])
            if isinstance(coords, list) and len(coords) >= 2
            else (None, None)
        )
        items.append(
            (
                f"feature {i + 1}",
                {
                    "code": props.get("code"),
                    "kind": props.get("kind") or "settlement",
                    "names": props.get("names") or {},
                    "aliases": props.get("aliases") or [],
                    "lat": lat,
                    "lon": lon,
                },
            )
        )
    return _drafts(items, PlaceDraft, "place file")


PLACE_PARSERS: dict[str, Callable[[bytes], list[PlaceDraft]]] = {
    ".csv": parse_places_csv,
    ".geojson": parse_places_geojson,
    ".json": parse_places_geojson,
}


POST_COLUMNS = ("code", "name", "kind", "lat", "lon")


def parse_posts_csv(raw: bytes) -> list[PostDraft]:
    """Posts from CSV: code,name,kind,lat,lon[,elevation_m,view_from_deg,view_to_deg,range_m]."""
    try:
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
        header = reader.fieldnames or []
        missing = [c for c in POST_COLUMNS if c not in header]
        if missing:
            raise _refuse(
                "post file", [FieldError("header", f"missing column {c!r}") for c in missing]
            )
        items = [
            (f"row {n}", {k: (v if v != "" else None) for k, v in r.items() if k})
            for n, r in enumerate(reader, start=2)
        ]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise VigilError("import_refused", f"the post file is not a UTF-8 CSV file: {exc}") from exc
    return _drafts(items, PostDraft, "post file")
