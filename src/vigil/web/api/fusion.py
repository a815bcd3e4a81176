"""Fusion on demand, its runs, and an analyst's rulings on incidents."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from vigil.domain.roles import ANALYSTS, FUSION_RUNNERS, INTERNAL
from vigil.services import fusion as fusion_service
from vigil.services import fusion_decisions as decisions
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.api.incidents import incident_out
from vigil.web.deps import allow, database
from vigil.web.schemas import DecisionOut, FusionRunOut, IncidentOut

router = APIRouter(prefix="/api/v1", tags=["fusion"])
Reason = Field("", max_length=2000, description="Why: kept with the decision and audited.")


class RunIn(BaseModel):
    """The period whose observations to fuse."""

    model_config = {"extra": "forbid", "populate_by_name": True}
    time_from: AwareDatetime = Field(alias="from")
    time_to: AwareDatetime = Field(alias="to")


class MergeIn(BaseModel):
    """Incidents that are one event."""

    model_config = {"extra": "forbid"}
    incident_ids: list[int] = Field(min_length=1, max_length=100)
    reason: str = Reason


class SplitIn(BaseModel):
    """Groups of an incident's observations, each one event."""

    model_config = {"extra": "forbid"}
    groups: list[list[int]] = Field(min_length=2, max_length=100)
    reason: str = Reason


class DetachIn(BaseModel):
    """Observations that do not belong to the incident."""

    model_config = {"extra": "forbid"}
    observation_ids: list[int] = Field(min_length=1, max_length=1000)
    reason: str = Reason


class PinIn(BaseModel):
    """Where the analyst knows the event was (e.g. a crater found on the ground)."""

    model_config = {"extra": "forbid"}
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    error_m: float = Field(50.0, gt=0, le=100_000, allow_inf_nan=False)
    reason: str = Reason


class UnpinIn(BaseModel):
    """Why the pin is withdrawn."""

    model_config = {"extra": "forbid"}
    reason: str = Reason


@router.post("/fusion/runs", status_code=201, response_model=FusionRunOut)
def run_fusion(
    body: RunIn, who: Principal = allow(FUSION_RUNNERS), db: Database = Depends(database)
) -> FusionRunOut:
    """Fuse the observations of a period now (fusion also runs by itself as they arrive)."""
    with db.writing() as session:
        run = fusion_service.fuse_range(session, who, body.time_from, body.time_to, "api")
        return FusionRunOut.of(fusion_service.run_row(session, run.run_id))


@router.get("/fusion/runs", response_model=list[FusionRunOut])
def list_runs(
    limit: int = Query(20, ge=1, le=500),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> list[FusionRunOut]:
    """The latest fusion runs, newest first: when, over what period, what they changed."""
    with db.reading() as session:
        return [FusionRunOut.of(r) for r in fusion_service.latest_runs(session, who, limit)]


@router.post("/incidents/{incident_id}/merge", response_model=IncidentOut)
def merge(
    incident_id: int,
    body: MergeIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> IncidentOut:
    """This incident and the others named are one event."""
    with db.writing() as session:
        ids = [incident_id, *body.incident_ids]
        return incident_out(session, [decisions.merge(session, who, ids, body.reason)])[0]


@router.post("/incidents/{incident_id}/split", response_model=list[IncidentOut])
def split(
    incident_id: int,
    body: SplitIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> list[IncidentOut]:
    """This incident is several events; each group of its observation ids is one."""
    with db.writing() as session:
        rows = decisions.split(session, who, incident_id, body.groups, body.reason)
        return incident_out(session, rows)


@router.post("/incidents/{incident_id}/detach", response_model=IncidentOut)
def detach(
    incident_id: int,
    body: DetachIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> IncidentOut:
    """These observations do not belong to this incident (fusion may place them elsewhere)."""
    with db.writing() as session:
        row = decisions.detach(session, who, incident_id, body.observation_ids, body.reason)
        return incident_out(session, [row])[0]


@router.post("/incidents/{incident_id}/pin", response_model=IncidentOut)
def pin(
    incident_id: int,
    body: PinIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> IncidentOut:
    """Fix the incident's location; later fusion runs keep it."""
    with db.writing() as session:
        where = (body.lat, body.lon, body.error_m)
        return incident_out(
            session, [decisions.pin(session, who, incident_id, where, body.reason)]
        )[0]


@router.post("/incidents/{incident_id}/unpin", response_model=IncidentOut)
def unpin(
    incident_id: int,
    body: UnpinIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> IncidentOut:
    """Withdraw the pin: fusion locates the incident from its observations again."""
    with db.writing() as session:
        return incident_out(session, [decisions.unpin(session, who, incident_id, body.reason)])[0]


@router.get("/incidents/{incident_id}/decisions", response_model=list[DecisionOut])
def list_decisions(
    incident_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[DecisionOut]:
    """The analysts' decisions on this incident or its observations, oldest first."""
    with db.reading() as session:
        return [DecisionOut.of(d) for d in decisions.decisions_on(session, who, incident_id)]
