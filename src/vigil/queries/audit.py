"""SQL of the audit log: the chain head, appends and reading it back in order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from vigil.domain.audit_chain import GENESIS
from vigil.store.tables import AuditEvent

# Any constant: PostgreSQL writers take this lock so the chain never forks.
_CHAIN_LOCK = 7_301_202_011


def lock_chain(session: Session) -> None:
    """Serialise appends. SQLite writers already hold the write lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})


def head(session: Session) -> tuple[int, str]:
    """The last event's sequence number and hash, or (0, GENESIS) for an empty log."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (int(row.seq), str(row.hash)) if row else (0, GENESIS)


def append(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Insert events (already hashed) in one Core statement (no ORM work per row)."""
    if events:
        session.execute(insert(AuditEvent.__table__), list(events))


def iter_all(session: Session, chunk: int = 5000) -> Iterator[AuditEvent]:
    """Every event in sequence order, read in chunks so a long log never sits in memory."""
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(chunk)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def count(session: Session) -> int:
    """How many events the log holds."""
    return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def page(
    session: Session,
    after_seq: int,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> Sequence[AuditEvent]:
    """Events after a sequence number, optionally about one entity."""
    query = select(AuditEvent).where(AuditEvent.seq > after_seq)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    return session.scalars(query.order_by(AuditEvent.seq).limit(limit)).all()


def last_for(session: Session, entity_type: str, entity_id: str) -> AuditEvent | None:
    """The latest event about one entity."""
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
