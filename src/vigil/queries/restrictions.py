"""SQL for restrictions of movement: one by id or client id, a filtered page, the ones in
force in a window, and the facts counting needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from vigil.store.tables import MovementRestriction, Party, Zone

R = MovementRestriction
NONE = "none"  # a filter value meaning "not stated" (party) or "outside any zone" (zone)


@dataclass(frozen=True)
class RestrictionFilter:
    """What a list may be narrowed to (None: any)."""

    time_from: datetime | None = None  # occurred at or after
    time_to: datetime | None = None  # occurred before
    kind: str | None = None
    party_id: int | None = None
    no_party: bool = False  # only those where no party was stated
    zone: str | None = None  # a zone code, or NONE
    patrol: str | None = None


def by_client_id(session: Session, client_id: str) -> MovementRestriction | None:
    """The restriction stored under a client id, if any."""
    return session.scalars(select(R).where(R.client_id == client_id)).first()


def lock(session: Session, restriction_id: int) -> MovementRestriction | None:
    """One restriction, locked for an update (PostgreSQL; SQLite writes one at a time)."""
    return session.scalars(select(R).where(R.id == restriction_id).with_for_update()).first()


def _conditions(f: RestrictionFilter) -> list[Any]:
    out: list[Any] = []
    if f.time_from is not None:
        out.append(R.occurred_at >= f.time_from)
    if f.time_to is not None:
        out.append(R.occurred_at < f.time_to)
    if f.kind:
        out.append(R.kind == f.kind)
    if f.no_party:
        out.append(R.stated_party_id.is_(None))
    elif f.party_id is not None:
        out.append(R.stated_party_id == f.party_id)
    if f.zone == NONE:
        out.append(R.zone_code.is_(None))
    elif f.zone:
        out.append(R.zone_code == f.zone)
    if f.patrol:
        out.append(func.lower(R.patrol) == f.patrol.strip().lower())
    return out


def page(
    session: Session, f: RestrictionFilter, after: tuple[datetime, int] | None, limit: int
) -> Sequence[MovementRestriction]:
    """One page in (occurred_at, id) order, after a cursor position."""
    query = select(R).where(*_conditions(f))
    if after is not None:
        at, last_id = after
        query = query.where(or_(R.occurred_at > at, and_(R.occurred_at == at, R.id > last_id)))
    return session.scalars(query.order_by(R.occurred_at, R.id).limit(limit)).all()


def in_force(session: Session, start: datetime, end: datetime, limit: int) -> Sequence[R]:
    """Restrictions in force at some time in [start, end), in time order."""
    query = select(R).where(R.occurred_at < end, or_(R.ended_at.is_(None), R.ended_at > start))
    return session.scalars(query.order_by(R.occurred_at, R.id).limit(limit)).all()


def in_force_at(session: Session, at: datetime, limit: int) -> Sequence[R]:
    """Restrictions in force at the instant `at`, in time order."""
    query = select(R).where(R.occurred_at <= at, or_(R.ended_at.is_(None), R.ended_at > at))
    return session.scalars(query.order_by(R.occurred_at, R.id).limit(limit)).all()


def facts(session: Session, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    """(kind, occurred_at, ended_at, zone_code, party code) of those that occurred in the period."""
    query = (
        select(R.kind, R.occurred_at, R.ended_at, R.zone_code, Party.code)
        .outerjoin(Party, Party.id == R.stated_party_id)
        .where(R.occurred_at >= start, R.occurred_at < end)
    )
    return [tuple(row) for row in session.execute(query)]


def party_codes(session: Session) -> dict[int, str]:
    """Party id -> code."""
    return {r.id: r.code for r in session.execute(select(Party.id, Party.code))}


def party_by_code(session: Session, code: str) -> Party | None:
    """The party with this code, or None."""
    return session.scalars(select(Party).where(Party.code == code)).first()


def parties(session: Session) -> Sequence[Party]:
    """Every party, by code."""
    return session.scalars(select(Party).order_by(Party.code)).all()


def zones(session: Session) -> Sequence[Zone]:
    """Every zone (the counting picks the areas among them)."""
    return session.scalars(select(Zone).order_by(Zone.code)).all()


def span(session: Session) -> tuple[datetime | None, datetime | None]:
    """When the first and the last stored restriction occurred."""
    first, last = session.execute(select(func.min(R.occurred_at), func.max(R.occurred_at))).one()
    return first, last
