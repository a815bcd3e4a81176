"""SQL of the counts: incidents and observations of a period, with what counting needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.queries.observations import category_condition
from vigil.store.tables import Incident, IncidentFusion, Observation, Zone


def incidents(session: Session, time_from: datetime, time_to: datetime, category: str) -> list[Any]:
    """Standing incidents that started in the period: time, category, point, fusion figures."""
    query = (
        select(
            Incident.started_at,
            Incident.category,
            Incident.lat,
            Incident.lon,
            IncidentFusion.existence_p,
            IncidentFusion.alt_events,
        )
        .outerjoin(IncidentFusion, IncidentFusion.incident_id == Incident.id)
        .where(Incident.started_at >= time_from, Incident.started_at < time_to)
        .where(IncidentFusion.superseded_by.is_(None))
        .where(category_condition(Incident.category, category))
    )
    return list(session.execute(query))


def observations(
    session: Session, time_from: datetime, time_to: datetime, category: str
) -> list[Any]:
    """Observations made in the period: time, category, estimated point."""
    query = select(
        Observation.observed_at, Observation.category, Observation.est_lat, Observation.est_lon
    ).where(
        Observation.observed_at >= time_from,
        Observation.observed_at < time_to,
        category_condition(Observation.category, category),
    )
    return list(session.execute(query.execution_options(yield_per=10000)))


def area_zones(session: Session) -> list[Zone]:
    """Zones that are areas (polygons), the ones events can be counted in."""
    rows = session.scalars(select(Zone).order_by(Zone.code))
    return [z for z in rows if z.geometry.get("type") in ("Polygon", "MultiPolygon")]
