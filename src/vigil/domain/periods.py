"""Time ranges asked for by people and scripts: checked one way everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from vigil.errors import invalid

LONGEST = timedelta(days=3660)  # ten years: more is a typo, not a question


def check_range(time_from: datetime, time_to: datetime, doing: str) -> None:
    """Refuse a range without UTC offsets, empty or reversed, or longer than ten years."""
    if time_from.tzinfo is None or time_to.tzinfo is None:
        raise invalid("from", "give times with a UTC offset", "invalid_range")
    if time_to <= time_from:
        raise invalid("to", "the end must be after the start", "invalid_range")
    if time_to - time_from > LONGEST:
        raise invalid("to", f"{doing} at most ten years at once", "invalid_range")
