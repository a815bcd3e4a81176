"""Restrictions of the mission's freedom of movement: what they are, what a valid one looks
like, which zone they are counted in, and how they are counted.

A restriction is a finding in its own right (the mission was stopped, not a party's act
inferred from it): who restricted it is only what the people at the checkpoint stated, and
"not stated" is counted as such, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely
from pydantic import AwareDatetime, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from vigil.domain.audit_chain import digest
from vigil.domain.geodesy import distance_m
from vigil.domain.geometry import GeometryError, validate_geometry
from vigil.domain.observation import Latitude, Longitude, Strict
from vigil.errors import FieldError, VigilError

KINDS: dict[str, str] = {
    "denied": "Access denied",
    "delayed": "Delayed",
    "conditional_access": "Access on conditions",
    "threat": "Threatened",
    "mines": "Mines (suspected or found)",
    "drone_jamming": "Drone jammed",
}
MAX_VERTICES = 2000  # a no-access area drawn by hand; more is a mistake or an attack
EARLIEST_YEAR = 1990  # earlier is a typo, and too early to convert safely
NEAR_M = 10_000.0  # an area must contain the point or lie this close to it
AREA_TYPES = ("Polygon", "MultiPolygon")
# Zones a restriction is counted in, most specific first; lines and outlines are not areas.
ZONE_PRECEDENCE: tuple[str, ...] = (
    "corridor",
    "withdrawal_zone",
    "buffer_zone",
    "disengagement_area",
    "no_access",
    "area_of_responsibility",
)
OUTSIDE = "outside any zone"
NOT_STATED = "not stated"


def kind_label(kind: str) -> str:
    """A kind in words (the code itself when unknown)."""
    return KINDS.get(kind, kind.replace("_", " "))


def check_area(area: Any, lat: float | None, lon: float | None) -> None:
    """Refuse an area that is not a valid, bounded polygon at or near the point (the point is
    skipped when it is itself invalid: that has its own error)."""
    if not isinstance(area, dict) or area.get("type") not in AREA_TYPES:
        raise GeometryError("the area must be a GeoJSON Polygon or MultiPolygon")
    validate_geometry(area)
    geom = shape(area)
    vertices = int(shapely.get_num_coordinates(geom))
    if vertices > MAX_VERTICES:
        raise GeometryError(f"the area has {vertices} vertices; at most {MAX_VERTICES}")
    if lat is None or lon is None:
        return
    point = Point(lon, lat)
    if geom.covers(point):
        return
    near = nearest_points(geom, point)[0]
    gap = distance_m(lat, lon, near.y, near.x)
    if gap > NEAR_M:
        raise GeometryError(
            f"the area lies {gap / 1000:.1f} km from the point; it must contain it or lie "
            f"within {NEAR_M / 1000:.0f} km"
        )


class RestrictionDraft(Strict):
    """A restriction as reported, before it is stored: the same checks for every channel."""

    client_id: str = Field(min_length=1, max_length=128, description="Unique per report.")
    kind: str = Field(description=", ".join(KINDS))
    occurred_at: AwareDatetime
    ended_at: AwareDatetime | None = Field(None, description="When it ended, if it has.")
    lat: Latitude
    lon: Longitude
    place: str = Field("", max_length=200, description="The place as the patrol named it.")
    patrol: str = Field("", max_length=100, description="Which patrol (its name).")
    stated_party: str | None = Field(
        None, max_length=16, description="Party code, only as stated at the checkpoint."
    )
    stated_by: str = Field("", max_length=2000, description="Who said so, in their words.")
    description: str = Field("", max_length=10_000)
    area: dict[str, Any] | None = Field(
        None, description="A GeoJSON Polygon/MultiPolygon closed to the mission."
    )

    @field_validator("place", "patrol", "stated_by", "description")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give a client id")
        return value.strip()

    @field_validator("stated_party")
    @classmethod
    def _party(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        if value.year < EARLIEST_YEAR:
            raise ValueError(f"not a plausible time: before {EARLIEST_YEAR}")
        return value

    @field_validator("ended_at")
    @classmethod
    def _after(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("occurred_at")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after occurred_at")
        return value

    @field_validator("area")
    @classmethod
    def _area(cls, value: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any] | None:
        if value is None:
            return None
        lat, lon = info.data.get("lat"), info.data.get("lon")
        try:
            check_area(value, lat, lon)
        except GeometryError as exc:
            raise PydanticCustomError(
                "invalid_geometry", "invalid area: {reason}", {"reason": str(exc)}
            ) from exc
        return value

    def fingerprint(self) -> str:
        """SHA-256 of the reported content: a retry has the same one."""
        return digest(self.model_dump(mode="json"))


def time_errors(
    occurred_at: datetime, ended_at: datetime | None, now: datetime, skew_s: int
) -> list[FieldError]:
    """Times further ahead than clock skew explains."""
    limit = now + timedelta(seconds=skew_s)
    errors = []
    if occurred_at > limit:
        errors.append(FieldError("occurred_at", "lies in the future"))
    if ended_at is not None and ended_at > limit:
        errors.append(FieldError("ended_at", "lies in the future; end it when it has ended"))
    return errors


def end_errors(
    occurred_at: datetime, ended_at: datetime, now: datetime, skew_s: int
) -> list[FieldError]:
    """Why a restriction cannot end at `ended_at` (none when it can)."""
    if ended_at.tzinfo is None:
        return [FieldError("ended_at", "give a time zone, e.g. 2020-11-12T10:00:00Z")]
    if ended_at <= occurred_at:
        return [FieldError("ended_at", "must be after occurred_at")]
    return time_errors(occurred_at, ended_at, now, skew_s)


def duration_s(occurred_at: datetime, ended_at: datetime | None) -> float | None:
    """How long it lasted, in seconds (None while open)."""
    return None if ended_at is None else (ended_at - occurred_at).total_seconds()


def is_active(
    occurred_at: datetime, ended_at: datetime | None, start: datetime, end: datetime
) -> bool:
    """True when the restriction was in force at some time in [start, end)."""
    return occurred_at < end and (ended_at is None or ended_at > start)


@dataclass(frozen=True)
class ZoneShape:
    """A zone as the counting sees it."""

    code: str
    kind: str
    geometry: dict[str, Any]


def zone_for(lat: float, lon: float, zones: Iterable[ZoneShape]) -> str | None:
    """The most specific zone containing the point (by kind, then the smallest), or None."""
    point = Point(lon, lat)
    best: tuple[int, float, str] | None = None
    for z in zones:
        if z.kind not in ZONE_PRECEDENCE or z.geometry.get("type") not in AREA_TYPES:
            continue
        geom = shape(z.geometry)
        if not geom.covers(point):
            continue
        rank = (ZONE_PRECEDENCE.index(z.kind), float(geom.area), z.code)
        if best is None or rank < best:
            best = rank
    return best[2] if best else None


@dataclass(frozen=True)
class Fact:
    """One stored restriction, reduced to what counting needs."""

    kind: str
    occurred_at: datetime
    ended_at: datetime | None
    zone_code: str | None
    party_code: str | None


@dataclass
class Tally:
    """Restrictions in one group: how many, how many still open, how long the ended ones lasted."""

    count: int = 0
    open: int = 0
    duration_s: float = 0.0

    def add(self, fact: Fact) -> None:
        """Count one restriction."""
        self.count += 1
        lasted = duration_s(fact.occurred_at, fact.ended_at)
        if lasted is None:
            self.open += 1
        else:
            self.duration_s += lasted


@dataclass
class Counts:
    """Restrictions that occurred in a period, per area, per stated party and per kind."""

    total: Tally = field(default_factory=Tally)
    by_area: dict[str, Tally] = field(default_factory=dict)
    by_party: dict[str, Tally] = field(default_factory=dict)
    by_kind: dict[str, Tally] = field(default_factory=dict)


def count(facts: Sequence[Fact]) -> Counts:
    """Count restrictions: the zone stored with each, the party only as stated."""
    areas: dict[str, Tally] = defaultdict(Tally)
    parties: dict[str, Tally] = defaultdict(Tally)
    kinds: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    for f in facts:
        total.add(f)
        areas[f.zone_code or OUTSIDE].add(f)
        parties[f.party_code or NOT_STATED].add(f)
        kinds[f.kind].add(f)
    return Counts(total, _sorted(areas), _sorted(parties), _sorted(kinds))


def _sorted(groups: dict[str, Tally]) -> dict[str, Tally]:
    """Most frequent first, then by name."""
    return dict(sorted(groups.items(), key=lambda kv: (-kv[1].count, kv[0])))


def parse_draft(body: dict[str, Any]) -> RestrictionDraft:
    """A draft from a plain dict (the CLI, the page), its problems as one VigilError."""
    try:
        return RestrictionDraft.model_validate(body)
    except ValidationError as exc:
        errors = [
            FieldError(
                ".".join(str(p) for p in e.get("loc", ())) or "body",
                str(e.get("msg", "is not valid")).removeprefix("Value error, "),
            )
            for e in exc.errors()[:50]
        ]
        geometry = all(e.get("type") == "invalid_geometry" for e in exc.errors())
        code = "invalid_geometry" if geometry else "validation_failed"
        raise VigilError(code, f"{errors[0].field}: {errors[0].message}", errors) from exc


def duration_text(seconds: float | None) -> str:
    """A duration for people: 3 d 4 h, 2 h 15 min, 40 min; "open" while it lasts."""
    if seconds is None:
        return "open"
    minutes = int(round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"
