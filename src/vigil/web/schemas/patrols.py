"""What goes over the wire about patrols: one as planned and where it stands, a list, its
report (crew, route, status history, what it found), the steps of its life, vehicles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from vigil.domain import patrols as rules
from vigil.services.patrol_report import Crew, Report
from vigil.store.tables import MovementRestriction, Observation, Patrol, Vehicle


class MemberOut(BaseModel):
    """A person on the patrol and their role on it."""

    user: str
    name: str
    role: str


class VehicleOut(BaseModel):
    """A mission vehicle."""

    id: int
    code: str
    label: str
    created_at: datetime

    @classmethod
    def of(cls, v: Vehicle) -> VehicleOut:
        """From the stored row."""
        return cls(id=v.id, code=v.code, label=v.label, created_at=v.created_at)


class VehicleIn(BaseModel):
    """A vehicle to register."""

    model_config = {"extra": "forbid"}
    code: str = Field(min_length=1, max_length=64, description="Plate or call sign; unique.")
    label: str = Field("", max_length=200)


class PatrolOut(BaseModel):
    """A patrol as planned and where it stands."""

    id: int
    code: str
    name: str
    status: str
    status_label: str
    route: dict[str, Any] = Field(description="GeoJSON LineString or MultiPoint (lon, lat).")
    planned_start: datetime
    planned_end: datetime
    started_at: datetime | None
    ended_at: datetime | None
    check_in_interval_s: int
    notified: list[str] = Field(description="Party codes told of the patrol in advance.")
    members: list[MemberOut]
    vehicles: list[str]
    notes: str
    last_check_in: datetime | None
    last_position: datetime | None

    @classmethod
    def of(cls, row: Patrol, crew: Crew) -> PatrolOut:
        """From the stored row and its crew."""
        return cls(
            id=row.id, code=row.code, name=row.name, status=row.status,
            status_label=rules.status_label(row.status), route=row.route,
            planned_start=row.planned_start, planned_end=row.planned_end,
            started_at=row.started_at, ended_at=row.ended_at,
            check_in_interval_s=row.check_in_interval_s, notified=list(row.notified or []),
            members=[MemberOut(user=u.username, name=u.display_name, role=r)
                     for u, r in crew.members],
            vehicles=[v.code for v in crew.vehicles], notes=row.notes,
            last_check_in=crew.last_check_in, last_position=crew.last_position,
        )  # fmt: skip


class PatrolList(BaseModel):
    """Patrols by planned start."""

    items: list[PatrolOut]


class StepIn(BaseModel):
    """When a step happened (default: now)."""

    model_config = {"extra": "forbid"}
    at: AwareDatetime | None = Field(None, description="When it happened; default now.")


class AbortIn(StepIn):
    """Why the patrol was called off or turned back."""

    reason: str = Field(min_length=1, max_length=2000)


class StepOut(BaseModel):
    """One change in the patrol's record, from the audit log."""

    at: str
    actor: str
    action: str
    status: str | None


class FoundObservation(BaseModel):
    """An observation the patrol's team made."""

    id: int
    client_id: str
    observed_at: datetime
    category: str
    observer: str | None
    lat: float | None
    lon: float | None
    text: str


class FoundRestriction(BaseModel):
    """A restriction of movement the patrol met."""

    id: int
    kind: str
    occurred_at: datetime
    ended_at: datetime | None
    place: str
    lat: float
    lon: float


class ReportOut(BaseModel):
    """A patrol's report: the patrol, its status history, and what it found in its window."""

    patrol: PatrolOut
    window_start: datetime
    window_end: datetime
    history: list[StepOut]
    observations: list[FoundObservation]
    restrictions: list[FoundRestriction]

    @classmethod
    def of(cls, r: Report) -> ReportOut:
        """From the service's report."""
        return cls(
            patrol=PatrolOut.of(r.patrol, r.crew),
            window_start=r.window[0],
            window_end=r.window[1],
            history=[
                StepOut(at=s.at, actor=s.actor, action=s.action, status=s.status) for s in r.history
            ],  # fmt: skip
            observations=[_observation(o) for o in r.observations],
            restrictions=[_restriction(x) for x in r.restrictions],
        )


def _observation(o: Observation) -> FoundObservation:
    return FoundObservation(
        id=o.id, client_id=o.client_id, observed_at=o.observed_at, category=o.category,
        observer=o.observer_name, lat=o.est_lat, lon=o.est_lon, text=o.text or "",
    )  # fmt: skip


def _restriction(x: MovementRestriction) -> FoundRestriction:
    return FoundRestriction(
        id=x.id, kind=x.kind, occurred_at=x.occurred_at, ended_at=x.ended_at, place=x.place,
        lat=x.lat, lon=x.lon,
    )  # fmt: skip


class PatrolPatch(BaseModel):
    """The fields of a planned patrol's plan to change (any of PatrolPlan's)."""

    model_config = {"extra": "forbid"}
    code: str | None = None
    name: str | None = None
    route: dict[str, Any] | None = None
    planned_start: AwareDatetime | None = None
    planned_end: AwareDatetime | None = None
    check_in_interval_s: int | None = None
    notified: list[str] | None = None
    members: list[dict[str, Any]] | None = None
    vehicles: list[str] | None = None
    notes: str | None = None
