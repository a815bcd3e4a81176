"""Incidents and how fusion made them: members, runs, fixes, analysts' decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import BigId, UTCDateTime


class Incident(Base):
    """A real-world event as the mission believes it happened."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("category.code"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    ellipse_major_m: Mapped[float | None] = mapped_column(Float)
    ellipse_minor_m: Mapped[float | None] = mapped_column(Float)
    ellipse_angle_deg: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    attribution_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    attribution_confidence: Mapped[str | None] = mapped_column(String(16))
    attribution_evidence: Mapped[str] = mapped_column(Text, default="")
    killed: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    damage: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The analyst who grouped it by hand; None when fusion created it.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_incident_time", "started_at"),)


class IncidentObservation(Base):
    """Which observations an incident was fused from."""

    __tablename__ = "incident_observation"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), primary_key=True)

    __table_args__ = (Index("ix_incident_observation_obs", "observation_id"),)


class FusionRun(Base):
    """One pass of fusion over a time range, and what it changed."""

    __tablename__ = "fusion_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))  # auto, cli, api, demo
    time_from: Mapped[datetime] = mapped_column(UTCDateTime)
    time_to: Mapped[datetime] = mapped_column(UTCDateTime)
    last_observation_id: Mapped[int] = mapped_column(BigId)
    observations: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    superseded: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentSummary(Base):
    """A multi-count report ("12 explosions 14:05-14:20") that also covers an incident."""

    __tablename__ = "incident_summary"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), primary_key=True)

    __table_args__ = (Index("ix_incident_summary_obs", "observation_id"),)


class IncidentFusion(Base):
    """How fusion arrived at an incident: its location fix, confidence and explanation."""

    __tablename__ = "incident_fusion"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    location_kind: Mapped[str] = mapped_column(String(16))  # point, wedge, degenerate, none
    cov_ee: Mapped[float | None] = mapped_column(Float)  # covariance, m², east/north
    cov_en: Mapped[float | None] = mapped_column(Float)
    cov_nn: Mapped[float | None] = mapped_column(Float)
    wedge: Mapped[str | None] = mapped_column(Text)  # GeoJSON polygon of a bearing-only area
    existence_p: Mapped[float] = mapped_column(Float)
    alt_events: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)  # canonical JSON
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("fusion_run.id"))


class FusionDecision(Base):
    """An analyst's ruling that later fusion runs respect: merge, split, detach or pin."""

    __tablename__ = "fusion_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The incident it was made on (None for a grouping made from observations).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    # JSON: groups of observation ids (merge: one group; split: several; detach: one).
    groups: Mapped[str] = mapped_column(Text, default="[]")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    error_m: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(ForeignKey("category.code"))  # for a merge
    reason: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_fusion_decision_incident", "incident_id"),)
