"""SQL of incident reviews: the history, reviewer assignments, the policy row, the queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from vigil.queries.incidents import after_cursor, where_and_when
from vigil.store.tables import (
    FusionDecision,
    Incident,
    IncidentFusion,
    IncidentObservation,
    IncidentReview,
    Observation,
    ReviewAssignment,
    ReviewPolicy,
    User,
)


@dataclass(frozen=True)
class QueueFilter:
    """What a review queue is restricted to (reviewer_id None: anyone's or no one's)."""

    statuses: tuple[str, ...]
    reviewer_id: int | None = None
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None
    zone: BaseGeometry | None = None  # located inside this zone's geometry


def lock_incident(session: Session, incident_id: int) -> Incident | None:
    """An incident read fresh and locked for this transaction (two reviewers queue here)."""
    query = (
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).first()


def observations_of(session: Session, incident_id: int) -> Sequence[Observation]:
    """The observations an incident was fused from (edits' replaced originals left out)."""
    query = (
        select(Observation)
        .join(IncidentObservation, IncidentObservation.observation_id == Observation.id)
        .where(IncidentObservation.incident_id == incident_id, Observation.status != "replaced")
        .order_by(Observation.id)
    )
    return session.scalars(query).all()


def superseded_by(session: Session, incident_id: int) -> int | None:
    """The incident that superseded this one, or None while it stands."""
    query = select(IncidentFusion.superseded_by).where(IncidentFusion.incident_id == incident_id)
    found = session.scalar(query)
    return None if found is None else int(found)


def history(session: Session, incident_id: int) -> Sequence[IncidentReview]:
    """An incident's review steps, oldest first."""
    query = select(IncidentReview).where(IncidentReview.incident_id == incident_id)
    return session.scalars(query.order_by(IncidentReview.id)).all()


def last_review(session: Session, incident_id: int) -> IncidentReview | None:
    """An incident's latest review step."""
    query = select(IncidentReview).where(IncidentReview.incident_id == incident_id)
    return session.scalars(query.order_by(IncidentReview.id.desc()).limit(1)).first()


def assignment(session: Session, incident_id: int) -> ReviewAssignment | None:
    """Who reviews an incident, if anyone."""
    return session.get(ReviewAssignment, incident_id)


def reviewers(session: Session, incident_ids: Sequence[int]) -> dict[int, str]:
    """Incident id -> the user name of its reviewer."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(ReviewAssignment.incident_id, User.username)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .where(ReviewAssignment.incident_id.in_(list(incident_ids)))
    )
    return {int(i): str(name) for i, name in rows}


def user_names(session: Session, user_ids: Sequence[int | None]) -> dict[int, str]:
    """User id -> user name."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {int(i): str(name) for i, name in rows}


def active_pin(session: Session, incident_id: int) -> int | None:
    """The latest active pin decision made on an incident, if any."""
    query = select(FusionDecision.id).where(
        FusionDecision.kind == "pin",
        FusionDecision.incident_id == incident_id,
        FusionDecision.active.is_(True),
    )
    found = session.scalar(query.order_by(FusionDecision.id.desc()).limit(1))
    return None if found is None else int(found)


def pin_active(session: Session, decision_id: int) -> bool:
    """Whether a pin decision still stands."""
    row = session.get(FusionDecision, decision_id)
    return row is not None and row.kind == "pin" and bool(row.active)


def policy(session: Session) -> ReviewPolicy | None:
    """The mission's stored review policy (one row), if any."""
    return session.scalars(select(ReviewPolicy).order_by(ReviewPolicy.id).limit(1)).first()


def queue(
    session: Session, f: QueueFilter, after: tuple[datetime, int] | None, limit: int
) -> Sequence[Incident]:
    """Standing incidents awaiting review in (started_at, id) order after a cursor."""
    superseded = select(IncidentFusion.incident_id).where(IncidentFusion.superseded_by.is_not(None))
    query = select(Incident).where(Incident.status.in_(f.statuses), Incident.id.not_in(superseded))
    if f.reviewer_id is not None:
        query = query.join(ReviewAssignment, ReviewAssignment.incident_id == Incident.id).where(
            ReviewAssignment.reviewer_id == f.reviewer_id
        )
    query = where_and_when(query, f.bbox, f.time_from, f.time_to, f.category)
    query = after_cursor(query, after).order_by(Incident.started_at, Incident.id)
    if f.zone is None:
        return session.scalars(query.limit(limit)).all()
    return _inside(session, where_and_when(query, f.zone.bounds, None, None, None), f.zone, limit)


def _inside(
    session: Session, query: Select[tuple[Incident]], zone: BaseGeometry, limit: int
) -> list[Incident]:
    """The first `limit` incidents of a query (already cut to the zone's box) located inside
    the zone: read in batches and tested with shapely, so the cursor stays exact."""
    shapely.prepare(zone)
    found: list[Incident] = []
    for batch in session.scalars(query.execution_options(yield_per=500)).partitions():
        lon = [i.lon for i in batch]
        lat = [i.lat for i in batch]
        inside = shapely.contains_xy(zone, lon, lat)
        found.extend(i for i, keep in zip(batch, inside, strict=True) if keep)
        if len(found) >= limit:
            break
    return found[:limit]
