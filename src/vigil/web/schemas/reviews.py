"""What goes over the wire about reviews: steps, the queue, assignments and the policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vigil.store.tables import Incident, IncidentReview, ReviewAssignment


class ReviewIn(BaseModel):
    """A move of one incident to a review status; the ETag goes in If-Match."""

    model_config = {"extra": "forbid"}
    status: str = Field(max_length=32, description="reported, under_review, corroborated, ...")
    reason: str = Field("", max_length=2000, description="Required going back and to refuted.")


class BulkItemIn(BaseModel):
    """One incident of a bulk move, with the ETag the caller loaded it with."""

    model_config = {"extra": "forbid"}
    incident_id: int
    etag: str = Field(max_length=200)


class BulkReviewIn(BaseModel):
    """Many incidents to one status: all are moved, or none; with `partial`, those the rules
    allow are moved and the others named."""

    model_config = {"extra": "forbid"}
    items: list[BulkItemIn] = Field(min_length=1, max_length=500)
    status: str = Field(max_length=32)
    reason: str = Field("", max_length=2000)
    partial: bool = False


class AssignIn(BaseModel):
    """Incidents to give one reviewer (an analyst or the head of mission)."""

    model_config = {"extra": "forbid"}
    incident_ids: list[int] = Field(min_length=1, max_length=500)
    username: str = Field(max_length=64)


class PolicyIn(BaseModel):
    """The review policy: status -> {"any_of": [rule, ...]} (see docs/review.md)."""

    model_config = {"extra": "forbid"}
    rules: dict[str, Any]


class ReviewStepOut(BaseModel):
    """One step of an incident's review: the move, why, the policy check, who and when."""

    id: int
    incident_id: int
    from_status: str
    to_status: str
    reason: str
    check: dict[str, Any] = Field(description="The rule met (or none needed) and the pin.")
    reviewed_by: str | None
    reviewed_at: datetime

    @classmethod
    def of(cls, r: IncidentReview, names: dict[int, str]) -> ReviewStepOut:
        """From a stored step; `names` maps user ids to user names."""
        return cls(
            id=r.id, incident_id=r.incident_id, from_status=r.from_status,
            to_status=r.to_status, reason=r.reason, check=r.check,
            reviewed_by=names.get(r.reviewed_by) if r.reviewed_by else None,
            reviewed_at=r.reviewed_at,
        )  # fmt: skip


class ReviewedOut(BaseModel):
    """An incident after a review step, with its new ETag for the next step."""

    incident_id: int
    status: str
    etag: str = Field(description="The incident's ETag now (send it as If-Match next time).")
    review: ReviewStepOut


class FieldErrorOut(BaseModel):
    """An item a partial bulk move left as it was, and why."""

    field: str
    message: str


class BulkReviewedOut(BaseModel):
    """Every incident a bulk move changed, and (with `partial`) those it refused."""

    items: list[ReviewedOut]
    refused: list[FieldErrorOut] = []


class ReviewHistoryOut(BaseModel):
    """An incident's review steps, oldest first."""

    incident_id: int
    status: str
    etag: str
    items: list[ReviewStepOut]


class AssignmentOut(BaseModel):
    """Who reviews an incident."""

    incident_id: int
    reviewer: str
    assigned_at: datetime

    @classmethod
    def of(cls, a: ReviewAssignment, reviewer: str) -> AssignmentOut:
        """From a stored assignment."""
        return cls(incident_id=a.incident_id, reviewer=reviewer, assigned_at=a.assigned_at)


class AssignedOut(BaseModel):
    """The assignments made."""

    items: list[AssignmentOut]


class QueueItemOut(BaseModel):
    """An incident in the review queue, with what a bulk move needs (its ETag)."""

    id: int
    status: str
    category: str
    started_at: datetime
    ended_at: datetime
    lat: float | None
    lon: float | None
    count: int
    reviewer: str | None
    etag: str

    @classmethod
    def of(cls, i: Incident, reviewer: str | None, etag: str) -> QueueItemOut:
        """From an incident row."""
        return cls(
            id=i.id, status=i.status, category=i.category, started_at=i.started_at,
            ended_at=i.ended_at, lat=i.lat, lon=i.lon, count=i.count, reviewer=reviewer,
            etag=etag,
        )  # fmt: skip


class QueuePage(BaseModel):
    """One page of the queue, oldest first."""

    items: list[QueueItemOut]
    next_cursor: str | None


class PolicyOut(BaseModel):
    """The review policy in force, and whether it is Vigil's default."""

    rules: dict[str, Any]
    default: bool
