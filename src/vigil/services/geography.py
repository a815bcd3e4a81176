"""The mission's geography: zones, places and posts, added one at a time or by file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from vigil.domain.geography import PlaceDraft, PostDraft, ZoneDraft
from vigil.domain.roles import ADMINS, INTERNAL
from vigil.errors import FieldError, VigilError
from vigil.queries.common import existing, get_by, list_all
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.tables import Base, Place, Post, Zone

T = TypeVar("T", bound=Base)


def _add_all(
    session: Session,
    who: Principal | None,
    cls: type[T],
    drafts: Sequence[Any],
    to_row: Callable[[Any], T],
    action: str,
) -> list[T]:
    """Insert drafts all-or-nothing; codes must be new and not repeated."""
    who = require(who, ADMINS)
    codes = [d.code for d in drafts]
    repeated = [c for c, n in Counter(codes).items() if n > 1]
    taken = existing(session, cls.code, codes)  # type: ignore[attr-defined]
    errors = [FieldError("code", f"{c!r} appears twice") for c in repeated]
    errors += [FieldError("code", f"{c!r} exists already") for c in sorted(taken)]
    if errors:
        raise VigilError("already_exists", errors[0].message, errors[:100])
    rows = [to_row(d) for d in drafts]
    session.add_all(rows)
    session.flush()
    audit = Auditor(session, who.actor)
    for row in rows:
        audit.created(action, row)
    return rows


def _zone(d: ZoneDraft) -> Zone:
    min_lon, min_lat, max_lon, max_lat = d.bbox()
    return Zone(
        code=d.code,
        kind=d.kind,
        names=d.names,
        description=d.description,
        geometry=d.geometry,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )


def _place(d: PlaceDraft) -> Place:
    return Place(
        code=d.code,
        kind=d.kind,
        names=d.names,
        aliases=d.aliases,
        search_text=d.search_text(),
        lat=d.lat,
        lon=d.lon,
    )


def _post(d: PostDraft) -> Post:
    return Post(active=True, **d.model_dump())


def add_zones(session: Session, who: Principal | None, drafts: Sequence[ZoneDraft]) -> list[Zone]:
    """Add zones (geometry already validated by the draft)."""
    return _add_all(session, who, Zone, drafts, _zone, "zone.add")


def add_places(
    session: Session, who: Principal | None, drafts: Sequence[PlaceDraft]
) -> list[Place]:
    """Add gazetteer places."""
    return _add_all(session, who, Place, drafts, _place, "place.add")


def add_posts(session: Session, who: Principal | None, drafts: Sequence[PostDraft]) -> list[Post]:
    """Add observation posts, cameras and sensors."""
    return _add_all(session, who, Post, drafts, _post, "post.add")


def list_of(session: Session, who: Principal | None, cls: type[T]) -> Sequence[T]:
    """Every zone, place or post, by code, for internal roles."""
    require(who, INTERNAL)
    return list_all(session, cls, cls.code)  # type: ignore[attr-defined]


def one_of(session: Session, who: Principal | None, cls: type[T], code: str) -> T:
    """One zone, place or post by code, for internal roles."""
    require(who, INTERNAL)
    row = get_by(session, cls, code=code)
    if row is None:
        raise VigilError("not_found", f"no {cls.__tablename__} {code!r}")
    return row
