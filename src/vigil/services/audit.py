"""Audit beside the write: every state change appends a hash-chained event in its transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain.audit_chain import EventContent, canonical
from vigil.queries import audit as audit_q
from vigil.store.snapshots import entity_id, entity_type, row_values, snapshot
from vigil.store.tables import Base, audited_tables

_AUDITED_KINDS = frozenset(entity_type(cls) for cls in audited_tables())


class Auditor:
    """Appends events for one actor within one transaction, keeping the chain head."""

    def __init__(self, session: Session, actor: str, now: datetime | None = None) -> None:
        self.session = session
        self.actor = actor
        self.at = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._head: tuple[int, str] | None = None

    def _next(self) -> tuple[int, str]:
        if self._head is None:
            audit_q.lock_chain(self.session)
            self._head = audit_q.head(self.session)
        return self._head

    def _event(self, action: str, kind: str, key: str, before: Any, after: Any) -> dict[str, Any]:
        seq, prev = self._next()
        before_text = None if before is None else canonical(before).decode()
        after_text = None if after is None else canonical(after).decode()
        content = EventContent(
            seq + 1, self.at, self.actor, action, kind, key, before_text, after_text
        )
        digest = content.hash_with(prev)
        self._head = (seq + 1, digest)
        return {
            "seq": seq + 1,
            "at": self.at,
            "actor": self.actor,
            "action": action,
            "entity_type": kind,
            "entity_id": key,
            "before": before_text,
            "after": after_text,
            "prev_hash": prev,
            "hash": digest,
        }

    def created(self, action: str, row: Base) -> None:
        """Record a row that was just inserted and flushed."""
        self.created_many(action, type(row), [row_values(row)])

    def created_many(self, action: str, cls: type[Base], rows: Iterable[Mapping[str, Any]]) -> None:
        """Record many inserted rows (complete column values, ids included) at once."""
        kind = entity_type(cls)
        events = [
            self._event(action, kind, entity_id(cls, v), None, snapshot(cls, v)) for v in rows
        ]
        audit_q.append(self.session, events)

    def deleted_many(self, action: str, cls: type[Base], rows: Iterable[Mapping[str, Any]]) -> None:
        """Record rows about to be deleted (complete column values), so verify expects them gone."""
        kind = entity_type(cls)
        events = [
            self._event(action, kind, entity_id(cls, v), snapshot(cls, v), None) for v in rows
        ]
        audit_q.append(self.session, events)

    def changed(self, action: str, row: Base, before: Mapping[str, Any]) -> None:
        """Record an update: the row's values before (from row_values) and now (flushed)."""
        cls = type(row)
        after = row_values(row)
        event = self._event(
            action,
            entity_type(cls),
            entity_id(cls, after),
            snapshot(cls, before),
            snapshot(cls, after),
        )
        audit_q.append(self.session, [event])

    def noted(self, action: str, kind: str, key: str, details: Mapping[str, Any]) -> None:
        """Record an event that changes no audited row (a login, a demo load)."""
        if kind in _AUDITED_KINDS:
            raise ValueError(f"{kind!r} is an audited table: record its rows, not a note")
        audit_q.append(self.session, [self._event(action, kind, key, None, dict(details))])
