"""SQL of incidents and the observations they were fused from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from vigil.queries.observations import category_condition
from vigil.store.tables import Incident, IncidentObservation, Observation


@dataclass(frozen=True)
class IncidentFilter:
    """What a list of incidents is restricted to."""

    bbox: tuple[float, float, float, float] | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None
    category: str | None = None
    status: str | None = None


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


def page(
    session: Session, f: IncidentFilter, after: tuple[datetime, int] | None, limit: int
) -> Sequence[Incident]:
    """One page in (started_at, id) order after a cursor position."""
    query = select(Incident)
    if f.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = f.bbox
        query = query.where(
            Incident.lon.between(min_lon, max_lon), Incident.lat.between(min_lat, max_lat)
        )
    if f.time_from is not None:
        query = query.where(Incident.ended_at >= f.time_from)
    if f.time_to is not None:
        query = query.where(Incident.started_at < f.time_to)
    if f.category:
        query = query.where(category_condition(Incident.category, f.category))
    if f.status:
        query = query.where(Incident.status == f.status)
    if after is not None:
        at, last = after
        query = query.where(
            or_(Incident.started_at > at, and_(Incident.started_at == at, Incident.id > last))
        )
    return session.scalars(query.order_by(Incident.started_at, Incident.id).limit(limit)).all()
