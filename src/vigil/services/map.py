"""The map of the day: zones, posts, one day's observations and the incidents of that day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.domain.roles import INTERNAL
from vigil.queries import evidence as evidence_q
from vigil.queries import incidents as incidents_q
from vigil.queries import observations as obs_q
from vigil.queries.common import list_all
from vigil.services.access import Principal, require
from vigil.store.tables import Mission, Observation, Post, Zone

MAX_PER_DAY = 5000


@dataclass(frozen=True)
class MapDay:
    """What the map shows for one day in the mission's time zone."""

    day: date
    start: datetime
    end: datetime
    zones: Sequence[Zone]
    posts: Sequence[Post]
    observations: Sequence[Observation]
    post_codes: dict[int, str]
    truncated: bool
    incidents: Sequence[incidents_q.FusedIncident] = ()  # not superseded, overlapping the day
    incidents_truncated: bool = False
    evidence: dict[int, int] = field(default_factory=dict)  # observation id -> files, when any


def mission_zone(session: Session) -> ZoneInfo:
    """The mission's time zone (UTC when none is configured)."""
    mission = session.get(Mission, 1)
    try:
        return ZoneInfo(mission.timezone if mission else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def map_of_day(session: Session, who: Principal | None, day: date) -> MapDay:
    """Zones, posts, the observations made on `day` (mission time) and the current (not
    superseded) incidents whose time window overlaps it."""
    require(who, INTERNAL)
    tz = mission_zone(session)
    start = datetime.combine(day, time.min, tz)
    end = start + timedelta(days=1)
    f = obs_q.ObservationFilter(time_from=start, time_to=end)
    rows = obs_q.page(session, f, None, MAX_PER_DAY + 1)
    incidents = incidents_q.current_in_window(session, start, end, MAX_PER_DAY + 1)
    return MapDay(
        day=day,
        start=start,
        end=end,
        zones=list_all(session, Zone, Zone.id),
        posts=list_all(session, Post, Post.code),
        observations=rows[:MAX_PER_DAY],
        post_codes=obs_q.post_codes(session),
        truncated=len(rows) > MAX_PER_DAY,
        incidents=incidents[:MAX_PER_DAY],
        incidents_truncated=len(incidents) > MAX_PER_DAY,
        evidence=evidence_q.counts_between(session, start, end),
    )


def latest_day(session: Session) -> date | None:
    """The most recent day with observations, for opening the map somewhere useful."""
    latest = session.scalar(select(func.max(Observation.observed_at)))
    return latest.astimezone(mission_zone(session)).date() if latest else None
