"""Opaque pagination cursors: a position (time, id) encoded so clients cannot depend on it."""

from __future__ import annotations

import base64
from datetime import datetime

from vigil.errors import invalid


def encode(at: datetime, last_id: int) -> str:
    """A cursor pointing just after (at, last_id)."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[datetime, int] | None:
    """The position a cursor points after; a damaged cursor is a 422 on `cursor`."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, last_id = raw.partition("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive time")
        return when, int(last_id)
    except ValueError as exc:
        raise invalid("cursor", "not a cursor this server issued") from exc
