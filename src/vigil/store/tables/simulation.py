"""Ground truth of simulated scenarios, kept apart so fusion can be measured."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class TruthEvent(Base):
    """Ground truth of a simulated scenario, kept apart so fusion can be measured."""

    __tablename__ = "truth_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(100))
    weapon_class: Mapped[str | None] = mapped_column(String(50))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)


class TruthLink(Base):
    """Which simulated observation reports which true event (none for a false alarm)."""

    __tablename__ = "truth_link"
    client_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    truth_key: Mapped[str | None] = mapped_column(String(64))


class TruthCover(Base):
    """Further true events a simulated multi-count report covers, beyond its truth link."""

    __tablename__ = "truth_cover"
    client_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    truth_key: Mapped[str] = mapped_column(String(64), primary_key=True)
