"""The safety rules: which alarms a patrol earns at an instant, from its last sign of life, its
planned end and where its phones have stood still. Pure: the caller loads the facts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from vigil.domain.geodesy import plane_xy_many

MISSED = "missed_check_in"
OVERDUE = "overdue"
FORBIDDEN = "forbidden_zone"
ALARM_KINDS: tuple[str, ...] = (MISSED, OVERDUE, FORBIDDEN)
ACTIVE = ("under_way", "overdue")  # patrol states the safety timer watches
CHECK_IN_KINDS = ("button", "radio")  # what people log; "position" comes from the trackers
DEFAULT_FORBIDDEN_KINDS = ("no_access", "buffer_zone")
GRACE = timedelta(minutes=5)
STOP_WINDOW = timedelta(minutes=10)
STOP_RADIUS_M = 100.0


@dataclass(frozen=True)
class PatrolFacts:
    """What the rules need of a patrol: its state, plan and last sign of life."""

    status: str
    planned_end: datetime
    interval_s: int
    started_at: datetime | None
    last_sign: datetime | None  # the latest check-in or position report, if any
    # When an alarm of each kind was last acknowledged: the timer restarts from there.
    acknowledged: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Fix:
    """One position report: when and where."""

    at: datetime
    lat: float
    lon: float


@dataclass(frozen=True)
class ForbiddenZone:
    """A place a patrol must not stop in: a zone of a forbidden kind or a no-access area."""

    label: str
    geometry: BaseGeometry  # lon/lat, as GeoJSON has it


@dataclass(frozen=True)
class Raise:
    """An alarm to raise: its kind and what a duty officer needs to read."""

    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """The alarms to raise, and whether the patrol now counts as overdue."""

    alarms: list[Raise]
    mark_overdue: bool


@dataclass(frozen=True)
class Rules:
    """The tunable parts: grace past the planned end, and what "stopped" means."""

    grace: timedelta = GRACE
    stop_window: timedelta = STOP_WINDOW
    stop_radius_m: float = STOP_RADIUS_M


def decide(
    patrol: PatrolFacts,
    fixes: Sequence[Fix],
    zones: Sequence[ForbiddenZone],
    open_kinds: Collection[str],
    now: datetime,
    rules: Rules = Rules(),
) -> Decision:
    """The alarms to raise at `now`; never a kind that is already open for the patrol."""
    if patrol.status not in ACTIVE:
        return Decision([], False)
    found = [
        missed_check_in(patrol, now),
        overdue(patrol, now, rules.grace),
        stopped_in_zone(patrol, fixes, zones, now, rules),
    ]
    alarms = [r for r in found if r is not None and r.kind not in open_kinds]
    mark = patrol.status == "under_way" and any(r.kind == OVERDUE for r in found if r)
    return Decision(alarms, mark)


def timer_start(patrol: PatrolFacts) -> datetime | None:
    """Where the check-in timer runs from: the last sign of life, the start, or the last
    acknowledgement of a missed check-in, whichever is latest."""
    times = [patrol.last_sign, patrol.started_at, patrol.acknowledged.get(MISSED)]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def next_check_in(patrol: PatrolFacts) -> datetime | None:
    """When the next sign of life is due (None when the timer has not started)."""
    start = timer_start(patrol)
    return None if start is None else start + timedelta(seconds=patrol.interval_s)


def missed_check_in(patrol: PatrolFacts, now: datetime) -> Raise | None:
    """Silent for longer than its interval: alarm."""
    due = next_check_in(patrol)
    if due is None or now <= due:
        return None
    silent_s = int((now - (timer_start(patrol) or now)).total_seconds())
    last = patrol.last_sign.isoformat() if patrol.last_sign else None
    detail = {"last_sign": last, "silent_s": silent_s, "interval_s": patrol.interval_s}
    return Raise(MISSED, detail)


def overdue(patrol: PatrolFacts, now: datetime, grace: timedelta = GRACE) -> Raise | None:
    """Still under way past its planned end and the grace: alarm (once: then it is overdue)."""
    if patrol.status != "under_way" or now <= patrol.planned_end + grace:
        return None
    late_s = int((now - patrol.planned_end).total_seconds())
    return Raise(OVERDUE, {"planned_end": patrol.planned_end.isoformat(), "late_s": late_s})


def stopped_in_zone(
    patrol: PatrolFacts,
    fixes: Sequence[Fix],
    zones: Sequence[ForbiddenZone],
    now: datetime,
    rules: Rules = Rules(),
) -> Raise | None:
    """Every report of the last window inside one forbidden zone, all within the radius of
    each other, and reports covering at least half the window: the patrol stopped there.
    Reports before the last acknowledgement of such an alarm do not count."""
    since = now - rules.stop_window
    ack = patrol.acknowledged.get(FORBIDDEN)
    if ack is not None and ack > since:
        return None
    recent = sorted((f for f in fixes if since <= f.at <= now), key=lambda f: f.at)
    if len(recent) < 2 or recent[-1].at - recent[0].at < rules.stop_window / 2:
        return None
    spread = spread_m(recent)
    if spread > rules.stop_radius_m:
        return None
    points = shapely.MultiPoint([(f.lon, f.lat) for f in recent])
    for zone in zones:
        if zone.geometry.covers(points):
            detail = {"zone": zone.label, "lat": recent[-1].lat, "lon": recent[-1].lon,
                      "since": recent[0].at.isoformat(), "spread_m": round(spread, 1)}  # fmt: skip
            return Raise(FORBIDDEN, detail)
    return None


def spread_m(fixes: Sequence[Fix]) -> float:
    """The largest distance between two of the reports, in metres (on a local plane)."""
    lats = np.array([f.lat for f in fixes])
    lons = np.array([f.lon for f in fixes])
    hull = shapely.MultiPoint(plane_xy_many(fixes[0].lat, fixes[0].lon, lats, lons)).convex_hull
    corners = list(shapely.get_coordinates(hull))
    if len(corners) < 2:
        return 0.0
    return max(float(((a - b) ** 2).sum() ** 0.5) for a, b in combinations(corners, 2))


def forbidden_kinds(setting: str) -> tuple[str, ...]:
    """The zone kinds a setting lists, comma-separated (blanks dropped)."""
    return tuple(k.strip() for k in setting.split(",") if k.strip())
