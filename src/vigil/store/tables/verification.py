"""Verification: review steps, reviewers, the review policy, sources' default reliability."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class IncidentReview(Base):
    """One step of an incident's review: from which status to which, why, by whom, under which
    rule of the mission's review policy."""

    __tablename__ = "incident_review"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    # What the policy check found (the rule that was met, or why none had to be).
    check: Mapped[dict[str, Any]] = mapped_column(JSON)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_incident_review_incident", "incident_id"),)


class ReviewAssignment(Base):
    """Who reviews an incident (one reviewer at a time)."""

    __tablename__ = "review_assignment"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_review_assignment_reviewer", "reviewer_id"),)


class ReviewPolicy(Base):
    """The mission's rules for reaching a review status, e.g. verified needs two independent
    sources or one monitor's direct sighting (one row; data, never code)."""

    __tablename__ = "review_policy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SourceProfile(Base):
    """The default reliability (Admiralty A-F) of a source: a post, a patrol, a sensor, a
    monitor or a third party (media, a party's statement); key "*" is the default of its kind."""

    __tablename__ = "source_profile"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    reliability: Mapped[str] = mapped_column(String(1))
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("kind", "key"),)


class AttributionEvidence(Base):
    """One piece of evidence an attribution rests on: an observation of the incident, a crater
    analysis, a bearing pointing from a party's side, a document. The attribution itself is on
    the incident row (party and confidence); these rows say why."""

    __tablename__ = "attribution_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    kind: Mapped[str] = mapped_column(String(32))  # observation, crater_analysis, bearing, ...
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observation.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the attribution it supported was withdrawn or replaced: kept, never deleted.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_attribution_evidence_incident", "incident_id"),)


class AttributionPolicy(Base):
    """The lowest attribution confidence the mission's reports show (one row)."""

    __tablename__ = "attribution_policy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    min_published_confidence: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
