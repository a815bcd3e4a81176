"""Evidence files (photos, video, audio) and the observations they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class EvidenceFile(Base):
    """A photo, video or audio file, stored once under its SHA-256 and never overwritten."""

    __tablename__ = "evidence_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))  # detected from the content
    kind: Mapped[str] = mapped_column(String(16))  # image, video, audio
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # From EXIF, when the file carries it.
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class ObservationEvidence(Base):
    """A file attached to an observation, with what comparing its EXIF to the report found."""

    __tablename__ = "observation_evidence"
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_file.sha256"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))  # the file name as the client sent it
    field: Mapped[str | None] = mapped_column(String(64))  # the form field, e.g. photo
    # Distance from the EXIF position to the reported place, and EXIF time minus report time.
    distance_m: Mapped[float | None] = mapped_column(Float)
    time_gap_s: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[str]] = mapped_column(JSON)  # e.g. far_from_report, time_mismatch
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (Index("ix_observation_evidence_sha256", "sha256"),)
