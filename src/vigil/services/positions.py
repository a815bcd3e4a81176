"""Positions of tracked phones: record a report (only from a registered, unrevoked device;
impossible values refused; a resent report stored once), tagged with the patrol its person
was on at that time; import a GPX track recorded offline; the live positions of patrols out
on the ground and a patrol's track. Every stored position is audited in the caller's
transaction; a refusal stores nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain.roles import INTERNAL, TRACKER_KEEPERS
from vigil.errors import FieldError, VigilError, invalid
from vigil.formats import osmand
from vigil.formats.osmand import PositionReport
from vigil.queries import trackers as trackers_q
from vigil.services import trackers
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.patrols import patrol_of_user
from vigil.store.snapshots import row_values
from vigil.store.tables import Patrol, Position, TrackerDevice, User

MAX_TRACK_POINTS = 50_000
MAX_LIVE = 5_000


@dataclass(frozen=True)
class Limits:
    """How far a position time may lie from now (the settings VIGIL_TRACK_*)."""

    future_s: float = 300
    max_age_s: float = 30 * 86400


@dataclass(frozen=True)
class Imported:
    """What a GPX import did: positions stored, resent ones skipped, points without a time."""

    device_id: int
    stored: int
    already_there: int
    without_time: int


def actor(device: TrackerDevice) -> str:
    """Who the audit log names for a phone's own reports."""
    return f"tracker:{device.id}"


def _device(session: Session, identifier: str) -> TrackerDevice:
    found = trackers.live_device(session, identifier)
    if found is None:
        raise VigilError("not_found", "unknown or revoked device identifier")
    return found


def _checked(report: PositionReport, now: datetime, limits: Limits) -> PositionReport:
    """The report with its time (now when the phone sent none), or refused with the reasons."""
    report = report if report.recorded_at else replace(report, recorded_at=now)
    why = osmand.check(report, now, limits.future_s, limits.max_age_s)
    if why:
        raise VigilError(
            "validation_failed", "; ".join(why), [FieldError("report", w) for w in why]
        )
    return report


def _row(session: Session, device: TrackerDevice, r: PositionReport, now: datetime) -> Position:
    at = r.recorded_at or now
    patrol = patrol_of_user(session, device.user_id, at)
    return Position(
        device_id=device.id, patrol_id=patrol.id if patrol else None, recorded_at=at,
        received_at=now, lat=r.lat, lon=r.lon, speed_kn=r.speed_kn, bearing_deg=r.bearing_deg,
        altitude_m=r.altitude_m, accuracy_m=r.accuracy_m, battery_pct=r.battery_pct,
        source=r.source,
    )  # fmt: skip


def record(
    session: Session, report: PositionReport, now: datetime | None = None, limits: Limits = Limits()
) -> Position | None:
    """Store one report from a phone; None when it was stored before (a resent report)."""
    now = now or datetime.now(UTC)
    device = _device(session, report.identifier)
    report = _checked(report, now, limits)
    assert report.recorded_at is not None
    if trackers_q.stored_times(session, device.id, [report.recorded_at]):
        return None
    row = _row(session, device, report, now)
    session.add(row)
    session.flush()
    Auditor(session, actor(device), now).created("position.record", row)
    return row


def import_track(
    session: Session,
    who: Principal | None,
    identifier: str,
    points: Sequence[PositionReport],
    without_time: int,
    now: datetime | None = None,
    limits: Limits = Limits(),
) -> Imported:
    """Store a track recorded offline as positions of a device; every point is checked and
    one bad point refuses the whole file (nothing stored)."""
    who = require(who, TRACKER_KEEPERS)
    now = now or datetime.now(UTC)
    device = trackers.live_device(session, identifier)
    if device is None:
        raise invalid("device", "no registered, unrevoked device with this identifier", "not_found")
    errors = [
        FieldError(f"trkpt {n}", why)
        for n, p in enumerate(points, start=1)
        for why in osmand.check(p, now, limits.future_s, limits.max_age_s)
    ]
    if errors:
        detail = f"{len(errors)} point(s) refused; first: {errors[0].field}: {errors[0].message}"
        raise VigilError("import_refused", detail, errors)
    unique = {p.recorded_at: p for p in points if p.recorded_at is not None}
    seen = trackers_q.stored_times(session, device.id, list(unique))
    rows = [_row(session, device, p, now) for at, p in sorted(unique.items()) if at not in seen]
    session.add_all(rows)
    session.flush()
    Auditor(session, who.actor, now).created_many(
        "position.import", Position, [row_values(r) for r in rows]
    )
    return Imported(device.id, len(rows), len(points) - len(rows), without_time)


def live(
    session: Session, who: Principal | None
) -> list[tuple[Position, TrackerDevice, User, Patrol]]:
    """The latest position of each phone on a patrol out on the ground now."""
    require(who, INTERNAL)
    return list(trackers_q.live(session))[:MAX_LIVE]


def newest_live_id(session: Session, who: Principal | None) -> int:
    """What a live stream compares to see whether anything moved."""
    require(who, INTERNAL)
    return trackers_q.newest_live_id(session)


def track(
    session: Session, who: Principal | None, patrol_id: int
) -> tuple[Patrol, list[tuple[Position, TrackerDevice, User]]]:
    """A patrol and its positions in time order (404 when there is no such patrol)."""
    require(who, INTERNAL)
    patrol = session.get(Patrol, patrol_id)
    if patrol is None:
        raise VigilError("not_found", f"no patrol {patrol_id}")
    return patrol, list(trackers_q.track(session, patrol_id, MAX_TRACK_POINTS))


def positions(
    session: Session, who: Principal | None, device_id: int | None, since: datetime | None,
    limit: int,
) -> Sequence[Position]:  # fmt: skip
    """Positions in time order, of one device or all."""
    require(who, INTERNAL)
    if since is not None and since.tzinfo is None:
        raise invalid("since", "give a time zone, e.g. 2020-11-20T12:00:00Z")
    return trackers_q.positions(session, device_id, since, limit)


def feature(
    p: Position, device: TrackerDevice, user: User, patrol: Patrol | None
) -> dict[str, Any]:
    """A position as a GeoJSON Point feature."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
        "properties": {
            "position_id": p.id, "device_id": device.id, "device": device.label,
            "member": user.display_name or user.username, "username": user.username,
            "patrol_id": patrol.id if patrol else p.patrol_id,
            "patrol_code": patrol.code if patrol else None,
            "recorded_at": p.recorded_at.astimezone(UTC).isoformat(), "speed_kn": p.speed_kn,
            "bearing_deg": p.bearing_deg, "accuracy_m": p.accuracy_m,
            "battery_pct": p.battery_pct, "source": p.source,
        },
    }  # fmt: skip
