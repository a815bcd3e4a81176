"""SQL shared by the simple nouns (zones, places, posts, parties, ...): get and list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store.tables import Base

T = TypeVar("T", bound=Base)


def get_by(session: Session, cls: type[T], **where: Any) -> T | None:
    """The one row matching equality conditions, or None."""
    query = select(cls).filter_by(**where).limit(1)
    return session.scalars(query).first()


def list_all(session: Session, cls: type[T], order_by: Any) -> Sequence[T]:
    """Every row of a small table, in a stable order."""
    return session.scalars(select(cls).order_by(order_by)).all()


def existing(session: Session, column: Any, values: Sequence[Any]) -> set[Any]:
    """Which of the given values a (unique) column already holds, queried in chunks."""
    found: set[Any] = set()
    for start in range(0, len(values), 500):
        chunk = list(values[start : start + 500])
        found.update(session.scalars(select(column).where(column.in_(chunk))).all())
    return found
