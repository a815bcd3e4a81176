"""Observations: one thing one observer saw or heard, once, never overwritten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
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


class Observation(Base):
    """One thing one observer saw or heard, once. Never overwritten."""

    __tablename__ = "observation"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    observed_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_uncertainty_s: Mapped[float] = mapped_column(Float)
    observer_kind: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    observer_name: Mapped[str | None] = mapped_column(String(200))
    observer_lat: Mapped[float | None] = mapped_column(Float)
    observer_lon: Mapped[float | None] = mapped_column(Float)
    observer_error_m: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(ForeignKey("category.code"))
    weapon_class: Mapped[str | None] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_error_m: Mapped[float | None] = mapped_column(Float)
    bearing_deg: Mapped[float | None] = mapped_column(Float)
    bearing_error_deg: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    distance_error_m: Mapped[float | None] = mapped_column(Float)
    # Where the thing probably was (location, or bearing + distance, else the observer).
    est_lat: Mapped[float | None] = mapped_column(Float)
    est_lon: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    reliability: Mapped[str] = mapped_column(String(1))
    credibility: Mapped[str] = mapped_column(String(1))
    # new; replaced when an edit (ODK meta/deprecatedID) superseded it: fusion skips it.
    status: Mapped[str] = mapped_column(String(16), default="new")

    __table_args__ = (
        Index("ix_observation_time_place", "observed_at", "est_lon", "est_lat"),
        Index("ix_observation_category_time", "category", "observed_at"),
    )
