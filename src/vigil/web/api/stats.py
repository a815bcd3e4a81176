"""The numbers reports quote: distinct events per period, zone and category."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from vigil.domain.counting import __doc__ as METHOD
from vigil.domain.roles import INTERNAL
from vigil.services import stats
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.api.filters import check_aware
from vigil.web.deps import allow, database

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


class CellOut(BaseModel):
    """Distinct events in one cell, their 95 % interval, and the naive count of reports."""

    period_start: date
    zone: str | None
    category: str | None
    events: int = Field(description="Distinct events: expected real ones, rounded (published).")
    incidents: int = Field(
        description="Incident records, lone reports that may be false alarms included."
    )
    expected: float = Field(description="Expected real events (sum of existence chances).")
    low: int
    high: int
    naive: int = Field(description="Reports: what counting every observation would give.")


class ViolationsOut(BaseModel):
    """The table, what it covers, and how it was counted."""

    time_from: datetime
    time_to: datetime
    period: str
    zone: str | None
    category: str
    unlocated: int = Field(description="Events located by a bearing only: in no zone.")
    method: str
    rows: list[CellOut]


@router.get("/violations", response_model=ViolationsOut)
def violations(
    time_from: datetime = Query(..., alias="from", description="Start (ISO 8601 with zone)"),
    time_to: datetime = Query(..., alias="to", description="End, excluded (ISO 8601 with zone)"),
    zone: str | None = Query(None, max_length=64, description="Only events in this area zone"),
    category: str = Query("ceasefire_violation", max_length=100, description="Category tree"),
    period: str = Query("day", description="day, week, month or total (mission time zone)"),
    by: str = Query("", max_length=40, description="Also split by: zone, category, or both"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> ViolationsOut:
    """Distinct events per period (and zone, category), with an interval and the naive count."""
    check_aware("from", time_from)
    check_aware("to", time_to)
    split = {s.strip() for s in by.split(",") if s.strip()}
    with db.reading() as session:
        v = stats.violations(
            session, who, time_from, time_to, zone=zone, category=category, period=period,
            by_zone=stats.split_by(split, "zone"), by_category=stats.split_by(split, "category"),
        )  # fmt: skip
    rows = [
        CellOut(
            period_start=r.period_start,
            zone=r.zone,
            category=r.category,
            events=r.tally.events,
            incidents=r.tally.incidents,
            expected=r.tally.expected,
            low=r.tally.low,
            high=r.tally.high,
            naive=r.tally.naive,
        )  # fmt: skip
        for r in v.rows
    ]
    return ViolationsOut(
        time_from=v.time_from, time_to=v.time_to, period=v.period, zone=v.zone,
        category=v.category, unlocated=v.unlocated, method=" ".join((METHOD or "").split()),
        rows=rows,
    )  # fmt: skip
