"""Safety over the wire: log a check-in, list check-ins, list alarms, acknowledge one."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from vigil.domain.roles import DUTY_OFFICERS, INTERNAL
from vigil.services import safety as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.api.filters import LIMIT
from vigil.web.deps import allow, database
from vigil.web.schemas.safety import (
    AcknowledgeIn,
    AlarmList,
    AlarmOut,
    CheckInIn,
    CheckInList,
    CheckInOut,
)

router = APIRouter(prefix="/api/v1", tags=["safety"])


@router.post("/check-ins", status_code=201, response_model=CheckInOut)
def check_in(
    body: CheckInIn, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> CheckInOut:
    """Log a sign of life: `button` by a member of the patrol, `radio` by a duty officer;
    it restarts the patrol's safety timer. 409 when the patrol is not under way; audited."""
    with db.writing() as session:
        row = service.check_in(session, who, body.patrol_id, body.kind, body.at, body.note)
        users = service.usernames(session)
        return CheckInOut.of(row, service.patrol_codes(session, [row.patrol_id]), users)


@router.get("/check-ins", response_model=CheckInList)
def list_check_ins(
    patrol: int | None = Query(None, ge=1, description="Only this patrol's (its id)"),
    limit: int = LIMIT,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> CheckInList:
    """Check-ins (position reports, buttons, radio calls), most recent first."""
    with db.reading() as session:
        rows = service.check_ins(session, who, patrol, limit)
        users = service.usernames(session)
        codes = service.patrol_codes(session, {r.patrol_id for r in rows})
        return CheckInList(items=[CheckInOut.of(r, codes, users) for r in rows])


@router.get("/alarms", response_model=AlarmList)
def list_alarms(
    state: Literal["open", "all"] = Query("open", description="open (default) or all"),
    limit: int = LIMIT,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> AlarmList:
    """Open alarms oldest first (what the operations room must act on), or all, newest first."""
    with db.reading() as session:
        rows = service.alarms(session, who, state == "open", limit)
        users = service.usernames(session)
        codes = service.patrol_codes(session, {r.patrol_id for r in rows})
        return AlarmList(items=[AlarmOut.of(r, codes, users) for r in rows])


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmOut)
def acknowledge(
    alarm_id: int,
    body: AcknowledgeIn,
    who: Principal = allow(DUTY_OFFICERS),
    db: Database = Depends(database),
) -> AlarmOut:
    """A duty officer has seen the alarm and is acting on it; audited. 409 if already done."""
    with db.writing() as session:
        row = service.acknowledge(session, who, alarm_id, body.note)
        users = service.usernames(session)
        return AlarmOut.of(row, service.patrol_codes(session, [row.patrol_id]), users)
