"""The mission's review policy: what each review status needs, read and set as data."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import review as rules
from vigil.domain.roles import INTERNAL, Role
from vigil.queries import reviews as reviews_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import ReviewPolicy

POLICY_SETTERS: frozenset[Role] = frozenset({Role.head_of_mission, Role.admin})


def current_policy(session: Session) -> dict[str, Any]:
    """The stored policy, or the default when none is stored."""
    row = reviews_q.policy(session)
    return copy.deepcopy(row.rules if row is not None else rules.DEFAULT_POLICY)


def get_policy(session: Session, who: Principal | None) -> tuple[dict[str, Any], bool]:
    """The policy in force and whether it is the default (internal roles)."""
    require(who, INTERNAL)
    return current_policy(session), reviews_q.policy(session) is None


def set_policy(session: Session, who: Principal | None, policy: Any) -> dict[str, Any]:
    """Replace the policy (head of mission or admin); refused as a whole if any part is wrong."""
    who = require(who, POLICY_SETTERS)
    checked = rules.validate_policy(policy)
    row = reviews_q.policy(session)
    now = datetime.now(UTC)
    audit = Auditor(session, who.actor, now)
    if row is None:
        row = ReviewPolicy(rules=checked, updated_by=who.user_id or None, updated_at=now)
        session.add(row)
        session.flush()
        audit.created("review.policy", row)
        return checked
    before = row_values(row)
    row.rules = checked
    row.updated_by = who.user_id or None
    row.updated_at = now
    session.flush()
    audit.changed("review.policy", row, before)
    return checked
