"""How a filled-in ODK form (its leaf values) becomes an observation draft.

The same rules hold for the generated form and for a mission's own XLSForm, as long as it
keeps the field names below; every refusal names the form field a monitor would fix.

Bearings: `bearing_north` says whether `bearing` was read from magnetic north (a phone's or
a hand compass) or true north (a map). When it is absent (an uploaded form without it, an
older version of the generated form) the bearing is taken as magnetic, since that is what
ODK Collect's bearing widget gives. A magnetic bearing is turned to true north by the
declination at the observer's position (or the post's) at the observed time: the draft's
bearing is always true, while the submission's XML keeps the reading as taken.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Protocol

from pydantic import ValidationError

from vigil.domain.compass import (
    DEFAULT_NORTH,
    NORTHS,
    NorthCorrection,
    PostPositions,
    bearing_to_true_north,
)
from vigil.domain.observation import ObservationDraft
from vigil.errors import FieldError, VigilError

OBSERVER_KINDS = ("post", "patrol", "monitor")
LOCATION_METHODS = ("point", "bearing")
# An uploaded form needs one field of each group (the first name is reported as missing).
REQUIRED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("category",),
    ("observed_at",),
    ("observer_position", "post"),
    ("target", "bearing"),
)
# What the draft's own rules complain about, said as the form field a monitor would fix.
_DRAFT_FIELDS = {
    "observer": "observer_position",
    "location": "target",
    "bearing": "bearing",
    "distance": "distance_m",
    "client_id": "instanceID",
}


class InstanceLike(Protocol):
    """What the mapping needs of a parsed submission: its instanceID and leaf values."""

    @property
    def instance_id(self) -> str: ...

    @property
    def values(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class OdkDraft:
    """The observation a submission holds (its bearing from true north), its files as
    (form field, file name), and the turn from magnetic north when one was made."""

    draft: ObservationDraft
    files: list[tuple[str, str]]
    north: NorthCorrection | None = None


@dataclass(frozen=True)
class Geopoint:
    """An ODK geopoint: latitude, longitude and the accuracy (metres) when known."""

    lat: float
    lon: float
    accuracy_m: float | None


@dataclass
class _Reader:
    """Reads typed values out of the leaf values, collecting one error per bad field."""

    values: Mapping[str, str]
    errors: list[FieldError] = field(default_factory=list)

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def number(self, name: str, low: float, high: float, low_open: bool = False) -> float | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.fail(name, f"{raw!r} is not a number")
            return None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            self.fail(name, f"{raw} is outside {'(' if low_open else '['}{low:g}, {high:g}]")
            return None
        return value

    def geopoint(self, name: str) -> Geopoint | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return parse_geopoint(raw)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        raw = self.text(name)
        if raw and raw not in allowed:
            self.fail(name, f"{raw!r} is not one of {', '.join(allowed)}")
            return None
        return raw or None


def parse_geopoint(raw: str) -> Geopoint:
    """An ODK geopoint "lat lon [altitude [accuracy]]"; an accuracy of 0 means unknown."""
    parts = raw.split()
    if not 2 <= len(parts) <= 4:
        raise ValueError(f"{raw!r} is not a geopoint 'lat lon altitude accuracy'")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{raw!r} is not a geopoint 'lat lon altitude accuracy'") from None
    if not all(math.isfinite(n) for n in numbers):
        raise ValueError(f"{raw!r} holds a value that is not a finite number")
    lat, lon = numbers[0], numbers[1]
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {parts[0]} is outside [-90, 90]")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {parts[1]} is outside [-180, 180]")
    accuracy = numbers[3] if len(numbers) == 4 else None
    if accuracy is not None and not 0 <= accuracy <= 1_000_000:
        raise ValueError(f"accuracy {parts[3]} is outside [0, 1000000] metres")
    return Geopoint(lat, lon, accuracy if accuracy else None)


def parse_odk_datetime(raw: str) -> datetime:
    """An XForms dateTime with its UTC offset (2020-11-12T14:05:00.000+04:00 or ...Z)."""
    text = raw.strip()
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(
            f"{raw!r} is not a date and time (2020-11-12T14:05:00.000+04:00)"
        ) from None
    if when.utcoffset() is None:
        raise ValueError(f"{raw!r} has no UTC offset (e.g. +04:00): the time would be ambiguous")
    return when


def missing_fields(names: Collection[str]) -> list[str]:
    """The fields an uploaded form lacks for its submissions to become observations."""
    missing = []
    for group in REQUIRED_GROUPS:
        if not any(n in names for n in group):
            missing.append(" or ".join(group))
    return missing


def draft_from_instance(
    instance: InstanceLike, binary_fields: Collection[str], posts: PostPositions | None = None
) -> OdkDraft:
    """The observation draft a submission holds; VigilError validation_failed names fields.

    `posts` are the positions of the mission's posts by code (all of them, active or not):
    a magnetic bearing from a post whose position the form does not give is turned to true
    north at the post, and refused when the post is unknown."""
    read = _Reader(instance.values)
    body = _body(read, instance.instance_id)
    north = read.choice("bearing_north", NORTHS) or DEFAULT_NORTH
    if read.errors:
        _refuse(read.errors)
    try:
        draft = ObservationDraft.model_validate(body)
    except ValidationError as exc:
        _refuse([_form_error(e) for e in exc.errors()])
    draft, correction = bearing_to_true_north(draft, north, posts or {})
    if draft.bearing is not None and north != "true" and correction is None:
        message = f"unknown post {draft.observer.post!r}: its position is needed for the bearing"
        _refuse([FieldError("post", message)])
    files = [
        (name, value.strip())
        for name, value in instance.values.items()
        if name in binary_fields and value.strip()
    ]
    return OdkDraft(draft, files, correction)


def _refuse(errors: list[FieldError]) -> NoReturn:
    first = errors[0]
    raise VigilError("validation_failed", f"{first.field}: {first.message}", errors[:50])


def _form_error(error: Any) -> FieldError:
    """A draft rule's complaint, named by the form field it is about."""
    loc = tuple(error.get("loc", ()))
    name = _DRAFT_FIELDS.get(str(loc[0]), str(loc[0])) if loc else "location_method"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return FieldError(name, message)


def _body(read: _Reader, instance_id: str) -> dict[str, Any]:
    """The draft's fields as the observation API would receive them."""
    body: dict[str, Any] = {"client_id": instance_id, "text": read.text("text")}
    body["category"] = read.text("category")
    if not body["category"]:
        read.fail("category", "is required")
    body["observed_at"] = _when(read)
    body["observer"] = _observer(read)
    body.update(_where(read))
    weapon = read.text("weapon_class")
    if weapon:
        body["weapon_class"] = weapon
    count = read.number("count", 1, 100_000)
    if count is not None and not count.is_integer():
        read.fail("count", f"{read.text('count')} is not a whole number")
    body["count"] = int(count) if count is not None and count.is_integer() else 1
    return body


def _when(read: _Reader) -> datetime | None:
    raw = read.text("observed_at")
    if not raw:
        read.fail("observed_at", "is required")
        return None
    try:
        return parse_odk_datetime(raw)
    except ValueError as exc:
        read.fail("observed_at", str(exc))
        return None


def _observer(read: _Reader) -> dict[str, Any]:
    """Who observed: a post (by code), a patrol (by name) or a monitor, and from where."""
    post = read.text("post")
    patrol = read.text("patrol")
    kind = read.choice("observer_kind", OBSERVER_KINDS)
    kind = kind or ("post" if post else "patrol" if patrol else "monitor")
    observer: dict[str, Any] = {"kind": kind}
    if kind == "post":
        if not post:
            read.fail("post", "choose the post you observed from")
        observer["post"] = post or None
    elif kind == "patrol" and patrol:
        observer["name"] = patrol[:200]
    point = read.geopoint("observer_position")
    if point is not None:
        observer.update(lat=point.lat, lon=point.lon, error_m=point.accuracy_m)
    elif kind != "post" and "observer_position" not in {e.field for e in read.errors}:
        read.fail("observer_position", "is required unless you report from a post")
    return observer


def _where(read: _Reader) -> dict[str, Any]:
    """The target's position, or a bearing (and a distance) from the observer."""
    method = read.choice("location_method", LOCATION_METHODS)
    target = read.geopoint("target")
    bearing = read.number("bearing", 0, 360)
    distance = read.number("distance_m", 0, 200_000, low_open=True)
    method = method or ("point" if target else "bearing" if bearing is not None else None)
    bad = {e.field for e in read.errors}
    if method == "point" and target is not None:
        return {"location": {"lat": target.lat, "lon": target.lon, "error_m": target.accuracy_m}}
    if method == "bearing" and bearing is not None:
        where: dict[str, Any] = {"bearing": {"deg": 0.0 if bearing == 360 else bearing}}
        if distance is not None:
            where["distance"] = {"m": distance}
        return where
    if method == "point" and "target" not in bad:
        read.fail("target", "mark where it was, or choose a bearing instead")
    elif method == "bearing" and "bearing" not in bad:
        read.fail("bearing", "give the bearing, or mark the place instead")
    elif method is None and not bad & {"target", "bearing"}:
        read.fail("target", "mark where it was (target) or give a bearing from you (bearing)")
    return {}
