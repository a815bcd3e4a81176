"""Operations: patrols, the people and vehicles on them, the phones that track them, their
positions and check-ins, and the alarms a missed check-in or an overdue patrol raises."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import BigId, UTCDateTime


class Vehicle(Base):
    """A mission vehicle (an armoured car, say) that patrols use."""

    __tablename__ = "vehicle"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. the plate or call sign
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Patrol(Base):
    """A planned patrol: its route, when, its safety interval, who was told in advance, and
    where it stands (planned, under_way, completed, aborted, overdue)."""

    __tablename__ = "patrol"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. PTL-05-20201128
    name: Mapped[str] = mapped_column(String(200), default="")
    # GeoJSON LineString of the route, or MultiPoint of its waypoints (in order).
    route: Mapped[dict[str, Any]] = mapped_column(JSON)
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_end: Mapped[datetime] = mapped_column(UTCDateTime)
    check_in_interval_s: Mapped[int] = mapped_column(Integer)
    # Party codes told of the patrol in advance, where the mission's practice requires it.
    notified: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_patrol_time", "planned_start", "planned_end"),)


class PatrolMember(Base):
    """Who is on a patrol, and as what (leader, member, driver, interpreter, medic)."""

    __tablename__ = "patrol_member"
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))


class PatrolVehicle(Base):
    """Which vehicles a patrol uses."""

    __tablename__ = "patrol_vehicle"
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), primary_key=True)

    __table_args__ = (Index("ix_patrol_vehicle_vehicle", "vehicle_id"),)


class TrackerDevice(Base):
    """A phone running Traccar Client or OsmAnd, registered to one person: its identifier is
    what the app sends as `id` (only reports from registered, unrevoked devices are taken)."""

    __tablename__ = "tracker_device"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Position(Base):
    """One position report of a tracked phone, as the app sent it, and the patrol its person
    was on at that time (None when on none)."""

    __tablename__ = "position"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("tracker_device.id"))
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrol.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the device's timestamp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kn: Mapped[float | None] = mapped_column(Float)
    bearing_deg: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    battery_pct: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))  # traccar, osmand, traccar_json, gpx

    __table_args__ = (
        UniqueConstraint("device_id", "recorded_at"),  # a resent report is stored once
        Index("ix_position_patrol_time", "patrol_id", "recorded_at"),
    )


class CheckIn(Base):
    """A patrol's sign of life: a position report, the app's button, or a radio call the duty
    officer logged."""

    __tablename__ = "check_in"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"))
    kind: Mapped[str] = mapped_column(String(16))  # position, button, radio
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_check_in_patrol_time", "patrol_id", "at"),)


class Alarm(Base):
    """A safety alarm on a patrol: a missed check-in, past its planned end, or stopped inside
    a zone it should not be in. It stays until a duty officer acknowledges it."""

    __tablename__ = "alarm"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrol.id"))
    kind: Mapped[str] = mapped_column(String(32))  # missed_check_in, overdue, forbidden_zone
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_alarm_open", "acknowledged_at", "raised_at"),)


class AlarmDelivery(Base):
    """One attempt to send an alarm to the configured webhook (SMS or e-mail gateway)."""

    __tablename__ = "alarm_delivery"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered, failed
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
