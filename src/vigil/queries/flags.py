"""SQL of provision flags: lists with filters and cursor paging, an incident's flags, counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from vigil.store.tables import Incident, IncidentFusion, ProvisionFlag


@dataclass(frozen=True)
class FlagFilter:
    """What a list of flags is restricted to (each optional)."""

    provision_id: int | None = None
    status: str | None = None
    effect: str | None = None
    incident_id: int | None = None


def page(
    session: Session, f: FlagFilter, after: tuple[datetime, int] | None, limit: int
) -> Sequence[ProvisionFlag]:
    """Flags in (raised_at, id) order after a cursor position."""
    query = select(ProvisionFlag)
    if f.provision_id is not None:
        query = query.where(ProvisionFlag.provision_id == f.provision_id)
    if f.status:
        query = query.where(ProvisionFlag.status == f.status)
    if f.effect:
        query = query.where(ProvisionFlag.effect == f.effect)
    if f.incident_id is not None:
        query = query.where(ProvisionFlag.incident_id == f.incident_id)
    if after is not None:
        at, last = after
        query = query.where(
            or_(
                ProvisionFlag.raised_at > at,
                and_(ProvisionFlag.raised_at == at, ProvisionFlag.id > last),
            )
        )
    order = (ProvisionFlag.raised_at, ProvisionFlag.id)
    return session.scalars(query.order_by(*order).limit(limit)).all()


def of_incident(session: Session, incident_id: int) -> Sequence[ProvisionFlag]:
    """An incident's flags, oldest first."""
    query = select(ProvisionFlag).where(ProvisionFlag.incident_id == incident_id)
    return session.scalars(query.order_by(ProvisionFlag.id)).all()


def lock(session: Session, flag_id: int) -> ProvisionFlag | None:
    """A flag read fresh and locked for this transaction."""
    query = (
        select(ProvisionFlag)
        .where(ProvisionFlag.id == flag_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).first()


def open_of_rule(session: Session, rule_id: int) -> Sequence[ProvisionFlag]:
    """A rule's open flags."""
    query = select(ProvisionFlag).where(
        ProvisionFlag.rule_id == rule_id, ProvisionFlag.status == "open"
    )
    return session.scalars(query.order_by(ProvisionFlag.id)).all()


def counts(session: Session) -> dict[int, dict[str, int]]:
    """Provision id -> {status: flags}, counting only incidents that are verified now."""
    rows = session.execute(
        select(ProvisionFlag.provision_id, ProvisionFlag.status, func.count())
        .join(Incident, Incident.id == ProvisionFlag.incident_id)
        .where(Incident.status == "verified")
        .group_by(ProvisionFlag.provision_id, ProvisionFlag.status)
    )
    out: dict[int, dict[str, int]] = {}
    for provision_id, status, n in rows:
        out.setdefault(int(provision_id), {})[str(status)] = int(n)
    return out


def verified_incident_ids(session: Session) -> list[int]:
    """Standing incidents that are verified now, oldest first."""
    superseded = select(IncidentFusion.incident_id).where(IncidentFusion.superseded_by.is_not(None))
    query = select(Incident.id).where(Incident.status == "verified", Incident.id.not_in(superseded))
    return [int(i) for i in session.scalars(query.order_by(Incident.started_at, Incident.id))]
