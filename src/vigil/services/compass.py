"""What turning a compass bearing to true north needs from the database: where the posts
are, for a bearing taken from a post whose position the report does not repeat."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.domain.compass import PostPositions
from vigil.queries.common import list_all
from vigil.store.tables import Post


def post_positions(session: Session) -> PostPositions:
    """Every post's (lat, lon) by code, active or not (recording accepts either)."""
    return {p.code: (p.lat, p.lon) for p in list_all(session, Post, Post.code)}
