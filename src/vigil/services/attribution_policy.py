"""The lowest attribution confidence the mission's reports show: read by every report, set
by the head of mission; "high" until one is set."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import attribution as rules
from vigil.domain.roles import ATTRIBUTION_PUBLISHERS, INTERNAL
from vigil.queries import attribution as attribution_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import AttributionPolicy

FIELD = "min_published_confidence"


def minimum_published(session: Session) -> str:
    """The minimum in force (the default when none is stored)."""
    row = attribution_q.policy(session)
    if row is None or row.min_published_confidence not in rules.CONFIDENCES:
        return rules.DEFAULT_MIN_PUBLISHED
    return row.min_published_confidence


def get_policy(session: Session, who: Principal | None) -> tuple[str, bool]:
    """The minimum in force and whether it is the default (internal roles)."""
    require(who, INTERNAL)
    return minimum_published(session), attribution_q.policy(session) is None


def set_policy(session: Session, who: Principal | None, minimum: Any) -> str:
    """Set the minimum (head of mission); audited as `attribution.policy`, unless unchanged."""
    who = require(who, ATTRIBUTION_PUBLISHERS)
    level = rules.check_confidence(minimum, FIELD)
    row = attribution_q.policy(session)
    now = datetime.now(UTC)
    if row is None:
        row = AttributionPolicy(
            min_published_confidence=level, updated_by=who.user_id or None, updated_at=now
        )
        session.add(row)
        session.flush()
        Auditor(session, who.actor, now).created("attribution.policy", row)
        return level
    if row.min_published_confidence == level:
        return level
    before = row_values(row)
    row.min_published_confidence = level
    row.updated_by = who.user_id or None
    row.updated_at = now
    session.flush()
    Auditor(session, who.actor, now).changed("attribution.policy", row, before)
    return level
