"""SQL of tracked phones and their positions: a device by its identifier's hash, the list with
each device's last position, a stored report, the live positions of active patrols, a
patrol's track, and a page of positions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.store.tables import Patrol, Position, TrackerDevice, User

ACTIVE = ("under_way", "overdue")  # a patrol out on the ground


def device_by_hash(session: Session, identifier_hash: str) -> TrackerDevice | None:
    """The device registered under this identifier hash (revoked or not)."""
    query = select(TrackerDevice).where(TrackerDevice.identifier == identifier_hash)
    return session.scalars(query).first()


def devices(session: Session) -> Sequence[tuple[TrackerDevice, User]]:
    """Every device (live and revoked) with its user, newest first."""
    rows = session.execute(
        select(TrackerDevice, User)
        .join(User, User.id == TrackerDevice.user_id)
        .order_by(TrackerDevice.id.desc())
    ).all()
    return [(r[0], r[1]) for r in rows]


def last_positions(session: Session, device_ids: Sequence[int]) -> dict[int, Position]:
    """Each device's latest position by its own time."""
    if not device_ids:
        return {}
    latest = (
        select(Position.device_id, func.max(Position.recorded_at).label("at"))
        .where(Position.device_id.in_(device_ids))
        .group_by(Position.device_id)
        .subquery()
    )
    rows = session.scalars(
        select(Position).join(
            latest,
            (Position.device_id == latest.c.device_id) & (Position.recorded_at == latest.c.at),
        )
    ).all()
    return {p.device_id: p for p in rows}


def stored_times(session: Session, device_id: int, times: Sequence[datetime]) -> set[datetime]:
    """Which of these times the device has a position for already (a resent report)."""
    found: set[datetime] = set()
    for i in range(0, len(times), 500):
        chunk = list(times[i : i + 500])
        query = select(Position.recorded_at).where(
            Position.device_id == device_id, Position.recorded_at.in_(chunk)
        )
        found.update(session.scalars(query).all())
    return found


def live(session: Session) -> Sequence[tuple[Position, TrackerDevice, User, Patrol]]:
    """The latest position of each device on a patrol out on the ground now."""
    latest = (
        select(Position.device_id, func.max(Position.recorded_at).label("at"))
        .join(Patrol, Patrol.id == Position.patrol_id)
        .where(Patrol.status.in_(ACTIVE))
        .group_by(Position.device_id)
        .subquery()
    )
    rows = session.execute(
        select(Position, TrackerDevice, User, Patrol)
        .join(
            latest,
            (Position.device_id == latest.c.device_id) & (Position.recorded_at == latest.c.at),
        )
        .join(TrackerDevice, TrackerDevice.id == Position.device_id)
        .join(User, User.id == TrackerDevice.user_id)
        .join(Patrol, Patrol.id == Position.patrol_id)
        .order_by(Patrol.code, User.username)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def newest_live_id(session: Session) -> int:
    """The highest position id on an active patrol (0 when none): what a stream watches."""
    query = (
        select(func.max(Position.id))
        .join(Patrol, Patrol.id == Position.patrol_id)
        .where(Patrol.status.in_(ACTIVE))
    )
    return int(session.scalar(query) or 0)


def track(
    session: Session, patrol_id: int, limit: int
) -> Sequence[tuple[Position, TrackerDevice, User]]:
    """A patrol's positions in time order, with each one's device and person."""
    rows = session.execute(
        select(Position, TrackerDevice, User)
        .join(TrackerDevice, TrackerDevice.id == Position.device_id)
        .join(User, User.id == TrackerDevice.user_id)
        .where(Position.patrol_id == patrol_id)
        .order_by(Position.recorded_at, Position.id)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def positions(
    session: Session, device_id: int | None, since: datetime | None, limit: int
) -> Sequence[Position]:
    """Positions in time order, of one device or all, from a time on."""
    query = select(Position)
    if device_id is not None:
        query = query.where(Position.device_id == device_id)
    if since is not None:
        query = query.where(Position.recorded_at >= since)
    return session.scalars(query.order_by(Position.recorded_at, Position.id).limit(limit)).all()
