"""`violations`: distinct events per period, zone and category, with the naive count.

These are the numbers the mission's reports quote. Periods are days, weeks or months of
the mission's time zone; an event belongs to every area zone containing its estimated
point (an event located only as a wedge belongs to no zone, and is counted in totals).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy.orm import Session

from vigil.domain.counting import Counted, Tally, tally
from vigil.domain.periods import check_range
from vigil.domain.roles import INTERNAL
from vigil.errors import invalid
from vigil.queries import stats as stats_q
from vigil.services.access import Principal, require
from vigil.services.map import mission_zone

PERIODS = ("day", "week", "month", "total")


@dataclass(frozen=True)
class Row:
    """One cell of the table."""

    period_start: date
    zone: str | None
    category: str | None
    tally: Tally


@dataclass(frozen=True)
class Violations:
    """The table, with what it was asked for."""

    time_from: datetime
    time_to: datetime
    period: str
    zone: str | None
    category: str
    rows: list[Row]
    unlocated: int  # events with no point: in totals, in no zone


def violations(
    session: Session,
    who: Principal | None,
    time_from: datetime,
    time_to: datetime,
    *,
    zone: str | None = None,
    category: str = "ceasefire_violation",
    period: str = "day",
    by_zone: bool = False,
    by_category: bool = False,
) -> Violations:
    """Count distinct events (fused incidents) and reports, cell by cell."""
    require(who, INTERNAL)
    _check(time_from, time_to, period)
    zones = _zones(session, zone, by_zone)
    tz = mission_zone(session)
    events = stats_q.incidents(session, time_from, time_to, category)
    reports = stats_q.observations(session, time_from, time_to, category)
    ev_cells = _cells(events, zones, tz, period, time_from, by_category, zone)
    rep_cells = _cells(reports, zones, tz, period, time_from, by_category, zone)
    if by_zone and zone is None:  # and the totals over the whole area, located or not
        ev_cells.update(_cells(events, {}, tz, period, time_from, by_category, None))
        rep_cells.update(_cells(reports, {}, tz, period, time_from, by_category, None))
    rows = [
        Row(key[0], key[1], key[2], tally(items, len(rep_cells.get(key, []))))
        for key, items in sorted(ev_cells.items(), key=_order)
    ]
    rows += [
        Row(key[0], key[1], key[2], tally([], len(items)))
        for key, items in sorted(rep_cells.items(), key=_order)
        if key not in ev_cells
    ]
    rows.sort(key=lambda r: (r.period_start, r.zone or "", r.category or ""))
    unlocated = sum(1 for e in events if e.lat is None)
    return Violations(time_from, time_to, period, zone, category, rows, unlocated)


def _order(item: tuple[tuple[date, str | None, str | None], Any]) -> tuple[date, str, str]:
    key = item[0]
    return key[0], key[1] or "", key[2] or ""


def _check(time_from: datetime, time_to: datetime, period: str) -> None:
    check_range(time_from, time_to, "count")
    if period not in PERIODS:
        raise invalid("period", f"one of {', '.join(PERIODS)}", "validation_failed")


def _zones(session: Session, code: str | None, by_zone: bool) -> dict[str, Any]:
    """Area zones by code, as prepared shapely geometries (only the one asked, if any)."""
    zones = {z.code: z for z in stats_q.area_zones(session)}
    if code is not None and code not in zones:
        raise invalid("zone", f"no area zone {code!r}", "unknown_reference")
    wanted = [code] if code is not None else (sorted(zones) if by_zone else [])
    out = {}
    for c in wanted:
        geom = shape(zones[c].geometry)
        shapely.prepare(geom)
        out[c] = geom
    return out


def _cells(
    items: list[Any],
    zones: dict[str, Any],
    tz: Any,
    period: str,
    time_from: datetime,
    by_category: bool,
    only_zone: str | None,
) -> dict[tuple[date, str | None, str | None], list[Counted]]:
    """Group events (or reports) into (period, zone, category) cells."""
    inside = _membership(items, zones)
    cells: dict[tuple[date, str | None, str | None], list[Counted]] = defaultdict(list)
    start = time_from.astimezone(tz).date()
    for k, item in enumerate(items):
        when = _bucket(item[0].astimezone(tz).date(), period, start)
        cat = ".".join(item[1].split(".")[:2]) if by_category else None
        counted = Counted(_value(item, 4, 1.0), int(_value(item, 5, 1)))
        names: Iterable[str | None] = inside[k] if zones else [None]
        if only_zone is not None:
            names = [only_zone] if only_zone in inside[k] else []
        for name in names:
            cells[(when, name, cat)].append(counted)
    return cells


def _value(item: Any, index: int, default: float) -> float:
    return default if len(item) <= index or item[index] is None else float(item[index])


def _membership(items: list[Any], zones: dict[str, Any]) -> list[list[str]]:
    """For each item, the codes of the zones containing its point."""
    out: list[list[str]] = [[] for _ in items]
    if not zones or not items:
        return out
    lat = np.array([np.nan if i[2] is None else i[2] for i in items], float)
    lon = np.array([np.nan if i[3] is None else i[3] for i in items], float)
    located = ~np.isnan(lat)
    for code, geom in zones.items():
        hit = np.zeros(len(items), bool)
        hit[located] = shapely.contains_xy(geom, lon[located], lat[located])
        for k in np.flatnonzero(hit):
            out[int(k)].append(code)
    return out


def _bucket(day: date, period: str, start: date) -> date:
    """The first day of the period a day falls in."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return start


def split_by(asked: set[str], what: str) -> bool:
    """Whether a table is split by `what`; anything but zone or category is refused."""
    unknown = asked - {"zone", "category"}
    if unknown:
        message = f"split by zone, category or both, not {sorted(unknown)}"
        raise invalid("by", message, "validation_failed")
    return what in asked
