"""SQL of incidents and the observations they were fused from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, insert, or_, select
from sqlalchemy.orm import Session

from vigil.queries import fusion as fusion_q
from vigil.queries.observations import category_condition
from vigil.store.tables import (
    Incident,
    IncidentFusion,
    IncidentObservation,
    Observation,
)


@dataclass(frozen=True)
class IncidentFilter:
    """What a list of incidents is restricted to."""

    bbox: tuple[float, float, float, float] | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None
    category: str | None = None
    status: str | None = None
    include_superseded: bool = False


def link(
    session: Session, incident_id: int, observation_ids: Sequence[int]
) -> list[dict[str, int]]:
    """Link observations to an incident; returns the link rows written."""
    rows = [{"incident_id": incident_id, "observation_id": o} for o in observation_ids]
    session.execute(insert(IncidentObservation), rows)
    return rows


def links(session: Session, incident_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """Incident id -> [(observation id, client id)] in observation id order."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not incident_ids:
        return out
    rows = session.execute(
        select(IncidentObservation.incident_id, Observation.id, Observation.client_id)
        .join(Observation, Observation.id == IncidentObservation.observation_id)
        .where(IncidentObservation.incident_id.in_(list(incident_ids)))
        .order_by(IncidentObservation.incident_id, Observation.id)
    )
    for incident_id, obs_id, client_id in rows:
        out[incident_id].append((obs_id, client_id))
    return out


def where_and_when(
    query: Select[Any],
    bbox: tuple[float, float, float, float] | None,
    time_from: datetime | None,
    time_to: datetime | None,
    category: str | None,
) -> Select[Any]:
    """Incidents in a box, overlapping a time range, of a category or under it (each
    optional): the filters every list of incidents shares."""
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        query = query.where(
            Incident.lon.between(min_lon, max_lon), Incident.lat.between(min_lat, max_lat)
        )
    if time_from is not None:
        query = query.where(Incident.ended_at >= time_from)
    if time_to is not None:
        query = query.where(Incident.started_at < time_to)
    if category:
        query = query.where(category_condition(Incident.category, category))
    return query


def after_cursor(query: Select[Any], after: tuple[datetime, int] | None) -> Select[Any]:
    """The rows after a (started_at, id) cursor position."""
    if after is None:
        return query
    at, last = after
    return query.where(
        or_(Incident.started_at > at, and_(Incident.started_at == at, Incident.id > last))
    )


def page(
    session: Session, f: IncidentFilter, after: tuple[datetime, int] | None, limit: int
) -> Sequence[Incident]:
    """One page in (started_at, id) order after a cursor position."""
    query = where_and_when(select(Incident), f.bbox, f.time_from, f.time_to, f.category)
    if f.status:
        query = query.where(Incident.status == f.status)
    if not f.include_superseded:
        superseded = select(IncidentFusion.incident_id).where(
            IncidentFusion.superseded_by.is_not(None)
        )
        query = query.where(Incident.id.not_in(superseded))
    query = after_cursor(query, after)
    return session.scalars(query.order_by(Incident.started_at, Incident.id).limit(limit)).all()


@dataclass(frozen=True)
class FusedIncident:
    """An incident with how fusion arrived at it (None for one stored before fusion) and
    the observations behind it: members, and multi-count reports that also cover it."""

    incident: Incident
    fusion: IncidentFusion | None
    members: list[tuple[int, str]]
    summaries: list[tuple[int, str]]


def _with_links(
    session: Session, rows: Sequence[tuple[Incident, IncidentFusion | None]]
) -> list[FusedIncident]:
    ids = [i.id for i, _ in rows]
    members: dict[int, list[tuple[int, str]]] = {}
    for start in range(0, len(ids), 500):
        members.update(links(session, ids[start : start + 500]))
    covers = fusion_q.summary_links(session, ids)
    return [FusedIncident(i, f, members.get(i.id, []), covers.get(i.id, [])) for i, f in rows]


def current_in_window(
    session: Session, start: datetime, end: datetime, limit: int
) -> list[FusedIncident]:
    """Incidents whose time window overlaps [start, end) and that no later incident
    supersedes, in (started_at, id) order, with their fusion row and observations."""
    query = (
        select(Incident, IncidentFusion)
        .outerjoin(IncidentFusion, IncidentFusion.incident_id == Incident.id)
        .where(Incident.started_at < end, Incident.ended_at >= start)
        .where(IncidentFusion.superseded_by.is_(None))
        .order_by(Incident.started_at, Incident.id)
        .limit(limit)
    )
    rows = [(row[0], row[1]) for row in session.execute(query)]
    return _with_links(session, rows)


def fused(session: Session, incident_id: int) -> FusedIncident | None:
    """One incident (superseded or not) with its fusion row and observations."""
    row = session.execute(
        select(Incident, IncidentFusion)
        .outerjoin(IncidentFusion, IncidentFusion.incident_id == Incident.id)
        .where(Incident.id == incident_id)
    ).first()
    return _with_links(session, [(row[0], row[1])])[0] if row else None


def superseded_ids(session: Session, incident_id: int) -> list[int]:
    """The incidents that this one superseded (their pages link here)."""
    query = select(IncidentFusion.incident_id).where(IncidentFusion.superseded_by == incident_id)
    return list(session.scalars(query.order_by(IncidentFusion.incident_id)))
