"""Who reviews what: assigning reviewers and each analyst's queue, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from vigil.domain import review as rules
from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import reviews as reviews_q
from vigil.queries.common import get_by
from vigil.services.access import Principal, require, system_principal
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Incident, ReviewAssignment, Zone

MAX_ASSIGN = 500
OPEN_STATES: tuple[str, ...] = (rules.REPORTED, rules.UNDER_REVIEW)


@dataclass(frozen=True)
class QueueRequest:
    """What the caller asks of the queue: whose (None, "me" or a user name) and which."""

    reviewer: str | None = None
    statuses: tuple[str, ...] = OPEN_STATES
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None
    zone: str | None = None  # a zone's code: incidents located inside it


def assign_reviewer(
    session: Session, who: Principal | None, incident_ids: Sequence[int], username: str
) -> list[ReviewAssignment]:
    """Make one analyst (or the head of mission) the reviewer of these incidents."""
    who = require(who, ANALYSTS)
    ids = list(dict.fromkeys(incident_ids))
    if not ids:
        raise invalid("incident_ids", "name at least one incident")
    if len(ids) > MAX_ASSIGN:
        raise VigilError("batch_too_large", f"at most {MAX_ASSIGN} incidents at once")
    user = accounts_q.user_by_name(session, username)
    if user is None:
        raise invalid("username", f"no user {username!r}", "unknown_reference")
    if user.disabled or user.role not in {r.value for r in ANALYSTS}:
        raise invalid("username", f"{username} is not an active analyst or head of mission")
    missing = [i for i in ids if session.get(Incident, i) is None]
    if missing:
        raise invalid("incident_ids", f"no incidents {missing[:20]}", "unknown_reference")
    audit = Auditor(session, who.actor)
    return [_assign(session, audit, who, i, user.id) for i in ids]


def _assign(
    session: Session, audit: Auditor, who: Principal, incident_id: int, reviewer_id: int
) -> ReviewAssignment:
    now = datetime.now(UTC)
    row = reviews_q.assignment(session, incident_id)
    if row is None:
        row = ReviewAssignment(
            incident_id=incident_id, reviewer_id=reviewer_id,
            assigned_by=who.user_id or None, assigned_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.created("review.assign", row)
        return row
    if row.reviewer_id == reviewer_id:
        return row
    before = row_values(row)
    row.reviewer_id, row.assigned_by, row.assigned_at = reviewer_id, who.user_id or None, now
    session.flush()
    audit.changed("review.assign", row, before)
    return row


def review_queue(
    session: Session,
    who: Principal | None,
    q: QueueRequest,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Incident]:
    """Incidents awaiting review, oldest first (by start, then id), for internal roles."""
    who = require(who, INTERNAL)
    unknown = [s for s in q.statuses if s not in rules.STATES]
    if unknown:
        raise invalid("status", f"not review states: {unknown} (known: {', '.join(rules.STATES)})")
    reviewer_id = _reviewer_id(session, who, q.reviewer)
    zone = _zone_shape(session, q.zone) if q.zone else None
    f = reviews_q.QueueFilter(
        q.statuses, reviewer_id, q.category, q.bbox, q.time_from, q.time_to, zone
    )
    return list(reviews_q.queue(session, f, after, limit))


def _zone_shape(session: Session, code: str) -> BaseGeometry:
    zone = get_by(session, Zone, code=code)
    if zone is None:
        raise invalid("zone", f"no zone {code!r}", "unknown_reference")
    return shape(zone.geometry)


def _reviewer_id(session: Session, who: Principal, reviewer: str | None) -> int | None:
    if not reviewer:
        return None
    if reviewer == "me":
        return who.user_id
    user = accounts_q.user_by_name(session, reviewer)
    if user is None:
        raise invalid("reviewer", f"no user {reviewer!r}", "unknown_reference")
    return user.id


def reviewer_names(session: Session, incident_ids: Sequence[int]) -> dict[int, str]:
    """Incident id -> its reviewer's user name (for listing)."""
    return reviews_q.reviewers(session, incident_ids)


def acting_user(session: Session, username: str) -> Principal:
    """The account a console command acts as (`--as USER`): it must exist and be enabled."""
    user = accounts_q.user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    if user.disabled:
        raise VigilError("forbidden", f"user {username!r} is disabled")
    return system_principal(user)
