"""GPX imports: each waypoint is an observation made where it was marked; tracks and routes
are counted and reported as not imported (patrol tracks arrive with patrols, issue 6)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from vigil.errors import FieldError
from vigil.formats.import_rows import COLUMNS, ParsedFile, ParsedRow, check_row_count
from vigil.formats.import_xml import VIGIL_NS, check_root, child_text, local, namespace, parse_xml

NOT_IMPORTED = {
    "trk": ("track", "not imported: patrol tracks arrive with patrols (issue 6)"),
    "rte": ("route", "not imported: a route is a plan, not an observation"),
}


def _extensions(wpt: Element) -> tuple[dict[str, str], list[FieldError]]:
    """Template fields from <extensions>: elements in Vigil's namespace, e.g. vigil:category."""
    fields: dict[str, str] = {}
    errors: list[FieldError] = []
    for ext in (c for c in wpt if local(c.tag) == "extensions"):
        for element in ext:
            if namespace(element.tag) != VIGIL_NS:
                continue  # other programs' extensions (Garmin, OsmAnd) are not ours to read
            name = local(element.tag)
            if name in ("lat", "lon"):
                errors.append(FieldError(name, "the waypoint's own lat and lon are the location"))
            elif name not in COLUMNS:
                errors.append(FieldError(name, "unknown field; see the CSV template's columns"))
            else:
                fields[name] = "".join(element.itertext()).strip()
    return fields, errors


def _text(wpt: Element) -> str:
    """name, desc and cmt joined: what the person marking the waypoint wrote."""
    parts = [child_text(wpt, n) for n in ("name", "desc", "cmt")]
    return " — ".join(p for p in parts if p)


def _waypoint(n: int, wpt: Element) -> ParsedRow:
    label = f"waypoint {n}"
    fields: dict[str, str] = {}
    errors: list[FieldError] = []
    for name in ("lat", "lon"):
        value = wpt.get(name)
        if value is None:
            errors.append(FieldError(name, f"the waypoint has no {name} attribute"))
        else:
            fields[name] = value.strip()
    for name, value in (
        ("observed_at", child_text(wpt, "time")),
        ("category", child_text(wpt, "type")),
        ("text", _text(wpt)),
    ):
        if value:
            fields[name] = value
    extra, bad = _extensions(wpt)
    return ParsedRow(label, {**fields, **extra}, errors + bad, observer_here=True)


def parse_gpx(data: bytes, max_rows: int) -> ParsedFile:
    """Waypoints as rows (numbered from 1), tracks and routes as reported skips."""
    root = parse_xml(data, "GPX")
    check_root(root, "gpx", "GPX")
    waypoints = [c for c in root if local(c.tag) == "wpt"]
    check_row_count(len(waypoints), max_rows, "waypoints")
    rows = [_waypoint(i, w) for i, w in enumerate(waypoints, start=1)]
    skipped = []
    for tag, (what, why) in NOT_IMPORTED.items():
        found = [c for c in root if local(c.tag) == tag]
        for i, element in enumerate(found, start=1):
            name = child_text(element, "name")
            skipped.append((f"{what} {i}" + (f" ({name[:60]})" if name else ""), why))
    return ParsedFile("gpx", rows, skipped)
