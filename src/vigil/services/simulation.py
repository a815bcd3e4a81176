"""Simulated scenarios in the database: observations through intake, ground truth beside them.

`vigil demo` and `vigil simulate` both record here what the simulator made, so simulated
observations are validated and audited like any other, and their truth (truth_event,
truth_link, truth_cover) is written in the same transaction. Recording is idempotent:
observations by client id, truth rows by key, so the same scenario twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from vigil.domain.observation import ObservationDraft
from vigil.domain.roles import ADMINS, REPORTERS, Role
from vigil.domain.simulation import MAX_DENSITY, Scenario, SimObservation, simulate
from vigil.domain.simulation_model import SimPost
from vigil.domain.simulation_patrols import patrols_along
from vigil.errors import VigilError, invalid
from vigil.queries import simulation as simulation_q
from vigil.queries.accounts import user_by_name
from vigil.queries.common import existing, get_by, list_all
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.observations import record_observations
from vigil.store.tables import Mission, Post, TruthCover, TruthEvent, TruthLink, Zone

Progress = Callable[[str, int], None]
CHUNK = 1000
MAX_DAYS = 3660  # ten years: beyond that, simulate in several runs
DEFAULT_RANGE_M = 10_000.0


@dataclass(frozen=True)
class ScenarioRecorded:
    """How much of a scenario was written, and how much of it was new."""

    observations: int
    new_observations: int
    truth_events: int
    new_truth_events: int


@dataclass(frozen=True)
class SimulationRun:
    """What `vigil simulate` did: the period simulated and what it recorded."""

    start: datetime
    days: int
    seed: int
    density: float
    recorded: ScenarioRecorded


def sim_posts(posts: Sequence[Post]) -> list[SimPost]:
    """The simulator's view of the mission's active posts, with their ranges and sectors."""
    return [
        SimPost(p.code, p.kind, p.lat, p.lon, p.range_m or DEFAULT_RANGE_M, *_sector(p))
        for p in posts
        if p.active is not False
    ]


def _sector(post: Post) -> tuple[float, float]:
    """A post's view sector; none (or an empty one) means all round."""
    view_from, view_to = post.view_from_deg, post.view_to_deg
    if view_from is None or view_to is None or view_from == view_to:
        return 0.0, 360.0
    return float(view_from), float(view_to)


def line_coords(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    """The (lon, lat) vertices of a LineString or MultiLineString line of contact."""
    coords = geometry["coordinates"]
    if geometry["type"] == "MultiLineString":
        coords = [pt for part in coords for pt in part]
    return [(float(x), float(y)) for x, y, *_ in coords]


def scenario_for(
    posts: Sequence[Post],
    line: dict[str, Any],
    start: datetime,
    days: int,
    seed: int,
    density: float = 1.0,
) -> Scenario:
    """Simulate a period seen from the mission's posts and the daily patrols along its line."""
    coords = line_coords(line)
    return simulate(sim_posts(posts), coords, start, days, seed, patrols_along(coords), density)


def to_draft(o: SimObservation) -> ObservationDraft:
    """A simulated report as the intake service takes it, from a post or a patrol."""
    where: dict[str, Any] = {}
    if o.lat is not None:
        where["location"] = {"lat": o.lat, "lon": o.lon, "error_m": o.location_error_m}
    if o.bearing_deg is not None:
        where["bearing"] = {"deg": o.bearing_deg, "error_deg": o.bearing_error_deg}
    if o.distance_m is not None:
        where["distance"] = {"m": o.distance_m, "error_m": o.distance_error_m}
    who = "name" if o.observer_kind == "patrol" else "post"
    return ObservationDraft.model_validate(
        {
            "client_id": o.client_id,
            "observed_at": o.observed_at,
            "observed_to": o.observed_to,
            "time_uncertainty_s": o.time_uncertainty_s,
            "observer": {
                "kind": o.observer_kind,
                who: o.post_code,
                "lat": o.observer_lat,
                "lon": o.observer_lon,
            },
            "category": o.category,
            "weapon_class": o.weapon_class,
            "count": o.count,
            "text": o.text,
            "grade": {"reliability": o.reliability, "credibility": o.credibility},
            **where,
        }
    )


def record_scenario(
    session: Session,
    who: Principal,
    reporter: Principal,
    scenario: Scenario,
    tick: Progress,
    *,
    channel: str = "simulation",
    received_at: datetime,
) -> ScenarioRecorded:
    """Record observations as `reporter` (received at `received_at`) and truth as `who`."""
    require(who, ADMINS)
    new = 0
    observations = scenario.observations
    for first in range(0, len(observations), CHUNK):
        drafts = [to_draft(o) for o in observations[first : first + CHUNK]]
        done = record_observations(session, reporter, drafts, channel, now=received_at)
        new += sum(r.created for r in done)
        tick("observations", len(drafts))
    new_events = _record_truth(session, who, scenario)
    tick("truth", len(scenario.events))
    return ScenarioRecorded(len(observations), new, len(scenario.events), new_events)


def _record_truth(session: Session, who: Principal, scenario: Scenario) -> int:
    """Truth events, links and covers that are not stored yet; returns new events."""
    have = existing(session, TruthEvent.key, [e.key for e in scenario.events])
    first_id = simulation_q.next_truth_event_id(session)
    fresh = [e for e in scenario.events if e.key not in have]
    events = [
        {
            "id": first_id + n,
            "key": e.key,
            "category": e.category,
            "weapon_class": e.weapon_class,
            "lat": e.lat,
            "lon": e.lon,
            "started_at": e.started_at,
            "ended_at": e.ended_at,
            "count": e.count,
        }
        for n, e in enumerate(fresh)
    ]
    ids = [o.client_id for o in scenario.observations]
    linked = existing(session, TruthLink.client_id, ids)
    links = [
        {"client_id": o.client_id, "truth_key": o.truth_key}
        for o in scenario.observations
        if o.client_id not in linked
    ]
    summaries = [o for o in scenario.observations if len(o.truth_keys) > 1]
    covered = existing(session, TruthCover.client_id, [o.client_id for o in summaries])
    covers = [
        {"client_id": o.client_id, "truth_key": key}
        for o in summaries
        if o.client_id not in covered
        for key in o.truth_keys[1:]
    ]
    audit = Auditor(session, who.actor)
    for cls, rows in ((TruthEvent, events), (TruthLink, links), (TruthCover, covers)):
        session.bulk_insert_mappings(cls, rows)  # type: ignore[arg-type]
        audit.created_many("truth.record", cls, rows)
    return len(events)


def reporter_named(session: Session, username: str) -> Principal:
    """The account simulated observations are submitted as: it must exist and may report."""
    user = user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    if user.disabled:
        raise VigilError("forbidden", f"user {username!r} is disabled")
    if Role(user.role) not in REPORTERS:
        raise VigilError(
            "forbidden", f"user {username!r} ({user.role}) may not report observations"
        )
    return Principal(user.id, user.username, Role(user.role), user.party_id, "system")


def simulate_into(
    session: Session,
    who: Principal,
    username: str,
    start: datetime | None,
    days: int,
    seed: int,
    density: float,
    tick: Progress,
) -> SimulationRun:
    """Simulate days on the mission's line from its posts and record them with their truth."""
    require(who, ADMINS)
    _check(start, days, seed, density)
    reporter = reporter_named(session, username)
    mission, posts, line = _mission_geography(session)
    start = start or default_start(session, mission)
    tick("simulating", 0)
    scenario = scenario_for(posts, line.geometry, start, days, seed, density)
    received_at = start.astimezone(UTC) + timedelta(days=days + 1)
    recorded = record_scenario(
        session, who, reporter, scenario, tick, channel="simulation", received_at=received_at
    )
    return SimulationRun(start, days, seed, density, recorded)


def _check(start: datetime | None, days: int, seed: int, density: float) -> None:
    """Refuse a period or a density the simulator cannot make, with the reason."""
    if not 1 <= days <= MAX_DAYS:
        raise invalid("days", f"must be between 1 and {MAX_DAYS} (got {days})")
    if not 0.0 < density <= MAX_DENSITY:
        raise invalid("density", f"must be above 0 and at most {MAX_DENSITY:g} (got {density:g})")
    if seed < 0:
        raise invalid("seed", f"must not be negative (got {seed})")
    if start is not None and start.utcoffset() is None:
        raise invalid("start", "needs a UTC offset, e.g. 2021-01-01T00:00+04:00")


def _mission_geography(session: Session) -> tuple[Mission, list[Post], Zone]:
    """The mission, its active posts and its line of contact, or why they cannot be used."""
    mission = get_by(session, Mission, id=1)
    if mission is None:
        raise VigilError("not_found", "no mission is configured: load one (or `vigil demo`)")
    posts = [p for p in list_all(session, Post, Post.code) if p.active is not False]
    if not posts:
        raise VigilError("not_found", "the mission has no active posts to observe from")
    line = get_by(session, Zone, kind="line_of_contact")
    if line is None or line.geometry.get("type") not in ("LineString", "MultiLineString"):
        raise VigilError(
            "not_found", "the mission has no line of contact (zone kind line_of_contact)"
        )
    return mission, posts, line


def default_start(session: Session, mission: Mission) -> datetime:
    """Local midnight of the day after the latest observation, or of the mandate's start."""
    zone = _timezone(mission.timezone)
    latest = simulation_q.latest_observed_at(session)
    day: date = mission.mandate_start
    if latest is not None:
        day = latest.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def _timezone(name: str) -> ZoneInfo:
    """The mission's time zone (UTC when it is not a known IANA name)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
