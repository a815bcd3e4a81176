"""SQL for the hotline: threads and messages, filtered by the liaison wall in the query itself
(a liaison's party sees only what domain.hotline.liaison_sees allows), message clocks for
escalation and statistics, and escalations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session

from vigil.store.tables import HotlineEscalation, HotlineMessage, HotlineThread, Party

T = HotlineThread
M = HotlineMessage
E = HotlineEscalation


def _message_seen_by(party_id: int) -> Any:
    """SQL form of domain.hotline.liaison_sees for one party."""
    return and_(
        M.internal.is_(False),
        or_(
            M.sender_party_id == party_id,
            and_(M.recipient_party_id == party_id, M.relayed_at.is_not(None)),
        ),
    )


def thread_seen_by(party_id: int | None) -> Any:
    """A thread a party's liaison may see: their party raised it, or one of its messages
    reached them (sent by them or relayed to them)."""
    if party_id is None:
        return false()
    reached = exists().where(M.thread_id == T.id, _message_seen_by(party_id))
    return or_(T.origin_party_id == party_id, reached)


def thread(session: Session, thread_id: int, party_id: int | None, wall: bool) -> T | None:
    """One thread; behind the wall (a liaison) only if their party may see it."""
    query = select(T).where(T.id == thread_id)
    if wall:
        query = query.where(thread_seen_by(party_id))
    return session.scalars(query).first()


def lock_thread(session: Session, thread_id: int) -> T | None:
    """One thread, locked for an update (PostgreSQL; SQLite writes one at a time)."""
    return session.scalars(select(T).where(T.id == thread_id).with_for_update()).first()


def threads(
    session: Session,
    party_id: int | None,
    wall: bool,
    status: str | None,
    about_party: int | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[T]:
    """A page of threads, newest first, behind the wall when `wall` is set."""
    query = select(T)
    if wall:
        query = query.where(thread_seen_by(party_id))
    if status:
        query = query.where(T.status == status)
    if about_party is not None:
        query = query.where(
            or_(T.origin_party_id == about_party, T.recipient_party_id == about_party)
        )
    if after is not None:
        at, last = after
        query = query.where(or_(T.opened_at < at, and_(T.opened_at == at, T.id < last)))
    return session.scalars(query.order_by(T.opened_at.desc(), T.id.desc()).limit(limit)).all()


def messages(session: Session, thread_id: int, party_id: int | None, wall: bool) -> Sequence[M]:
    """A thread's messages in the order they were received; behind the wall only those the
    party may see."""
    query = select(M).where(M.thread_id == thread_id)
    if wall:
        query = query.where(_message_seen_by(party_id)) if party_id else query.where(false())
    return session.scalars(query.order_by(M.received_at, M.id)).all()


def message(session: Session, message_id: int, party_id: int | None, wall: bool) -> M | None:
    """One message, locked for an update; behind the wall only if the party may see it."""
    query = select(M).where(M.id == message_id)
    if wall:
        query = query.where(_message_seen_by(party_id)) if party_id else query.where(false())
    return session.scalars(query.with_for_update()).first()


def clocks(session: Session) -> list[tuple[M, str]]:
    """Relayed, non-internal messages to a party in threads still open, with the party's code."""
    query = (
        select(M, Party.code)
        .join(T, T.id == M.thread_id)
        .join(Party, Party.id == M.recipient_party_id)
        .where(M.internal.is_(False), M.relayed_at.is_not(None), T.status != "closed")
    )
    return [(m, code) for m, code in session.execute(query)]


def relayed_between(session: Session, start: datetime, end: datetime) -> list[tuple[M, str]]:
    """Non-internal messages relayed to a party in [start, end), with the party's code."""
    query = (
        select(M, Party.code)
        .join(Party, Party.id == M.recipient_party_id)
        .where(M.internal.is_(False), M.relayed_at >= start, M.relayed_at < end)
    )
    return [(m, code) for m, code in session.execute(query)]


def raised(session: Session) -> set[tuple[int, str]]:
    """(message id, kind) of every escalation ever raised."""
    return {(r.message_id, r.kind) for r in session.execute(select(E.message_id, E.kind))}


def open_escalations(
    session: Session, message_ids: Sequence[int], kinds: Sequence[str]
) -> Sequence[E]:
    """Uncleared escalations of these messages and kinds."""
    if not message_ids:
        return []
    query = select(E).where(
        E.message_id.in_(message_ids), E.kind.in_(kinds), E.cleared_at.is_(None)
    )
    return session.scalars(query.order_by(E.id)).all()


def escalations(session: Session, include_cleared: bool, limit: int) -> list[tuple[E, M, T]]:
    """Escalations newest first, with their message and thread."""
    query = select(E, M, T).join(M, M.id == E.message_id).join(T, T.id == M.thread_id)
    if not include_cleared:
        query = query.where(E.cleared_at.is_(None))
    query = query.order_by(E.raised_at.desc(), E.id.desc()).limit(limit)
    return [(e, m, t) for e, m, t in session.execute(query)]


def thread_escalations(session: Session, thread_id: int) -> Sequence[E]:
    """Every escalation of a thread's messages."""
    query = select(E).join(M, M.id == E.message_id).where(M.thread_id == thread_id)
    return session.scalars(query.order_by(E.id)).all()


def party_by_code(session: Session, code: str) -> Party | None:
    """The party with this code, or None."""
    return session.scalars(select(Party).where(Party.code == code)).first()


def parties(session: Session) -> Sequence[Party]:
    """Every party, by code."""
    return session.scalars(select(Party).order_by(Party.code)).all()
