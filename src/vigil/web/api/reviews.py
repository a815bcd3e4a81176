"""Reviews of incidents: move them through the review states, in bulk, assign reviewers,
the queue, each incident's review history and the mission's review policy."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy.orm import Session

from vigil.domain.roles import ADMINS, ANALYSTS, INTERNAL
from vigil.queries import reviews as reviews_q
from vigil.services import review_policy, review_queue, reviews
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.store.tables import IncidentReview
from vigil.web import cursor
from vigil.web.api.filters import BBOX, CURSOR, FROM, LIMIT, TO, check_aware, parse_bbox
from vigil.web.deps import allow, database
from vigil.web.schemas.reviews import (
    AssignedOut,
    AssignIn,
    AssignmentOut,
    BulkReviewedOut,
    BulkReviewIn,
    FieldErrorOut,
    PolicyIn,
    PolicyOut,
    QueueItemOut,
    QueuePage,
    ReviewedOut,
    ReviewHistoryOut,
    ReviewIn,
    ReviewStepOut,
)

router = APIRouter(prefix="/api/v1", tags=["reviews"])
QUEUE_READERS = ANALYSTS | ADMINS
POLICY_SETTERS = review_policy.POLICY_SETTERS
IF_MATCH = Header(
    None,
    alias="If-Match",
    max_length=200,
    description="The ETag of the incident as you loaded it (GET /api/v1/incidents/{id}).",
)


def _steps(session: Session, rows: list[IncidentReview]) -> list[ReviewStepOut]:
    names = reviews_q.user_names(session, [r.reviewed_by for r in rows])
    return [ReviewStepOut.of(r, names) for r in rows]


def _reviewed(session: Session, done: reviews.Reviewed) -> ReviewedOut:
    return ReviewedOut(
        incident_id=done.incident.id,
        status=done.incident.status,
        etag=done.etag,
        review=_steps(session, [done.review])[0],
    )


@router.post("/incidents/{incident_id}/review", response_model=ReviewedOut)
def review_incident(
    incident_id: int,
    body: ReviewIn,
    response: Response,
    if_match: str | None = IF_MATCH,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> ReviewedOut:
    """Move an incident to a review status. If-Match is required: a stale ETag is a 409
    naming who changed the incident and when, and nothing is written."""
    with db.writing() as session:
        done = reviews.review_incident(
            session, who, incident_id, body.status, body.reason, if_match
        )
        out = _reviewed(session, done)
    response.headers["ETag"] = f'"{out.etag}"'
    return out


@router.post("/reviews/bulk", response_model=BulkReviewedOut)
def bulk_review(
    body: BulkReviewIn, who: Principal = allow(ANALYSTS), db: Database = Depends(database)
) -> BulkReviewedOut:
    """Move many incidents to one status: all of them or none (each refusal named), or with
    `partial` those the rules allow, the others named under `refused`."""
    items = [(i.incident_id, i.etag) for i in body.items]
    with db.writing() as session:
        done = reviews.bulk_review(session, who, items, body.status, body.reason, body.partial)
        return BulkReviewedOut(
            items=[_reviewed(session, d) for d in done.done],
            refused=[FieldErrorOut(field=f.field, message=f.message) for f in done.refused],
        )


@router.post("/reviews/assign", response_model=AssignedOut)
def assign(
    body: AssignIn, who: Principal = allow(ANALYSTS), db: Database = Depends(database)
) -> AssignedOut:
    """Make an analyst or the head of mission the reviewer of these incidents."""
    with db.writing() as session:
        rows = review_queue.assign_reviewer(session, who, body.incident_ids, body.username)
        return AssignedOut(items=[AssignmentOut.of(r, body.username) for r in rows])


@router.get("/reviews/queue", response_model=QueuePage)
def queue(
    reviewer: str | None = Query(None, max_length=64, description="'me' or a user name."),
    status: list[str] = Query(
        [], max_length=5, description="Review states (default: reported and under_review)."
    ),
    category: str | None = Query(None, max_length=100, description="Code; descendants match"),
    bbox: str | None = BBOX,
    zone: str | None = Query(None, max_length=64, description="A zone's code: inside it."),
    time_from: datetime | None = FROM,
    time_to: datetime | None = TO,
    limit: int = LIMIT,
    after: str | None = CURSOR,
    who: Principal = allow(QUEUE_READERS),
    db: Database = Depends(database),
) -> QueuePage:
    """Incidents awaiting review, oldest first (by start time, then id), with filters."""
    q = review_queue.QueueRequest(
        reviewer=reviewer,
        statuses=tuple(status) or review_queue.OPEN_STATES,
        category=category,
        bbox=parse_bbox(bbox),
        time_from=check_aware("from", time_from),
        time_to=check_aware("to", time_to),
        zone=zone,
    )
    position = cursor.decode(after)
    with db.reading() as session:
        rows = review_queue.review_queue(session, who, q, position, limit)
        names = review_queue.reviewer_names(session, [r.id for r in rows])
        items = [QueueItemOut.of(r, names.get(r.id), reviews.incident_etag(r)) for r in rows]
        nxt = cursor.encode(rows[-1].started_at, rows[-1].id) if len(rows) == limit else None
    return QueuePage(items=items, next_cursor=nxt)


@router.get("/incidents/{incident_id}/reviews", response_model=ReviewHistoryOut)
def history(
    incident_id: int,
    response: Response,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> ReviewHistoryOut:
    """An incident's review steps, oldest first, with its current status and ETag."""
    with db.reading() as session:
        steps = reviews.review_history(session, who, incident_id)
        incident = reviews.load_for_review(session, who, incident_id)
        etag = reviews.incident_etag(incident)
        out = ReviewHistoryOut(
            incident_id=incident_id, status=incident.status, etag=etag, items=_steps(session, steps)
        )
    response.headers["ETag"] = f'"{etag}"'
    return out


@router.get("/review-policy", response_model=PolicyOut)
def get_policy(who: Principal = allow(INTERNAL), db: Database = Depends(database)) -> PolicyOut:
    """The review policy in force (Vigil's default until one is set)."""
    with db.reading() as session:
        rules, default = review_policy.get_policy(session, who)
    return PolicyOut(rules=rules, default=default)


@router.put("/review-policy", response_model=PolicyOut)
def put_policy(
    body: PolicyIn, who: Principal = allow(POLICY_SETTERS), db: Database = Depends(database)
) -> PolicyOut:
    """Replace the review policy; a fault anywhere refuses all of it (422 naming the path)."""
    with db.writing() as session:
        rules = review_policy.set_policy(session, who, body.rules)
    return PolicyOut(rules=rules, default=False)
