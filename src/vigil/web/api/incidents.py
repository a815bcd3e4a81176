"""Incidents: create from observations, list, get."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.queries import fusion as fusion_q
from vigil.queries import incidents as incidents_q
from vigil.services import incidents as service
from vigil.services.access import Principal
from vigil.services.reviews import incident_etag
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


def incident_out(session: Session, rows: list[Incident]) -> list[IncidentOut]:
    """Out models of incident rows, with their links and fusion records."""
    ids = [r.id for r in rows]
    links = incidents_q.links(session, ids)
    summaries = fusion_q.summary_links(session, ids)
    fusions = fusion_q.fusions_by_id(session, ids)
    parties = {p.id: p.code for p in session.scalars(select(Party))}
    return [
        IncidentOut.of(r, links.get(r.id, []), parties, fusions.get(r.id), summaries.get(r.id, []))
        for r in rows
    ]


@router.post("", status_code=201, response_model=IncidentOut)
def create_incident(
    body: IncidentIn, who: Principal = allow(ANALYSTS), db: Database = Depends(database)
) -> IncidentOut:
    """Group observations by hand: a standing decision fusion respects; the incident that
    holds them is returned, located and explained like any other."""
    with db.writing() as session:
        row = service.create_incident(
            session, who, body.observation_ids, body.category, body.summary
        )
        return incident_out(session, [row])[0]


@router.get("", response_model=IncidentPage)
def list_incidents(
    q: ListQuery = Depends(list_query),
    include_superseded: bool = Query(False, description="Also list superseded incidents."),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> IncidentPage:
    """Incidents in time order, each with its observations' ids and client ids."""
    f = incidents_q.IncidentFilter(
        q.bbox, q.time_from, q.time_to, q.category, q.status, include_superseded
    )
    with db.reading() as session:
        rows = list(service.list_incidents(session, who, f, q.after, q.limit))
        items = incident_out(session, rows)
        nxt = cursor.encode(rows[-1].started_at, rows[-1].id) if len(rows) == q.limit else None
    return IncidentPage(items=items, next_cursor=nxt)


@router.get("/{incident_id}", response_model=IncidentOut)
def get_incident(
    incident_id: int,
    response: Response,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> IncidentOut:
    """One incident; its ETag header is what a review sends back as If-Match."""
    with db.reading() as session:
        row = service.get_incident(session, who, incident_id)
        response.headers["ETag"] = f'"{incident_etag(row)}"'
        return incident_out(session, [row])[0]
