"""Incidents: create from observations, list, get."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.queries import incidents as incidents_q
from vigil.services import incidents as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.store.tables import Incident, Party
from vigil.web import cursor
from vigil.web.api.filters import ListQuery, list_query
from vigil.web.deps import allow, database
from vigil.web.schemas import IncidentOut, IncidentPage

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


class IncidentIn(BaseModel):
    """Observations that describe one real event; category defaults to the most common."""

    model_config = {"extra": "forbid"}
    observation_ids: list[int] = Field(min_length=1, max_length=1000)
    category: str | None = Field(None, max_length=100)
    summary: str = Field("", max_length=10_000)


def _out(session: Session, rows: list[Incident]) -> list[IncidentOut]:
    links = incidents_q.links(session, [r.id for r in rows])
    parties = {p.id: p.code for p in session.scalars(select(Party))}
    return [IncidentOut.of(r, links.get(r.id, []), parties) for r in rows]


@router.post("", status_code=201, response_model=IncidentOut)
def create_incident(
    body: IncidentIn, who: Principal = allow(ANALYSTS), db: Database = Depends(database)
) -> IncidentOut:
    """Create an incident from observations: location, ellipse, window and count estimated."""
    with db.writing() as session:
        row = service.create_incident(
            session, who, body.observation_ids, body.category, body.summary
        )
        return _out(session, [row])[0]


@router.get("", response_model=IncidentPage)
def list_incidents(
    q: ListQuery = Depends(list_query),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> IncidentPage:
    """Incidents in time order, each with its observations' ids and client ids."""
    f = incidents_q.IncidentFilter(q.bbox, q.time_from, q.time_to, q.category, q.status)
    with db.reading() as session:
        rows = list(service.list_incidents(session, who, f, q.after, q.limit))
        items = _out(session, rows)
        nxt = cursor.encode(rows[-1].started_at, rows[-1].id) if len(rows) == q.limit else None
    return IncidentPage(items=items, next_cursor=nxt)


@router.get("/{incident_id}", response_model=IncidentOut)
def get_incident(
    incident_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> IncidentOut:
    """One incident."""
    with db.reading() as session:
        return _out(session, [service.get_incident(session, who, incident_id)])[0]
