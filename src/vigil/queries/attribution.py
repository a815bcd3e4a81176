"""SQL of attribution: evidence rows, the publication policy row, parties by code."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store.tables import AttributionEvidence, AttributionPolicy, IncidentObservation, Party


def evidence(
    session: Session, incident_id: int, include_withdrawn: bool = False
) -> Sequence[AttributionEvidence]:
    """An incident's evidence rows in the order they were added (current ones only unless
    asked)."""
    query = select(AttributionEvidence).where(AttributionEvidence.incident_id == incident_id)
    if not include_withdrawn:
        query = query.where(AttributionEvidence.withdrawn_at.is_(None))
    return session.scalars(query.order_by(AttributionEvidence.id)).all()


def policy(session: Session) -> AttributionPolicy | None:
    """The mission's publication policy (one row), if set."""
    query = select(AttributionPolicy).order_by(AttributionPolicy.id).limit(1)
    return session.scalars(query).first()


def party_by_code(session: Session, code: str) -> Party | None:
    """A party by its code (exact)."""
    return session.scalars(select(Party).where(Party.code == code)).first()


def member_ids(session: Session, incident_id: int) -> set[int]:
    """The observations an incident was fused from."""
    query = select(IncidentObservation.observation_id).where(
        IncidentObservation.incident_id == incident_id
    )
    return {int(i) for i in session.scalars(query)}


def holders(session: Session, observation_ids: Sequence[int]) -> dict[int, int]:
    """Observation id -> the incident that holds it now (observations in none left out)."""
    ids = sorted(set(observation_ids))
    if not ids:
        return {}
    query = select(IncidentObservation.observation_id, IncidentObservation.incident_id).where(
        IncidentObservation.observation_id.in_(ids)
    )
    return {int(o): int(i) for o, i in session.execute(query)}
