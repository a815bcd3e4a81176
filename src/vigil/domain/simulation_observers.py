"""How the observers perceive the truth: who detects what, and the false alarms they raise.

Detection falls with distance (half the events are caught at a distance set by the kind of
event, hardly any at twice that), never beyond an observer's range, and for sight only
inside its view sector. Fixed posts watch from where they stand; patrols from where their
route has taken them at that moment. Detection is computed for all events of an observer at
once (the simulator must handle decades of days); what is written down is `simulation_reports`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from vigil.domain.geodesy import WGS84
from vigil.domain.simulation_clocks import Clock
from vigil.domain.simulation_model import (
    OBSERVERS,
    SPECS,
    EventSpec,
    SimPatrol,
    SimPost,
    TruthEvent,
    is_night,
)
from vigil.domain.simulation_patrols import Route
from vigil.domain.simulation_reports import Draft, Seen, kind_of, reports, summary

_CV = "ceasefire_violation."
_BY_CATEGORY = {spec.category: spec for name, spec in SPECS.items() if name != "hmg"}
_FALSE_ALARMS_PER_DAY = {
    "observation_post": 0.12,
    "patrol": 0.1,
    "acoustic_sensor": 0.4,
    "camera": 0.1,
}
_FALSE_CATEGORIES = {
    "observation_post": (_CV + "explosion.undetermined", _CV + "small_arms.shots"),
    "patrol": (_CV + "explosion.undetermined", _CV + "small_arms.shots"),
    "acoustic_sensor": (_CV + "explosion.undetermined",),
    "camera": ("weapons_forces.military_movement",),
}
# A staffed post that hears this many rounds of one episode may sum them up in one report.
SUMMARY_MIN_ROUNDS = 3
SUMMARY_P = 0.35


def spec_of(event: TruthEvent) -> EventSpec:
    """The signature (how far heard and seen) of a truth event."""
    if event.weapon_class == "heavy_machine_gun":
        return SPECS["hmg"]
    return _BY_CATEGORY.get(event.category, SPECS["mortar"])


class EventTable:
    """The truth events as arrays: where, when, and how far each is heard and seen."""

    def __init__(self, events: Sequence[TruthEvent]) -> None:
        self.events = events
        specs = [spec_of(e) for e in events]
        night = np.array([is_night(e.started_at) for e in events], dtype=bool)
        self.lats = np.array([e.lat for e in events], dtype=float)
        self.lons = np.array([e.lon for e in events], dtype=float)
        self.at_s = np.array([e.started_at.timestamp() for e in events], dtype=float)
        self.end_s = np.array([e.ended_at.timestamp() for e in events], dtype=float)
        self.counts = np.array([e.count for e in events], dtype=float)
        self.episode = np.array([e.episode for e in events], dtype=np.int64)
        self.sound_m = np.array([s.sound_m or np.nan for s in specs], dtype=float)
        day = np.array([s.sight_day_m or np.nan for s in specs], dtype=float)
        dark = np.array([s.sight_night_m or np.nan for s in specs], dtype=float)
        self.sight_m = np.where(night, dark, day)

    def near(
        self, lats: tuple[float, float], lons: tuple[float, float], range_m: float
    ) -> np.ndarray:
        """Indices of the events that may lie within range_m of a box (lat and lon ranges)."""
        margin_lat = range_m / 110_000.0 + 0.01
        margin_lon = margin_lat / max(0.1, float(np.cos(np.radians(max(map(abs, lats))))))
        inside = (self.lats >= lats[0] - margin_lat) & (self.lats <= lats[1] + margin_lat)
        inside &= (self.lons >= lons[0] - margin_lon) & (self.lons <= lons[1] + margin_lon)
        return np.nonzero(inside)[0]

    def seen(
        self,
        idx: np.ndarray,
        observer: tuple[np.ndarray, np.ndarray],
        dist: np.ndarray,
        az: np.ndarray,
        by_sound: np.ndarray,
    ) -> Seen:
        """The events at `idx` as one observer detected them."""
        return Seen(
            [self.events[i] for i in idx.tolist()],
            self.at_s[idx], self.end_s[idx], self.counts[idx],
            observer[0], observer[1], dist, az, by_sound,
        )  # fmt: skip


def in_sector_array(az: np.ndarray, view_from: float, view_to: float) -> np.ndarray:
    """For many azimuths: whether each lies in the clockwise sector view_from..view_to."""
    width = (view_to - view_from) % 360.0
    if width == 0.0 and view_to != view_from:
        return np.ones(len(az), dtype=bool)  # 0..360: all round
    return (np.asarray(az) - view_from) % 360.0 <= width


def detection(
    post: SimPost, dist: np.ndarray, az: np.ndarray, sound_m: np.ndarray, sight_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each event, the chance that an observer notices it, and whether by sound."""
    kind = kind_of(post)
    pmax = OBSERVERS[kind][0]
    sight_r = np.where(in_sector_array(az, post.view_from_deg, post.view_to_deg), sight_m, np.nan)
    sound_r = np.full(len(dist), np.nan) if kind == "camera" else sound_m
    if kind == "acoustic_sensor":
        sight_r, sound_r = np.full(len(dist), np.nan), sound_r * 1.3
    with np.errstate(invalid="ignore"):
        p_sound = np.nan_to_num(pmax / (1.0 + (dist / sound_r) ** 4))
        p_sight = np.nan_to_num(pmax / (1.0 + (dist / sight_r) ** 4))
    by_sound = p_sound >= p_sight
    p = np.where(by_sound, p_sound, p_sight)
    p[dist > post.range_m] = 0.0
    return p, by_sound


def observe(
    events: Sequence[TruthEvent],
    posts: Sequence[SimPost],
    patrols: Sequence[SimPatrol],
    clocks: Mapping[str, Clock],
    rng: np.random.Generator,
) -> list[Draft]:
    """Every report the posts and patrols make of the events."""
    if not events:
        return []
    table = EventTable(events)
    out: list[Draft] = []
    for post in posts:
        near = table.near((post.lat, post.lat), (post.lon, post.lon), post.range_m)
        az, _, dist = WGS84.inv(
            np.full(len(near), post.lon), np.full(len(near), post.lat),
            table.lons[near], table.lats[near],
        )  # fmt: skip
        az, dist = np.asarray(az) % 360.0, np.asarray(dist)
        p, by_sound = detection(post, dist, az, table.sound_m[near], table.sight_m[near])
        hit = rng.random(len(near)) < p
        hits = _Detections(near[hit], dist[hit], az[hit], by_sound[hit])
        out += _post_reports(table, post, clocks[post.code], hits, rng)
    for patrol in patrols:
        out += _patrol_reports(table, patrol, clocks[patrol.code], rng)
    return out


@dataclass(frozen=True)
class _Detections:
    """Which events (indices into the table) an observer detected, how far, where and how."""

    idx: np.ndarray
    dist: np.ndarray
    az: np.ndarray
    by_sound: np.ndarray

    def without(self, covered: set[int]) -> _Detections:
        """The detections of events not in `covered`."""
        keep = np.array([i not in covered for i in self.idx.tolist()], dtype=bool)
        return _Detections(self.idx[keep], self.dist[keep], self.az[keep], self.by_sound[keep])


def _post_reports(
    table: EventTable, post: SimPost, clock: Clock, hits: _Detections, rng: np.random.Generator
) -> list[Draft]:
    """A fixed post's reports of what it detected; some shelling episodes summed up."""
    rounds: dict[int, list[int]] = {}
    if kind_of(post) == "observation_post":
        for j, episode in enumerate(table.episode[hits.idx].tolist()):
            if episode >= 0:
                rounds.setdefault(episode, []).append(j)
    summed = [
        group
        for _, group in sorted(rounds.items())
        if len(group) >= SUMMARY_MIN_ROUNDS and rng.random() < SUMMARY_P
    ]
    singles = hits.without({int(hits.idx[j]) for group in summed for j in group})
    here = (np.full(len(singles.idx), post.lat), np.full(len(singles.idx), post.lon))
    seen = table.seen(singles.idx, here, singles.dist, singles.az, singles.by_sound)
    out = reports(post, clock, seen, rng)
    for group in summed:
        chosen = [table.events[int(hits.idx[j])] for j in group]
        dists, sounds = hits.dist[group].tolist(), hits.by_sound[group].tolist()
        out.append(summary(chosen, post, clock, dists, sounds, rng))
    return out


def _patrol_reports(
    table: EventTable, patrol: SimPatrol, clock: Clock, rng: np.random.Generator
) -> list[Draft]:
    """A patrol's reports, each from where the patrol was when the event happened."""
    route = Route(patrol)
    lat_span = (min(p[0] for p in patrol.route), max(p[0] for p in patrol.route))
    lon_span = (min(p[1] for p in patrol.route), max(p[1] for p in patrol.route))
    near = table.near(lat_span, lon_span, patrol.range_m)
    on_duty, out_for = route.on_duty(table.at_s[near])
    idx = near[on_duty]
    lats, lons = route.where(out_for[on_duty])
    az, _, dist = WGS84.inv(lons, lats, table.lons[idx], table.lats[idx])
    az, dist = np.asarray(az) % 360.0, np.asarray(dist)
    here = SimPost(patrol.code, "patrol", 0.0, 0.0, patrol.range_m)
    p, by_sound = detection(here, dist, az, table.sound_m[idx], table.sight_m[idx])
    hit = rng.random(len(idx)) < p
    where = (np.round(lats[hit], 5), np.round(lons[hit], 5))
    seen = table.seen(idx[hit], where, dist[hit], az[hit], by_sound[hit])
    return reports(here, clock, seen, rng)


def false_alarms(
    posts: Sequence[SimPost],
    patrols: Sequence[SimPatrol],
    clocks: Mapping[str, Clock],
    start: datetime,
    end: datetime,
    rng: np.random.Generator,
) -> list[Draft]:
    """Reports of things that did not happen: quarry blasts, thunder, a tractor at dusk."""
    start_s, span_s = start.timestamp(), (end - start).total_seconds()
    out = []
    for post in posts:
        kind = kind_of(post)
        n = int(rng.poisson(_FALSE_ALARMS_PER_DAY[kind] * span_s / 86400.0))
        at_s = start_s + np.sort(rng.uniform(0.0, span_s, n))
        here = (np.full(n, post.lat), np.full(n, post.lon))
        out += _phantoms(post, kind, clocks[post.code], at_s, here, rng)
    for patrol in patrols:
        out += _patrol_false_alarms(patrol, clocks[patrol.code], start_s, span_s, rng)
    return out


def _patrol_false_alarms(
    patrol: SimPatrol, clock: Clock, start_s: float, span_s: float, rng: np.random.Generator
) -> list[Draft]:
    """A patrol's false alarms, raised while it is out, from where it is."""
    route = Route(patrol)
    n = int(rng.poisson(_FALSE_ALARMS_PER_DAY["patrol"] * span_s / 86400.0))
    out_for = rng.uniform(0.0, patrol.duration_h * 3600.0, n)
    days = rng.integers(int(np.ceil(span_s / 86400.0)) + 1, size=n).tolist()
    set_out = np.array([route.departure_s(start_s + 86400.0 * d) for d in days], dtype=float)
    at_s = set_out + out_for
    keep = (at_s >= start_s) & (at_s < start_s + span_s)
    lats, lons = route.where(out_for[keep])
    here = SimPost(patrol.code, "patrol", 0.0, 0.0, patrol.range_m)
    where = (np.round(lats, 5), np.round(lons, 5))
    return _phantoms(here, "patrol", clock, at_s[keep], where, rng)


def _phantoms(
    post: SimPost,
    kind: str,
    clock: Clock,
    at_s: np.ndarray,
    here: tuple[np.ndarray, np.ndarray],
    rng: np.random.Generator,
) -> list[Draft]:
    """Reports of imagined events somewhere in the observer's sector, at the given times."""
    n = len(at_s)
    width = (post.view_to_deg - post.view_from_deg) % 360.0 or 360.0
    az = (post.view_from_deg + rng.uniform(0.0, width, n)) % 360.0
    dist = rng.uniform(1000.0, max(1500.0, min(post.range_m or 8000.0, 8000.0)), n)
    lons, lats, _ = WGS84.fwd(here[1], here[0], az, dist)
    choices = _FALSE_CATEGORIES[kind]
    events = []
    for pick, lat, lon, t in zip(
        rng.integers(len(choices), size=n).tolist(),
        np.asarray(lats).tolist(),
        np.asarray(lons).tolist(),
        at_s.tolist(),
        strict=True,
    ):
        category = choices[pick]
        weapon = "unknown" if _BY_CATEGORY.get(category, SPECS["mortar"]).weapon_class else None
        at = datetime.fromtimestamp(t, UTC)
        events.append(TruthEvent("", category, weapon, lat, lon, at, at, 1))
    by_sound = np.full(n, kind != "camera")
    seen = Seen(events, at_s, at_s, np.ones(n), here[0], here[1], dist, az, by_sound)
    return reports(post, clock, seen, rng)
