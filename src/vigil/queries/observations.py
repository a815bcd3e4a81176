"""SQL of observations: idempotency look-ups, bulk insert, filtered cursor pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, text
from sqlalchemy.orm import Session

from vigil.store.tables import Observation, Post


@dataclass(frozen=True)
class ObservationFilter:
    """What a list of observations is restricted to; None means no restriction."""

    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    time_from: datetime | None = None
    time_to: datetime | None = None
    category: str | None = None  # a code; its descendants match too
    observer: str | None = None  # post code or observer name
    status: str | None = None


def fingerprints(session: Session, client_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
    """For client ids already stored: client id -> (id, fingerprint)."""
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(client_ids), 500):
        chunk = list(client_ids[start : start + 500])
        rows = session.execute(
            select(Observation.client_id, Observation.id, Observation.fingerprint).where(
                Observation.client_id.in_(chunk)
            )
        )
        found.update({r.client_id: (r.id, r.fingerprint) for r in rows})
    return found


def _new_ids(session: Session, n: int) -> list[int]:
    """Reserve n ids. PostgreSQL draws them from the sequence; on SQLite the writer holds
    the database's write lock (BEGIN IMMEDIATE), so the ids after the largest are free."""
    if session.get_bind().dialect.name == "postgresql":
        draw = text(
            "SELECT nextval(pg_get_serial_sequence('observation', 'id'))"
            " FROM generate_series(1, :n)"
        )
        return list(session.scalars(draw, {"n": n}))
    start = int(session.scalar(select(func.coalesce(func.max(Observation.id), 0))) or 0)
    return list(range(start + 1, start + n + 1))


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows (given ids reserved first) in one executemany; returns the ids in order.

    Reserving ids avoids both RETURNING (on SQLite, an ordered RETURNING inserts one row per
    statement) and reading the ids back afterwards."""
    if not rows:
        return []
    ids = _new_ids(session, len(rows))
    session.execute(
        insert(Observation.__table__), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)]
    )
    return ids


def by_ids(session: Session, ids: Sequence[int]) -> list[Observation]:
    """Observations by id, in the order of the ids given (missing ones left out)."""
    found: dict[int, Observation] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found.update(
            {o.id: o for o in session.scalars(select(Observation).where(Observation.id.in_(chunk)))}
        )
    return [found[i] for i in ids if i in found]


def category_condition(column: Any, code: str) -> Any:
    """A category and all its descendants (codes are dotted paths)."""
    return or_(column == code, column.like(code.replace("%", r"\%") + ".%", escape="\\"))


def _conditions(f: ObservationFilter) -> list[Any]:
    where: list[Any] = []
    if f.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = f.bbox
        where += [Observation.est_lon.between(min_lon, max_lon)]
        where += [Observation.est_lat.between(min_lat, max_lat)]
    if f.time_from is not None:
        where.append(Observation.observed_at >= f.time_from)
    if f.time_to is not None:
        where.append(Observation.observed_at < f.time_to)
    if f.category:
        where.append(category_condition(Observation.category, f.category))
    if f.observer:
        post_ids = select(Post.id).where(Post.code == f.observer).scalar_subquery()
        where.append(
            or_(Observation.post_id.in_(post_ids), Observation.observer_name == f.observer)
        )
    if f.status:
        where.append(Observation.status == f.status)
    return where


def _paged(query: Any, f: ObservationFilter, after: tuple[datetime, int] | None, limit: int) -> Any:
    """Filters, cursor, (observed_at, id) order and limit, on any select of observations."""
    query = query.where(*_conditions(f))
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                Observation.observed_at > at,
                and_(Observation.observed_at == at, Observation.id > last_id),
            )
        )
    return query.order_by(Observation.observed_at, Observation.id).limit(limit)


def page(
    session: Session, f: ObservationFilter, after: tuple[datetime, int] | None, limit: int
) -> Sequence[Observation]:
    """One page in (observed_at, id) order, starting after a cursor position."""
    return session.scalars(_paged(select(Observation), f, after, limit)).all()


def page_values(
    session: Session, f: ObservationFilter, after: tuple[datetime, int] | None, limit: int
) -> list[dict[str, Any]]:
    """The same page as column values: no ORM objects, a third cheaper for long API pages."""
    query = _paged(select(Observation.__table__), f, after, limit)
    return [dict(row) for row in session.execute(query).mappings()]


def post_codes(session: Session) -> dict[int, str]:
    """Post id -> code, for rendering observations."""
    return {r.id: r.code for r in session.execute(select(Post.id, Post.code))}
