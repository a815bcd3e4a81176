"""Reading what the safety timer needs: active patrols, their last signs of life, recent
positions, open alarms, forbidden zones; and the alarm and check-in lists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.domain.safety import ACTIVE
from vigil.store.tables import Alarm, AlarmDelivery, CheckIn, Patrol, PatrolMember, Position, Zone


def patrol(session: Session, patrol_id: int, lock: bool = False) -> Patrol | None:
    """One patrol (locked for update when asked)."""
    query = select(Patrol).where(Patrol.id == patrol_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def active_patrols(session: Session) -> Sequence[Patrol]:
    """Patrols under way or overdue: the ones the timer watches."""
    query = select(Patrol).where(Patrol.status.in_(ACTIVE))
    return session.scalars(query.order_by(Patrol.id)).all()


def last_check_ins(session: Session, ids: Collection[int], now: datetime) -> dict[int, datetime]:
    """Patrol id -> its latest check-in at or before `now`."""
    query = (
        select(CheckIn.patrol_id, func.max(CheckIn.at))
        .where(CheckIn.patrol_id.in_(ids), CheckIn.at <= now)
        .group_by(CheckIn.patrol_id)
    )
    return {pid: at for pid, at in session.execute(query) if at is not None}


def last_positions(session: Session, ids: Collection[int], now: datetime) -> dict[int, datetime]:
    """Patrol id -> its latest position report recorded at or before `now`."""
    query = (
        select(Position.patrol_id, func.max(Position.recorded_at))
        .where(Position.patrol_id.in_(ids), Position.recorded_at <= now)
        .group_by(Position.patrol_id)
    )
    return {pid: at for pid, at in session.execute(query) if at is not None and pid is not None}


def positions_between(
    session: Session, patrol_id: int, start: datetime, end: datetime
) -> Sequence[Position]:
    """A patrol's position reports recorded in [start, end], in time order."""
    query = select(Position).where(
        Position.patrol_id == patrol_id, Position.recorded_at >= start, Position.recorded_at <= end
    )
    return session.scalars(query.order_by(Position.recorded_at, Position.id)).all()


def open_alarms(session: Session, ids: Collection[int] | None = None) -> Sequence[Alarm]:
    """Unacknowledged alarms (of the given patrols), oldest first."""
    query = select(Alarm).where(Alarm.acknowledged_at.is_(None))
    if ids is not None:
        query = query.where(Alarm.patrol_id.in_(ids))
    return session.scalars(query.order_by(Alarm.raised_at, Alarm.id)).all()


def last_acknowledged(session: Session, ids: Collection[int]) -> dict[tuple[int, str], datetime]:
    """(patrol id, kind) -> when an alarm of that kind was last acknowledged."""
    query = (
        select(Alarm.patrol_id, Alarm.kind, func.max(Alarm.acknowledged_at))
        .where(Alarm.patrol_id.in_(ids), Alarm.acknowledged_at.is_not(None))
        .group_by(Alarm.patrol_id, Alarm.kind)
    )
    return {(pid, kind): at for pid, kind, at in session.execute(query) if at is not None}


def zones_of_kinds(session: Session, kinds: Collection[str]) -> Sequence[Zone]:
    """The zones whose kind is listed."""
    return session.scalars(select(Zone).where(Zone.kind.in_(kinds)).order_by(Zone.code)).all()


def alarm(session: Session, alarm_id: int, lock: bool = False) -> Alarm | None:
    """One alarm (locked for update when asked)."""
    query = select(Alarm).where(Alarm.id == alarm_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def alarms(session: Session, open_only: bool, limit: int) -> Sequence[Alarm]:
    """Open alarms oldest first, or all of them newest first."""
    if open_only:
        return list(open_alarms(session))[:limit]
    query = select(Alarm).order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(limit)
    return session.scalars(query).all()


def check_ins(session: Session, patrol_id: int | None, limit: int) -> Sequence[CheckIn]:
    """Check-ins newest first (of one patrol when given)."""
    query = select(CheckIn)
    if patrol_id is not None:
        query = query.where(CheckIn.patrol_id == patrol_id)
    return session.scalars(query.order_by(CheckIn.at.desc(), CheckIn.id.desc()).limit(limit)).all()


def is_member(session: Session, patrol_id: int, user_id: int) -> bool:
    """Whether the user is on the patrol."""
    query = select(PatrolMember.user_id).where(
        PatrolMember.patrol_id == patrol_id, PatrolMember.user_id == user_id
    )
    return session.scalar(query) is not None


def member_patrol_ids(session: Session, user_id: int) -> set[int]:
    """The ids of the patrols the user is on."""
    query = select(PatrolMember.patrol_id).where(PatrolMember.user_id == user_id)
    return set(session.scalars(query))


def patrol_codes(session: Session, ids: Collection[int]) -> dict[int, str]:
    """Patrol id -> code."""
    return dict(session.execute(select(Patrol.id, Patrol.code).where(Patrol.id.in_(ids))).all())


def deliveries(session: Session, alarm_id: int) -> Sequence[AlarmDelivery]:
    """The webhook attempts for an alarm, in order."""
    query = select(AlarmDelivery).where(AlarmDelivery.alarm_id == alarm_id)
    return session.scalars(query.order_by(AlarmDelivery.id)).all()
