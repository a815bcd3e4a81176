"""SQL for patrols: one by id or code, a filtered list, their members and vehicles, the
bookings that may clash with a plan, the patrols out at an instant, what a patrol found
(observations, restrictions), its status history and its last signs of life."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vigil.domain.patrols import ACTIVE, ENDED, Booking
from vigil.store.tables import (
    AuditEvent,
    CheckIn,
    MovementRestriction,
    Observation,
    Party,
    Patrol,
    PatrolMember,
    PatrolVehicle,
    Position,
    User,
    Vehicle,
)
from vigil.store.tables import Observation as Obs

MAX_FOUND = 2000  # observations or restrictions one patrol report lists


@dataclass(frozen=True)
class PatrolFilter:
    """What a list may be narrowed to (None: any)."""

    start: datetime | None = None  # planned window overlaps [start, end)
    end: datetime | None = None
    status: str | None = None
    member_id: int | None = None
    active_too: bool = False  # also every under-way or overdue patrol, whatever its day


def get(session: Session, patrol_id: int, lock: bool = False) -> Patrol | None:
    """One patrol (locked for an update on PostgreSQL when asked)."""
    query = select(Patrol).where(Patrol.id == patrol_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def by_code(session: Session, code: str) -> Patrol | None:
    """The patrol with this code, or None."""
    return session.scalars(select(Patrol).where(Patrol.code == code)).first()


def listed(session: Session, f: PatrolFilter, limit: int) -> Sequence[Patrol]:
    """Patrols by planned start, filtered."""
    window = []
    if f.start is not None:
        window.append(Patrol.planned_end > f.start)
    if f.end is not None:
        window.append(Patrol.planned_start < f.end)
    query = select(Patrol)
    if window and f.active_too:
        query = query.where(or_(Patrol.status.in_(sorted(ACTIVE)), and_(*window)))
    elif window:
        query = query.where(*window)
    if f.status:
        query = query.where(Patrol.status == f.status)
    if f.member_id is not None:
        mine = select(PatrolMember.patrol_id).where(PatrolMember.user_id == f.member_id)
        query = query.where(Patrol.id.in_(mine))
    return session.scalars(query.order_by(Patrol.planned_start, Patrol.id).limit(limit)).all()


def members(session: Session, patrol_ids: Collection[int]) -> dict[int, list[tuple[User, str]]]:
    """patrol id -> [(user, role on the patrol)], the leader first."""
    found: dict[int, list[tuple[User, str]]] = defaultdict(list)
    if not patrol_ids:
        return found
    rows = session.execute(
        select(PatrolMember.patrol_id, User, PatrolMember.role)
        .join(User, User.id == PatrolMember.user_id)
        .where(PatrolMember.patrol_id.in_(list(patrol_ids)))
        .order_by(PatrolMember.patrol_id, PatrolMember.role != "leader", User.username)
    ).all()
    for pid, user, role in rows:
        found[pid].append((user, role))
    return found


def vehicles(session: Session, patrol_ids: Collection[int]) -> dict[int, list[Vehicle]]:
    """patrol id -> its vehicles, by code."""
    found: dict[int, list[Vehicle]] = defaultdict(list)
    if not patrol_ids:
        return found
    rows = session.execute(
        select(PatrolVehicle.patrol_id, Vehicle)
        .join(Vehicle, Vehicle.id == PatrolVehicle.vehicle_id)
        .where(PatrolVehicle.patrol_id.in_(list(patrol_ids)))
        .order_by(Vehicle.code)
    ).all()
    for pid, vehicle in rows:
        found[pid].append(vehicle)
    return found


def member_rows(session: Session, patrol_id: int) -> Sequence[PatrolMember]:
    """A patrol's member rows (to replace them when a plan is edited)."""
    return session.scalars(select(PatrolMember).where(PatrolMember.patrol_id == patrol_id)).all()


def vehicle_rows(session: Session, patrol_id: int) -> Sequence[PatrolVehicle]:
    """A patrol's vehicle rows."""
    return session.scalars(select(PatrolVehicle).where(PatrolVehicle.patrol_id == patrol_id)).all()


def all_vehicles(session: Session) -> Sequence[Vehicle]:
    """Every vehicle, by code."""
    return session.scalars(select(Vehicle).order_by(Vehicle.code)).all()


def vehicles_by_code(session: Session, codes: Collection[str]) -> dict[str, Vehicle]:
    """code -> vehicle, for the codes that exist."""
    rows = session.scalars(select(Vehicle).where(Vehicle.code.in_(list(codes)))).all()
    return {v.code: v for v in rows}


def users_by_name(session: Session, names: Collection[str]) -> dict[str, User]:
    """username -> account, for the names that exist."""
    rows = session.scalars(select(User).where(User.username.in_(list(names)))).all()
    return {u.username: u for u in rows}


def parties_by_code(session: Session, codes: Collection[str]) -> dict[str, Party]:
    """code -> party, for the codes that exist."""
    rows = session.scalars(select(Party).where(Party.code.in_(list(codes)))).all()
    return {p.code: p for p in rows}


def parties(session: Session) -> Sequence[Party]:
    """Every party, by code."""
    return session.scalars(select(Party).order_by(Party.code)).all()


def bookings(
    session: Session,
    column: str,
    keys: Collection[int],
    start: datetime,
    end: datetime,
    exclude_id: int | None = None,
) -> list[tuple[int, Booking]]:
    """(vehicle or user id, booking) of patrols not ended whose window overlaps [start, end)."""
    if not keys:
        return []
    link, key = (
        (PatrolVehicle, PatrolVehicle.vehicle_id)
        if column == "vehicle"
        else (PatrolMember, PatrolMember.user_id)
    )
    rows = session.execute(
        select(key, Patrol.id, Patrol.code, Patrol.planned_start, Patrol.planned_end, Patrol.status)
        .join(Patrol, Patrol.id == link.patrol_id)
        .where(key.in_(list(keys)), Patrol.status.not_in(sorted(ENDED)))
        .where(Patrol.planned_start < end, Patrol.planned_end > start)
        .order_by(Patrol.planned_start)
    ).all()
    return [(k, Booking(code, s, e, st)) for k, pid, code, s, e, st in rows if pid != exclude_id]


def out_at(session: Session, at: datetime, user_id: int | None = None) -> Sequence[Patrol]:
    """Patrols that had set out and not come back at `at` (optionally: with this member)."""
    query = select(Patrol).where(
        Patrol.started_at.is_not(None),
        Patrol.started_at <= at,
        or_(Patrol.ended_at.is_(None), Patrol.ended_at > at),
        Patrol.status.in_(sorted(ACTIVE | ENDED)),
    )
    if user_id is not None:
        mine = select(PatrolMember.patrol_id).where(PatrolMember.user_id == user_id)
        query = query.where(Patrol.id.in_(mine))
    return session.scalars(query.order_by(Patrol.started_at.desc(), Patrol.id)).all()


def observations_found(
    session: Session, names: Collection[str], member_ids: Collection[int], start: datetime,
    end: datetime,
) -> Sequence[Observation]:  # fmt: skip
    """Observations made under the patrol's code or name, or that its members submitted as
    what they saw themselves (a post's or a third party's report they typed in, or another
    patrol's, is not this patrol's finding), in the window."""
    who: list[ColumnElement[bool]] = [Obs.observer_name.in_(list(names))]
    if member_ids:
        own = or_(Obs.observer_kind == "monitor", and_(Obs.observer_kind == "patrol",
                                                     Obs.observer_name.is_(None)))  # fmt: skip
        who.append(and_(Obs.submitted_by.in_(list(member_ids)), own))
    return session.scalars(
        select(Observation)
        .where(or_(*who), Observation.observed_at >= start, Observation.observed_at <= end)
        .order_by(Observation.observed_at, Observation.id)
        .limit(MAX_FOUND)
    ).all()


def restrictions_found(
    session: Session, names: Collection[str], start: datetime, end: datetime
) -> Sequence[MovementRestriction]:
    """Restrictions reported under the patrol's code or name, in the window."""
    lowered = [n.strip().lower() for n in names if n.strip()]
    R = MovementRestriction
    return session.scalars(
        select(R)
        .where(func.lower(R.patrol).in_(lowered), R.occurred_at >= start, R.occurred_at <= end)
        .order_by(R.occurred_at, R.id)
        .limit(MAX_FOUND)
    ).all()


def history(session: Session, patrol_id: int) -> Sequence[AuditEvent]:
    """The audit events about the patrol row, in order."""
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "patrol", AuditEvent.entity_id == str(patrol_id))
        .order_by(AuditEvent.seq)
    ).all()


def last_signs(
    session: Session, patrol_ids: Collection[int]
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """patrol id -> (last check-in, last position) times (read-only; others write them)."""
    if not patrol_ids:
        return {}
    ids = list(patrol_ids)
    checks = dict(
        session.execute(
            select(CheckIn.patrol_id, func.max(CheckIn.at))
            .where(CheckIn.patrol_id.in_(ids))
            .group_by(CheckIn.patrol_id)
        ).all()
    )
    positions = dict(
        session.execute(
            select(Position.patrol_id, func.max(Position.recorded_at))
            .where(Position.patrol_id.in_(ids))
            .group_by(Position.patrol_id)
        ).all()
    )
    return {pid: (checks.get(pid), positions.get(pid)) for pid in ids}
