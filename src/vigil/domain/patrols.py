"""Patrols: what a valid plan is, the states a patrol goes through, and when two patrols
clash over a vehicle or a person.

A patrol is planned, sets out (under way), and comes back (completed) or turns back
(aborted, always with a reason). The safety scheduler marks one overdue when it is past its
planned end; an overdue patrol can still come back or be aborted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator

from vigil.domain.geometry import GeometryError, validate_geometry
from vigil.domain.observation import Strict
from vigil.errors import FieldError, VigilError

STATUSES: dict[str, str] = {
    "planned": "Planned",
    "under_way": "Under way",
    "overdue": "Overdue",
    "completed": "Completed",
    "aborted": "Aborted",
}
ENDED = frozenset({"completed", "aborted"})  # no longer holds its vehicles or people
ACTIVE = frozenset({"under_way", "overdue"})  # out on the ground
# (from, action) -> to. Everything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("planned", "start"): "under_way",
    ("planned", "abort"): "aborted",
    ("under_way", "complete"): "completed",
    ("under_way", "abort"): "aborted",
    ("under_way", "overdue"): "overdue",
    ("overdue", "complete"): "completed",
    ("overdue", "abort"): "aborted",
}
REASON_REQUIRED = frozenset({"abort"})
MEMBER_ROLES: dict[str, str] = {
    "leader": "Leader",
    "member": "Member",
    "driver": "Driver",
    "interpreter": "Interpreter",
    "medic": "Medic",
}
ROUTE_TYPES = ("LineString", "MultiPoint")
MIN_VERTICES, MAX_VERTICES = 2, 2000
MAX_DURATION = timedelta(hours=48)
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 86400
EARLIEST_YEAR = 1990


def status_label(status: str) -> str:
    """A status in words."""
    return STATUSES.get(status, status.replace("_", " "))


def next_status(status: str, action: str, reason: str = "") -> str:
    """The status an action leads to, or a 409 naming what is allowed from here."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        allowed = sorted(a for s, a in TRANSITIONS if s == status) or ["nothing"]
        raise VigilError(
            "state_conflict",
            f"a patrol that is {status_label(status).lower()} cannot {action}; "
            f"allowed: {', '.join(allowed)}",
        )
    if action in REASON_REQUIRED and not reason.strip():
        raise VigilError(
            "validation_failed",
            "reason: give the reason",
            [FieldError("reason", "give the reason")],
        )
    return target


def check_route(route: Any) -> None:
    """Refuse a route that is not a LineString or MultiPoint of 2..2000 lon/lat vertices."""
    if not isinstance(route, dict) or route.get("type") not in ROUTE_TYPES:
        raise GeometryError("the route must be a GeoJSON LineString or MultiPoint")
    coords = route.get("coordinates")
    if not isinstance(coords, list) or not MIN_VERTICES <= len(coords) <= MAX_VERTICES:
        count = len(coords) if isinstance(coords, list) else 0
        raise GeometryError(
            f"the route has {count} vertices; give {MIN_VERTICES} to {MAX_VERTICES}"
        )
    # The waypoints joined in order are checked as a line: the same rules for both.
    validate_geometry({"type": "LineString", "coordinates": coords})


def waypoints_route(text: str) -> dict[str, Any]:
    """A MultiPoint from lines of "lat lon" (or "lat, lon"), as people copy them from maps."""
    points = []
    for n, line in enumerate(text.strip().splitlines(), start=1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError as exc:
            raise GeometryError(f"line {n}: give latitude and longitude, e.g. 39.81 46.75") from exc
        points.append([lon, lat])
    return {"type": "MultiPoint", "coordinates": points}


class MemberIn(Strict):
    """One person on the plan, by username, and what they are on the patrol."""

    user: str = Field(min_length=1, max_length=64, description="The member's username.")
    role: str = Field(description=", ".join(MEMBER_ROLES))

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in MEMBER_ROLES:
            raise ValueError(f"role must be one of {', '.join(MEMBER_ROLES)}")
        return value


class PatrolPlan(Strict):
    """A patrol as planned: the same checks for the API, the CLI, the page and the demo."""

    code: str = Field(min_length=1, max_length=64, description="Unique, e.g. PTL-05-20201128.")
    name: str = Field("", max_length=200, description="Its standing name, e.g. PTL-05.")
    route: dict[str, Any] = Field(description="GeoJSON LineString, or MultiPoint of waypoints.")
    planned_start: AwareDatetime
    planned_end: AwareDatetime
    check_in_interval_s: int = Field(ge=MIN_INTERVAL_S, le=MAX_INTERVAL_S)
    notified: list[str] = Field(
        default_factory=list, max_length=20, description="Party codes told in advance."
    )
    members: list[MemberIn] = Field(min_length=1, max_length=30)
    vehicles: list[str] = Field(default_factory=list, max_length=20, description="Vehicle codes.")
    notes: str = Field("", max_length=10_000)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        value = value.strip()
        if not value or not value.isprintable():
            raise ValueError("give a code of printable characters")
        return value

    @field_validator("name", "notes")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()

    @field_validator("route")
    @classmethod
    def _route(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            check_route(value)
        except GeometryError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("planned_start")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        if value.year < EARLIEST_YEAR:
            raise ValueError(f"not a plausible time: before {EARLIEST_YEAR}")
        return value

    @field_validator("notified", "vehicles")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = [c.strip() for c in value]
        if any(not c or len(c) > 64 for c in codes):
            raise ValueError("each code must have 1 to 64 characters")
        if len(set(codes)) != len(codes):
            raise ValueError("a code is given twice")
        return codes

    @model_validator(mode="after")
    def _whole(self) -> PatrolPlan:
        if self.planned_end <= self.planned_start:
            raise ValueError("planned_end must be after planned_start")
        if self.planned_end - self.planned_start > MAX_DURATION:
            raise ValueError("a patrol lasts at most 48 hours")
        users = [m.user for m in self.members]
        if len(set(users)) != len(users):
            raise ValueError("members: a person is listed twice")
        leaders = sum(1 for m in self.members if m.role == "leader")
        if leaders != 1:
            raise ValueError(f"members: give exactly one leader, not {leaders}")
        return self


def parse_plan(body: Any) -> PatrolPlan:
    """A plan from a plain dict (the CLI, the page, the demo), its problems as one VigilError."""
    try:
        return PatrolPlan.model_validate(body)
    except ValidationError as exc:
        errors = [
            FieldError(
                ".".join(str(p) for p in e.get("loc", ())) or _field_of(str(e.get("msg", ""))),
                str(e.get("msg", "is not valid")).removeprefix("Value error, "),
            )
            for e in exc.errors()[:50]
        ]
        raise VigilError(
            "validation_failed", f"{errors[0].field}: {errors[0].message}", errors
        ) from exc


def _field_of(message: str) -> str:
    """The field a whole-plan check is about, so a page can show it in the right place."""
    for name in ("planned_end", "members"):
        if name in message:
            return name
    return "planned_end" if "48 hours" in message else "body"


@dataclass(frozen=True)
class Booking:
    """A patrol holding a vehicle or a person for its planned window."""

    patrol_code: str
    start: datetime
    end: datetime
    status: str


def overlaps(start: datetime, end: datetime, other: Booking) -> bool:
    """Whether a window clashes with another patrol's (an ended patrol holds nothing)."""
    return other.status not in ENDED and start < other.end and other.start < end
