"""SQL the simulator needs: where the data so far ends, and the next free truth-event id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.store.tables import Observation, TruthEvent


def latest_observed_at(session: Session) -> datetime | None:
    """When the latest observation in the database was made, or None when there is none."""
    return session.scalar(select(func.max(Observation.observed_at)))


def next_truth_event_id(session: Session) -> int:
    """The id after the largest truth-event id (rows are inserted with explicit ids)."""
    return int(session.scalar(select(func.coalesce(func.max(TruthEvent.id), 0))) or 0) + 1
