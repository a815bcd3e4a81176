"""GPX tracks recorded offline (OsmAnd, Traccar, a GPS): each track point with a time is a
position; points without one are counted, never guessed. Parsed only with defusedxml (the
import parser's), so DTDs, entities and external references are refused."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.errors import FieldError, VigilError
from vigil.formats.import_xml import check_root, child_text, local, parse_xml
from vigil.formats.osmand import PositionReport, parse_time


@dataclass(frozen=True)
class Track:
    """The points of a GPX file's tracks that carry a time, and how many did not."""

    points: list[PositionReport]
    without_time: int


def _point(n: int, trkpt: object, errors: list[FieldError]) -> PositionReport | None:
    field = f"trkpt {n}"
    values = []
    for name in ("lat", "lon"):
        text = trkpt.get(name)  # type: ignore[attr-defined]
        try:
            values.append(float(text))
        except (TypeError, ValueError):
            errors.append(FieldError(field, f"{name} is missing or not a number"))
    when = parse_time(child_text(trkpt, "time"), field, errors)  # type: ignore[arg-type]
    ele = child_text(trkpt, "ele")  # type: ignore[arg-type]
    try:
        altitude = float(ele) if ele else None
    except ValueError:
        errors.append(FieldError(field, f"ele {ele[:20]!r} is not a number"))
        altitude = None
    if len(values) != 2 or when is None:
        return None
    return PositionReport("", when, values[0], values[1], altitude_m=altitude, source="gpx")


def parse_gpx_track(data: bytes, max_points: int) -> Track:
    """Every timed track point of every track and segment, in file order."""
    root = parse_xml(data, "GPX")
    check_root(root, "gpx", "GPX")
    trkpts = [e for e in root.iter() if local(e.tag) == "trkpt"]
    if len(trkpts) > max_points:
        raise VigilError("import_refused", f"the file holds {len(trkpts)} track points; "
                         f"at most {max_points}")  # fmt: skip
    timed = [t for t in trkpts if child_text(t, "time")]
    if not timed:
        raise VigilError("import_refused", "the file holds no track point with a <time>")
    errors: list[FieldError] = []
    points = [p for n, t in enumerate(timed, start=1) if (p := _point(n, t, errors))]
    if errors:
        detail = f"{len(errors)} point(s) unreadable; first: {errors[0].field}: {errors[0].message}"
        raise VigilError("import_refused", detail, errors)
    return Track(points, len(trkpts) - len(timed))
