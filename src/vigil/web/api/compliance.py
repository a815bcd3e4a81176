"""Compliance over the wire: every provision's status as a whole and per party, with the
incidents behind it, verified breaches per day or week, and the timeline of deadlines."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query

from vigil.domain.roles import INTERNAL
from vigil.services import compliance as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, database
from vigil.web.schemas.compliance import ComplianceOut

router = APIRouter(tags=["compliance"])
AS_OF = Query(None, description="The instant (ISO 8601 with zone); default now.")
WINDOW = Query(
    service.DEFAULT_WINDOW_DAYS,
    ge=service.WINDOW_DAYS[0],
    le=service.WINDOW_DAYS[1],
    description="Breaches within this many days before as_of make a provision breached.",
)
FROM = Query(None, alias="from", description="Start of the breach counts (ISO 8601 with zone); "
             "default eight weeks before `to`.")  # fmt: skip
TO = Query(None, alias="to", description="End of the breach counts (ISO 8601 with zone); "
           "default as_of. At most five years after `from`.")  # fmt: skip
PARTY = Query(None, max_length=16, description="Only this party's column (a party code).")


@router.get("/api/v1/compliance", response_model=ComplianceOut)
def compliance(
    as_of: datetime | None = AS_OF,
    window_days: int = WINDOW,
    date_from: datetime | None = FROM,
    date_to: datetime | None = TO,
    party: str | None = PARTY,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> ComplianceOut:
    """Each provision's status (complied, partially, breached, not_yet_due, unknown) as a
    whole and per binding party, with the incident and flag ids behind it and a reason;
    verified breaches per day or week over [from, to); the deadlines, passed or upcoming."""
    with db.reading() as session:
        view = service.compliance(session, who, as_of, window_days, date_from, date_to, party)
        return ComplianceOut.of(view)
