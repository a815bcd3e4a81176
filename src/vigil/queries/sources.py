"""SQL of source profiles and of what grading needs to know about an incident's reports."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigil.store.tables import Observation, Post, SourceProfile


def profiles(session: Session) -> Sequence[SourceProfile]:
    """Every profile, by kind then key."""
    return session.scalars(
        select(SourceProfile).order_by(SourceProfile.kind, SourceProfile.key)
    ).all()


def profile(session: Session, kind: str, key: str) -> SourceProfile | None:
    """The profile of one source, or None."""
    query = select(SourceProfile).where(SourceProfile.kind == kind, SourceProfile.key == key)
    return session.scalars(query).first()


def reliabilities(session: Session) -> dict[tuple[str, str], str]:
    """(kind, key) -> reliability of every profile."""
    rows = session.execute(select(SourceProfile.kind, SourceProfile.key, SourceProfile.reliability))
    return {(r.kind, r.key): r.reliability for r in rows}


def delete_profile(session: Session, profile_id: int) -> None:
    """Remove one profile row."""
    session.execute(delete(SourceProfile).where(SourceProfile.id == profile_id))


def reports_with_posts(
    session: Session, observation_ids: Sequence[int]
) -> list[tuple[Observation, Post | None]]:
    """Observations (superseded edits left out) with their post, if any, by id."""
    if not observation_ids:
        return []
    rows = session.execute(
        select(Observation, Post)
        .outerjoin(Post, Post.id == Observation.post_id)
        .where(Observation.id.in_(list(observation_ids)), Observation.status != "replaced")
        .order_by(Observation.id)
    ).all()
    return [(row[0], row[1]) for row in rows]
