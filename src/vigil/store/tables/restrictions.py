"""Restrictions of the mission's freedom of movement: findings in their own right."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class MovementRestriction(Base):
    """The mission was denied, delayed, conditioned, threatened, stopped by mines, or its
    drones jammed: where, when, which patrol, by whom as stated at the checkpoint, how long.

    `area` is a GeoJSON polygon when the restriction closed an area to the mission (a no-access
    zone on the map) until `ended_at`, or open-ended while that is None."""

    __tablename__ = "movement_restriction"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128), unique=True)  # a retry stores it once
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    place: Mapped[str] = mapped_column(String(200), default="")  # as the patrol named it
    zone_code: Mapped[str | None] = mapped_column(String(64))  # the zone it lies in, found
    patrol: Mapped[str] = mapped_column(String(100), default="")  # which patrol
    # Who restricted it, as stated by the people at the checkpoint: never inferred.
    stated_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    stated_by: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_movement_restriction_time", "occurred_at"),)
