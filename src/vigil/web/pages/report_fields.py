"""The report form's fields as the browser sends them, turned into an ObservationDraft (the
API's own input type, so the same rules apply), and each error put back next to its field."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from pydantic import BaseModel, ValidationError

from vigil.domain.compass import DEFAULT_NORTH, NORTHS
from vigil.domain.observation import ObservationDraft
from vigil.errors import FieldError

OBSERVER_KINDS = {"monitor": "Monitor on foot or in a car", "patrol": "Patrol", "post": "Post"}
OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
GENERAL = "form"  # errors that belong to no one field
MAX_UNCERTAINTY_MIN = 7 * 24 * 60


class ReportForm(BaseModel):
    """Every field of the form, as text: a page never answers with a type error, it says
    which field is wrong."""

    csrf_token: str = ""
    client_id: str = ""
    category: str = ""
    observed_at: str = ""
    tz_offset: str = ""  # the browser's UTC offset at that time, e.g. +04:00
    time_uncertainty_min: str = ""
    observer_kind: str = "monitor"
    post: str = ""
    observer_name: str = ""
    observer_lat: str = ""
    observer_lon: str = ""
    observer_error_m: str = ""
    where: str = "point"  # point, or bearing (and distance) from the observer
    target_lat: str = ""
    target_lon: str = ""
    target_error_m: str = ""
    bearing_deg: str = ""
    bearing_error_deg: str = ""
    bearing_north: str = DEFAULT_NORTH  # magnetic (a compass) or true (a map)
    distance_m: str = ""
    distance_error_m: str = ""
    count: str = "1"
    weapon_class: str = ""
    text: str = ""


# How the error summary names each field (as its label on the form says).
LABELS = {
    "category": "Category",
    "count": "How many",
    "weapon_class": "Weapon",
    "observed_at": "Date and time",
    "time_uncertainty_min": "± minutes",
    "observer_kind": "Observer",
    "post": "Post",
    "observer_name": "Patrol or observer name",
    "observer_lat": "Your latitude",
    "observer_lon": "Your longitude",
    "observer_error_m": "Your position ± metres",
    "target_lat": "Latitude",
    "target_lon": "Longitude",
    "target_error_m": "Place ± metres",
    "bearing_deg": "Bearing",
    "bearing_error_deg": "Bearing ± °",
    "bearing_north": "Bearing from",
    "distance_m": "Distance",
    "distance_error_m": "Distance ± metres",
    "text": "What happened",
    "photos": "Files",
}

# Where each part of a draft is entered on the form.
FIELDS: dict[tuple[str, ...], str] = {
    ("client_id",): "client_id",
    ("observed_at",): "observed_at",
    ("time_uncertainty_s",): "time_uncertainty_min",
    ("observer", "kind"): "observer_kind",
    ("observer", "post"): "post",
    ("observer", "name"): "observer_name",
    ("observer", "lat"): "observer_lat",
    ("observer", "lon"): "observer_lon",
    ("observer", "error_m"): "observer_error_m",
    ("category",): "category",
    ("weapon_class",): "weapon_class",
    ("count",): "count",
    ("location",): "target_lat",
    ("location", "lat"): "target_lat",
    ("location", "lon"): "target_lon",
    ("location", "error_m"): "target_error_m",
    ("bearing",): "bearing_deg",
    ("bearing", "deg"): "bearing_deg",
    ("bearing", "error_deg"): "bearing_error_deg",
    ("distance",): "distance_m",
    ("distance", "m"): "distance_m",
    ("distance", "error_m"): "distance_error_m",
    ("text",): "text",
}


def _value(raw: str) -> str | None:
    """A typed value, or None for a blank field; a decimal comma reads as a point."""
    text = raw.strip()
    return text.replace(",", ".") if text else None


def _part(**values: str | None) -> dict[str, str] | None:
    """A nested object of the draft from the fields that were filled, or None if none was."""
    filled = {k: v for k, v in values.items() if v is not None}
    return filled or None


def _zone(offset: str, fallback: tzinfo) -> tzinfo:
    """The browser's UTC offset when it sent one, else the mission's time zone."""
    found = OFFSET.match(offset.strip())
    if not found:
        return fallback
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta) if delta < timedelta(hours=15) else fallback


def observed_at(form: ReportForm, fallback: tzinfo) -> str:
    """The time as an aware ISO string: a local time gets the browser's offset."""
    raw = form.observed_at.strip()
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # the draft says what is wrong with it
    if when.tzinfo is None:
        when = when.replace(tzinfo=_zone(form.tz_offset, fallback))
    return when.isoformat()


def _observer(form: ReportForm) -> dict[str, Any]:
    kind = form.observer_kind.strip() or "monitor"
    part: dict[str, Any] = {"kind": kind}
    if kind == "post":
        part["post"] = form.post.strip()
    part |= (
        _part(
            name=form.observer_name.strip() or None,
            lat=_value(form.observer_lat),
            lon=_value(form.observer_lon),
            error_m=_value(form.observer_error_m),
        )
        or {}
    )
    return part


def _uncertainty_s(form: ReportForm) -> tuple[float | None, FieldError | None]:
    """Minutes on the form, seconds in the draft."""
    raw = _value(form.time_uncertainty_min)
    if raw is None:
        return None, None
    try:
        minutes = float(raw)
    except ValueError:
        return None, FieldError("time_uncertainty_min", "give a number of minutes")
    if not 0 <= minutes <= MAX_UNCERTAINTY_MIN:
        return None, FieldError("time_uncertainty_min", "give 0 to 10080 minutes (7 days)")
    return minutes * 60, None


def draft_body(form: ReportForm, fallback: tzinfo) -> dict[str, Any]:
    """The draft as the API would receive it, from the fields the monitor filled."""
    body: dict[str, Any] = {
        "client_id": form.client_id.strip(),
        "observed_at": observed_at(form, fallback),
        "observer": _observer(form),
        "category": form.category.strip(),
        "text": form.text.strip(),
    }
    if form.where == "bearing":
        body["bearing"] = _part(
            deg=_value(form.bearing_deg), error_deg=_value(form.bearing_error_deg)
        )
        body["distance"] = _part(m=_value(form.distance_m), error_m=_value(form.distance_error_m))
    else:
        body["location"] = _part(
            lat=_value(form.target_lat),
            lon=_value(form.target_lon),
            error_m=_value(form.target_error_m),
        )
    optional = {"count": _value(form.count), "weapon_class": _value(form.weapon_class)}
    return body | {k: v for k, v in optional.items() if v is not None}


def north_of(form: ReportForm) -> str:
    """Which north the bearing is from; the service turns a magnetic one to true north."""
    return form.bearing_north.strip() or DEFAULT_NORTH


def _north_problem(form: ReportForm) -> FieldError | None:
    if form.where != "bearing" or north_of(form) in NORTHS:
        return None
    return FieldError("bearing_north", "choose magnetic north (a compass) or true north (a map)")


def to_draft(form: ReportForm, fallback: tzinfo) -> ObservationDraft | list[FieldError]:
    """The draft, or what is wrong with the form, each message named by its form field.
    Its bearing is still from the form's north (see north_of)."""
    body = draft_body(form, fallback)
    seconds, problem = _uncertainty_s(form)
    if seconds is not None:
        body["time_uncertainty_s"] = seconds
    problems = [p for p in (problem, _north_problem(form)) if p is not None]
    try:
        draft = ObservationDraft.model_validate(body)
    except ValidationError as e:
        return problems + [_from_pydantic(form, err) for err in e.errors()]
    return problems or draft


def _from_pydantic(form: ReportForm, err: Any) -> FieldError:
    """One pydantic complaint, on the form field it is about, in words."""
    loc = tuple(str(part) for part in err.get("loc", ()))
    message = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
    field = field_of(form, loc)
    if err.get("type") == "missing" or not getattr(form, field, "x").strip():
        message = "fill this in" if err.get("type") != "value_error" else message
    return FieldError(field, message)


def field_of(form: ReportForm, loc: tuple[str, ...]) -> str:
    """The form field a draft location (tuple, or a dotted name) is entered in."""
    if loc in FIELDS:
        return FIELDS[loc]
    if loc == ("observer",):
        return "post" if form.observer_kind == "post" and not form.post.strip() else "observer_lat"
    if loc == ():
        return "bearing_deg" if form.where == "bearing" else "target_lat"
    return GENERAL


def by_field(form: ReportForm, errors: list[FieldError]) -> dict[str, list[str]]:
    """Messages grouped by the form field they are shown beside, in the form's order
    (service errors name draft paths such as observer.post)."""
    grouped: dict[str, list[str]] = {}
    for e in errors:
        known = hasattr(form, e.field) or e.field in (GENERAL, "photos")
        field = e.field if known else field_of(form, tuple(e.field.split(".")) if e.field else ())
        grouped.setdefault(field, [])
        if e.message not in grouped[field]:
            grouped[field].append(e.message)
    order = {name: i for i, name in enumerate(LABELS)}
    return dict(sorted(grouped.items(), key=lambda item: order.get(item[0], -1)))
