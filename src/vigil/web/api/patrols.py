"""Patrols over the wire: plan, list, show, edit a plan, start, complete, abort, the patrol's
report; and the vehicles patrols book."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query

from vigil.domain import patrols as rules
from vigil.domain.patrols import PatrolPlan
from vigil.domain.roles import INTERNAL, OPERATIONS, PATROL_RUNNERS
from vigil.services import patrol_report
from vigil.services import patrols as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.store.tables import Patrol
from vigil.web.deps import allow, database
from vigil.web.schemas.patrols import (
    AbortIn,
    PatrolList,
    PatrolOut,
    PatrolPatch,
    ReportOut,
    StepIn,
    VehicleIn,
    VehicleOut,
)

router = APIRouter(tags=["patrols"])
BASE = "/api/v1/patrols"


def _out(session: Any, row: Patrol) -> PatrolOut:
    return PatrolOut.of(row, patrol_report.crews(session, [row])[row.id])


@router.post(BASE, status_code=201, response_model=PatrolOut)
def plan(
    draft: PatrolPlan, who: Principal = allow(OPERATIONS), db: Database = Depends(database)
) -> PatrolOut:
    """Plan a patrol; audited. 409 when its code exists, or when one of its vehicles or people
    is booked on another patrol whose planned window overlaps (the problem names it)."""
    with db.writing() as session:
        return _out(session, service.plan(session, who, draft))


@router.get(BASE, response_model=PatrolList)
def list_patrols(
    day: date | None = Query(None, description="A mission day: patrols planned to be out then"),
    status: str | None = Query(None, max_length=16, description=", ".join(rules.STATUSES)),
    member: str | None = Query(None, max_length=64, description="A member's username"),
    limit: int = Query(200, ge=1, le=1000, description="How many"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> PatrolList:
    """Patrols by planned start, filtered."""
    with db.reading() as session:
        start, end = service.day_window(session, day) if day else (None, None)
        q = service.ListRequest(start, end, status, member)
        rows = service.list_patrols(session, who, q, limit)
        crews = patrol_report.crews(session, rows)
        return PatrolList(items=[PatrolOut.of(r, crews[r.id]) for r in rows])


@router.get(BASE + "/{patrol_id}", response_model=PatrolOut)
def get_one(
    patrol_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> PatrolOut:
    """One patrol."""
    with db.reading() as session:
        return _out(session, service.get(session, who, patrol_id))


@router.patch(BASE + "/{patrol_id}", response_model=PatrolOut)
def edit(
    patrol_id: int,
    patch: PatrolPatch,
    who: Principal = allow(OPERATIONS),
    db: Database = Depends(database),
) -> PatrolOut:
    """Change a planned patrol's plan: the fields given replace the stored ones, and the whole
    plan is checked again. 409 once the patrol has set out."""
    with db.writing() as session:
        current = patrol_report.current_plan(session, service.get(session, who, patrol_id))
        merged = rules.parse_plan({**current, **patch.model_dump(exclude_unset=True)})
        return _out(session, service.edit(session, who, patrol_id, merged))


@router.post(BASE + "/{patrol_id}/start", response_model=PatrolOut)
def start(
    patrol_id: int,
    body: StepIn | None = None,
    who: Principal = allow(PATROL_RUNNERS),
    db: Database = Depends(database),
) -> PatrolOut:
    """The patrol set out (a patrol leader: only one they lead). 409 unless planned."""
    with db.writing() as session:
        return _out(session, service.start(session, who, patrol_id, body.at if body else None))


@router.post(BASE + "/{patrol_id}/complete", response_model=PatrolOut)
def complete(
    patrol_id: int,
    body: StepIn | None = None,
    who: Principal = allow(PATROL_RUNNERS),
    db: Database = Depends(database),
) -> PatrolOut:
    """The patrol came back. 409 unless under way or overdue."""
    with db.writing() as session:
        return _out(session, service.complete(session, who, patrol_id, body.at if body else None))


@router.post(BASE + "/{patrol_id}/abort", response_model=PatrolOut)
def abort(
    patrol_id: int,
    body: AbortIn,
    who: Principal = allow(PATROL_RUNNERS),
    db: Database = Depends(database),
) -> PatrolOut:
    """The patrol was called off or turned back, with the reason. 409 once it has ended."""
    with db.writing() as session:
        return _out(session, service.abort(session, who, patrol_id, body.reason, body.at))


@router.get(BASE + "/{patrol_id}/report", response_model=ReportOut)
def report(
    patrol_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> ReportOut:
    """The patrol's report: crew, vehicles, route, status history from the audit log, and the
    observations and restrictions of movement its team reported within its window."""
    with db.reading() as session:
        return ReportOut.of(patrol_report.report(session, who, patrol_id))


@router.post("/api/v1/vehicles", status_code=201, response_model=VehicleOut)
def add_vehicle(
    body: VehicleIn, who: Principal = allow(OPERATIONS), db: Database = Depends(database)
) -> VehicleOut:
    """Register a vehicle patrols can book; audited. 409 when its code exists."""
    with db.writing() as session:
        return VehicleOut.of(service.add_vehicle(session, who, body.code, body.label))


@router.get("/api/v1/vehicles", response_model=list[VehicleOut])
def list_vehicles(
    who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[VehicleOut]:
    """Every vehicle, by code."""
    with db.reading() as session:
        return [VehicleOut.of(v) for v in service.list_vehicles(session, who)]
