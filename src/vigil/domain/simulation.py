"""A seeded ground-truth simulator: days on the line, and what the observers reported of it.

The demo and the fusion benchmarks need observations whose truth is known, so that a
fused count can be checked against what really happened. Everything here is pure and
reproducible: the same posts, patrols, line, start, days, seed and density give the same
Scenario. Events, reports and false alarms draw on separate random streams, so adding a
patrol changes neither the events nor what the posts report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from vigil.domain.simulation_clocks import Clock, clock_of
from vigil.domain.simulation_model import (
    LOCAL_UTC_OFFSET,
    SPECS,
    ContactLine,
    Scenario,
    SimObservation,
    SimPatrol,
    SimPost,
    TruthEvent,
)
from vigil.domain.simulation_observers import false_alarms, observe
from vigil.domain.simulation_reports import Draft, kind_of

__all__ = ["Scenario", "SimObservation", "SimPatrol", "SimPost", "TruthEvent", "simulate"]

# Fighting flares up near a few spots: missions put their posts where it does, so the
# hotspots are the points of the line nearest to the posts within this distance of it.
HOTSPOT_POST_DISTANCE_M = 10000.0
HOTSPOT_SIGMA_M = 4000.0
HOTSPOT_SHARE = 0.7
# Expected episodes per day at average tension (density 1): a month of the demo has about
# 1,700 events and 3,300 reports of them.
EPISODE_RATES: dict[str, float] = {
    "shelling": 4.0,
    "small_arms": 6.5,
    "flare": 3.2,
    "movement": 1.0,
    "fortification": 0.4,
    "rare": 0.2,
}
MAX_OFFSET_M = 3000.0
MAX_DENSITY = 20.0
# Relative activity by local hour for fire: more at dusk and at night.
FIRE_BY_HOUR = np.array([3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3])
DAY_BY_HOUR = np.array([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 2, 1, 0, 0, 0, 0, 0, 0])
NIGHT_BY_HOUR = np.array([3, 3, 3, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 3, 3, 3, 3])
FIRE_CDF, DAY_CDF, NIGHT_CDF = (
    np.cumsum(w / w.sum()) for w in (FIRE_BY_HOUR, DAY_BY_HOUR, NIGHT_BY_HOUR)
)
_EXPLOSION = "ceasefire_violation.explosion."

# category, weapon, along the line (m), right of it (m), start, end, count, episode
Raw = tuple[str, str | None, float, float, datetime, datetime, int, int]
Placed = Raw  # the same with lat, lon in place of along, offset: TruthEvent's fields


def simulate(
    posts: Sequence[SimPost],
    line_of_contact: Sequence[tuple[float, float]],
    start: datetime,
    days: int,
    seed: int,
    patrols: Sequence[SimPatrol] = (),
    density: float = 1.0,
) -> Scenario:
    """Simulate `days` days from `start` along a (lon, lat) line, seen by posts and patrols.

    `density` multiplies the rate of every kind of episode (3.0: three times as busy)."""
    _check(start, days, seed, density)
    events_rng, reports_rng, alarms_rng = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(3)
    )
    start_utc = start.astimezone(UTC)
    end = start_utc + timedelta(days=days)
    stamp = f"{seed}-{start_utc:%Y%m%d%H%M}"
    placed = _events(events_rng, ContactLine(line_of_contact), posts, start_utc, days, density)
    events = tuple(TruthEvent(f"T{stamp}-{i:05d}", *e) for i, e in enumerate(placed) if e[4] < end)
    clocks = _clocks(posts, patrols, seed, start_utc)
    drafts = observe(events, posts, patrols, clocks, reports_rng)
    drafts += false_alarms(posts, patrols, clocks, start_utc, end, alarms_rng)
    drafts.sort(key=_draft_order)
    drafts.reverse()  # popped from the end: each draft is freed as its observation is made
    observations = tuple(
        SimObservation(client_id=f"sim-{stamp}-{i:06d}", **drafts.pop()) for i in range(len(drafts))
    )
    return Scenario(events=events, observations=observations)


def _check(start: datetime, days: int, seed: int, density: float) -> None:
    """Refuse what the simulator cannot make sense of."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if days < 1:
        raise ValueError("days must be at least 1")
    if seed < 0:
        raise ValueError("seed must not be negative")
    if not 0.0 < density <= MAX_DENSITY:
        raise ValueError(f"density must be above 0 and at most {MAX_DENSITY:g}")


def _draft_order(d: Draft) -> tuple[datetime, str, str, str]:
    """Reports in the order they were made (ties broken by observer, event and category)."""
    return (d["observed_at"], d["post_code"], d["truth_key"] or "", d["category"])


def _clocks(
    posts: Sequence[SimPost], patrols: Sequence[SimPatrol], seed: int, start: datetime
) -> dict[str, Clock]:
    """Every observer's clock, set at the start of the period."""
    kinds = {p.code: kind_of(p) for p in posts} | {p.code: "patrol" for p in patrols}
    return {code: clock_of(seed, code, kind, start.timestamp()) for code, kind in kinds.items()}


def _events(
    rng: np.random.Generator,
    line: ContactLine,
    posts: Sequence[SimPost],
    start: datetime,
    days: int,
    density: float,
) -> list[Placed]:
    """Every event of the period, in time order, placed on the map (along, offset -> lat, lon)."""
    front = Front.along_posts(line, posts)
    raws: list[Raw] = []
    for day in range(days):
        raws.extend(_day(rng, front, start + timedelta(days=day), day, density))
    if not raws:
        return []
    lats, lons = line.points(np.array([r[2] for r in raws]), np.array([r[3] for r in raws]))
    placed = [
        (r[0], r[1], float(lat), float(lon), r[4], r[5], r[6], r[7])
        for r, lat, lon in zip(raws, lats, lons, strict=True)
    ]
    placed.sort(key=lambda e: (e[4], e[0], e[2], e[3]))
    return placed


class Front:
    """The line of contact and the spots along it where fighting concentrates."""

    def __init__(self, line: ContactLine, hotspots_m: Sequence[float]) -> None:
        self.line = line
        self.hotspots_m = np.array(hotspots_m, dtype=float)

    @classmethod
    def along_posts(cls, line: ContactLine, posts: Sequence[SimPost]) -> Front:
        """Hotspots opposite the posts near the line (evenly spread if there are none)."""
        spots = [line.project(p.lat, p.lon) for p in posts]
        near = [along for along, dist in spots if dist <= HOTSPOT_POST_DISTANCE_M]
        return cls(line, near or list(np.linspace(0.1, 0.9, 5) * line.length_m))

    def along(self, rng: np.random.Generator) -> float:
        """A distance along the line, drawn mostly near the hotspots."""
        if rng.random() < HOTSPOT_SHARE:
            centre = float(self.hotspots_m[rng.integers(len(self.hotspots_m))])
            return min(self.line.length_m, max(0.0, float(rng.normal(centre, HOTSPOT_SIGMA_M))))
        return float(rng.uniform(0, self.line.length_m))


def _pick(rng: np.random.Generator, choices: Sequence[str], p: Sequence[float]) -> str:
    """One of the choices, with the given probabilities (cheaper than rng.choice)."""
    return choices[int(np.searchsorted(np.cumsum(p), rng.random() * sum(p), side="right"))]


def _day(
    rng: np.random.Generator, front: Front, day_start: datetime, day: int, density: float
) -> list[Raw]:
    """All events of one day; a day's tension scales every kind of fire."""
    tension = float(rng.gamma(shape=2.0, scale=0.5))
    makers = {
        "shelling": _shelling,
        "small_arms": _small_arms,
        "flare": _flare,
        "movement": _sighting,
        "fortification": _sighting,
        "rare": _rare,
    }
    raws: list[Raw] = []
    for name, rate in EPISODE_RATES.items():
        quiet_kinds = name in ("movement", "fortification")
        expected = rate * density * (1.0 if quiet_kinds else tension)
        for n in range(int(rng.poisson(expected))):
            made = makers[name](rng, front, day_start, name)
            if name == "shelling":  # the impacts of one episode, for summary reports
                episode = day * 10_000 + n
                made = [(*r[:7], episode if r[0].startswith(_EXPLOSION) else -1) for r in made]
            raws.extend(made)
    return raws


def _when(rng: np.random.Generator, day_start: datetime, cdf: np.ndarray) -> datetime:
    """A moment in the day, drawn by local hour from a cumulative distribution over hours."""
    local_hour_at_start = (day_start + LOCAL_UTC_OFFSET).hour
    hour = min(23, int(np.searchsorted(cdf, rng.random(), side="right")))
    hours_after_start = (hour - local_hour_at_start) % 24
    return day_start + timedelta(hours=hours_after_start, seconds=float(rng.uniform(0, 3600)))


def _jitter(rng: np.random.Generator, centre: float, sigma: float, lo: float, hi: float) -> float:
    """A value near a centre, kept inside [lo, hi]."""
    return min(hi, max(lo, float(rng.normal(centre, sigma))))


def _counts(rng: np.random.Generator, kind: str) -> int:
    """How many (explosions, bursts, flares, vehicles) one event of this kind has."""
    lo, hi = SPECS[kind].count
    if hi <= lo:
        return lo
    return int(min(hi, lo + rng.geometric(2.0 / (hi - lo + 2)) - 1))


def _raw(
    rng: np.random.Generator, kind: str, along: float, offset: float, at: datetime, count: int
) -> Raw:
    """One event of a kind at a place and time, with a drawn duration."""
    spec = SPECS[kind]
    end = at + timedelta(seconds=float(rng.uniform(*spec.duration_s)))
    return (spec.category, spec.weapon_class, along, offset, at, end, count, -1)


def _shelling(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """An episode of indirect fire: rounds fired from one side land on the other."""
    kind = _pick(rng, ("artillery", "mortar", "tank"), (0.4, 0.5, 0.1))
    rounds = int(min(15, 2 + rng.geometric(0.18)))
    along, side = front.along(rng), (-1.0 if rng.random() < 0.5 else 1.0)
    fire = (along + rng.normal(0, 800), -side * rng.uniform(1000, 3000))
    target_along, target_offset = along + rng.normal(0, 1500), side * rng.uniform(300, 2500)
    start = _when(rng, day, FIRE_CDF)
    times = np.sort(rng.uniform(0, rng.uniform(300, 2400), size=rounds))
    raws = []
    for t in times:
        a = target_along + float(rng.normal(0, 300))
        o = _jitter(rng, target_offset, 250, -MAX_OFFSET_M, MAX_OFFSET_M)
        at = start + timedelta(seconds=30 + float(t))
        raws.append(_raw(rng, kind, a, o, at, _counts(rng, kind)))
    if kind == "tank":
        return raws  # direct fire: no separate launch to hear
    end = start + timedelta(seconds=30 + float(times[-1]))
    fired = sum(r[6] for r in raws)
    launch = SPECS["launch"].category, SPECS[kind].weapon_class, *fire, start, end, fired, -1
    return [*raws, launch]


def _small_arms(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """An exchange of small-arms fire: a few bursts or shots near one spot."""
    along = front.along(rng)
    offset = float(rng.uniform(-MAX_OFFSET_M, MAX_OFFSET_M)) * 0.8
    start = _when(rng, day, FIRE_CDF)
    spread = float(rng.uniform(300, 3600))
    raws = []
    for _burst in range(int(1 + rng.poisson(2.5))):
        kind = _pick(rng, ("bursts", "hmg", "shots"), (0.55, 0.15, 0.30))
        a, o = along + float(rng.normal(0, 250)), _jitter(rng, offset, 200, -3000, 3000)
        at = start + timedelta(seconds=float(rng.uniform(0, spread)))
        raws.append(_raw(rng, kind, a, o, at, _counts(rng, kind)))
    return raws


def _flare(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """An illumination flare, almost always at night."""
    cdf = NIGHT_CDF if rng.random() < 0.95 else DAY_CDF
    a, o = front.along(rng), float(rng.uniform(-2500, 2500))
    return [_raw(rng, "flare", a, o, _when(rng, day, cdf), _counts(rng, "flare"))]


def _sighting(rng: np.random.Generator, front: Front, day: datetime, kind: str) -> list[Raw]:
    """A military movement or new fortification works, mostly by day."""
    cdf = DAY_CDF if rng.random() < 0.7 or kind == "fortification" else NIGHT_CDF
    a, o = front.along(rng), float(rng.uniform(-MAX_OFFSET_M, MAX_OFFSET_M))
    raw = _raw(rng, kind, a, o, _when(rng, day, cdf), _counts(rng, kind))
    if kind != "movement":
        return [raw]
    weapon = _pick(rng, ("tank", "artillery", "unknown"), (0.3, 0.2, 0.5))
    return [(raw[0], weapon, *raw[2:])]


def _rare(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """A rare event: a rocket salvo, a mine, anti-aircraft fire or a drone strike."""
    kind = _pick(rng, ("rocket", "mine", "anti_aircraft", "drone"), (0.3, 0.3, 0.2, 0.2))
    a, o = front.along(rng), float(rng.uniform(-MAX_OFFSET_M, MAX_OFFSET_M))
    return [_raw(rng, kind, a, o, _when(rng, day, FIRE_CDF), _counts(rng, kind))]
