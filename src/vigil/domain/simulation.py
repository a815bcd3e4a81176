"""A seeded ground-truth simulator: a month on the line, and what the posts reported of it.

The demo and the fusion benchmarks need observations whose truth is known, so that a
fused count can be checked against what really happened. Everything here is pure and
reproducible: the same posts, line, start, days and seed give the same Scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from vigil.domain.simulation_model import (
    LOCAL_UTC_OFFSET,
    SPECS,
    ContactLine,
    Scenario,
    SimObservation,
    SimPost,
    TruthEvent,
)
from vigil.domain.simulation_observers import false_alarms, observe

__all__ = ["Scenario", "SimObservation", "SimPost", "TruthEvent", "simulate"]

# Fighting flares up near a few spots: missions put their posts where it does, so the
# hotspots are the points of the line nearest to the posts within this distance of it.
HOTSPOT_POST_DISTANCE_M = 10000.0
HOTSPOT_SIGMA_M = 4000.0
HOTSPOT_SHARE = 0.7
# Expected episodes per day at average tension.
EPISODE_RATES: dict[str, float] = {
    "shelling": 3.0,
    "small_arms": 5.0,
    "flare": 2.5,
    "movement": 0.8,
    "fortification": 0.3,
    "rare": 0.15,
}
MAX_OFFSET_M = 3000.0
# Relative activity by local hour for fire: more at dusk and at night.
FIRE_BY_HOUR = np.array([3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3])
DAY_BY_HOUR = np.array([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 2, 1, 0, 0, 0, 0, 0, 0])
NIGHT_BY_HOUR = np.array([3, 3, 3, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 3, 3, 3, 3])

Raw = tuple[str, str | None, float, float, datetime, datetime, int]  # category .. count


def simulate(
    posts: Sequence[SimPost],
    line_of_contact: Sequence[tuple[float, float]],
    start: datetime,
    days: int,
    seed: int,
) -> Scenario:
    """Simulate `days` days from `start` along a (lon, lat) line, seen from `posts`."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = np.random.Generator(np.random.PCG64(seed))
    start_utc = start.astimezone(UTC)
    end = start_utc + timedelta(days=days)
    front = Front.along_posts(ContactLine(line_of_contact), posts)
    raws: list[Raw] = []
    for day in range(days):
        raws.extend(_day(rng, front, start_utc + timedelta(days=day)))
    raws = [r for r in raws if r[4] < end]
    raws.sort(key=lambda r: (r[4], r[0], r[2], r[3]))
    events = tuple(
        TruthEvent(f"T{seed}-{i:05d}", r[0], r[1], r[2], r[3], r[4], r[5], r[6])
        for i, r in enumerate(raws)
    )
    drafts = observe(events, posts, rng) + false_alarms(posts, start_utc, end, rng)
    drafts.sort(key=lambda o: (o.observed_at, o.post_code, o.truth_key or "", o.category))
    observations = tuple(replace(o, client_id=f"sim-{seed}-{i:06d}") for i, o in enumerate(drafts))
    return Scenario(events=events, observations=observations)


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
            return float(np.clip(rng.normal(centre, HOTSPOT_SIGMA_M), 0, self.line.length_m))
        return float(rng.uniform(0, self.line.length_m))

    def point(self, along_m: float, offset_m: float) -> tuple[float, float]:
        """(lat, lon) at a distance along the line, offset to its right (+) or left (-)."""
        return self.line.point(along_m, offset_m)


def _day(rng: np.random.Generator, front: Front, day_start: datetime) -> list[Raw]:
    """All events of one day; a day's tension scales every kind of activity."""
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
        for _ in range(int(rng.poisson(rate * (1.0 if quiet_kinds else tension)))):
            raws.extend(makers[name](rng, front, day_start, name))
    return raws


def _when(rng: np.random.Generator, day_start: datetime, weights: np.ndarray) -> datetime:
    """A moment in the day, drawn by local hour with the given relative weights."""
    local_hour_at_start = (day_start + LOCAL_UTC_OFFSET).hour
    hour = int(rng.choice(24, p=weights / weights.sum()))
    hours_after_start = (hour - local_hour_at_start) % 24
    return day_start + timedelta(hours=hours_after_start, seconds=float(rng.uniform(0, 3600)))


def _jitter(rng: np.random.Generator, centre: float, sigma: float, lo: float, hi: float) -> float:
    """A value near a centre, kept inside [lo, hi]."""
    return float(np.clip(rng.normal(centre, sigma), lo, hi))


def _counts(rng: np.random.Generator, kind: str) -> int:
    """How many (explosions, bursts, flares, vehicles) one event of this kind has."""
    lo, hi = SPECS[kind].count
    if hi <= lo:
        return lo
    return int(min(hi, lo + rng.geometric(2.0 / (hi - lo + 2)) - 1))


def _raw(
    rng: np.random.Generator, kind: str, lat: float, lon: float, at: datetime, count: int
) -> Raw:
    """One event of a kind at a place and time, with a drawn duration."""
    spec = SPECS[kind]
    duration = float(rng.uniform(*spec.duration_s))
    return (spec.category, spec.weapon_class, lat, lon, at, at + timedelta(seconds=duration), count)


def _shelling(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """An episode of indirect fire: rounds fired from one side land on the other."""
    kind = str(rng.choice(["artillery", "mortar", "tank"], p=[0.4, 0.5, 0.1]))
    rounds = int(min(15, 2 + rng.geometric(0.18)))
    along, side = front.along(rng), float(rng.choice([-1.0, 1.0]))
    fire_lat, fire_lon = front.point(along + rng.normal(0, 800), -side * rng.uniform(1000, 3000))
    target_along, target_offset = along + rng.normal(0, 1500), side * rng.uniform(300, 2500)
    start = _when(rng, day, FIRE_BY_HOUR)
    times = np.sort(rng.uniform(0, rng.uniform(300, 2400), size=rounds))
    raws = []
    for t in times:
        a = target_along + rng.normal(0, 300)
        o = _jitter(rng, target_offset, 250, -MAX_OFFSET_M, MAX_OFFSET_M)
        lat, lon = front.point(a, o)
        raws.append(
            _raw(rng, kind, lat, lon, start + timedelta(seconds=30 + t), _counts(rng, kind))
        )
    fired = sum(r[6] for r in raws)
    end = start + timedelta(seconds=30 + float(times[-1]))
    if kind == "tank":
        return raws  # direct fire: no separate launch to hear
    launch = (
        SPECS["launch"].category,
        SPECS[kind].weapon_class,
        fire_lat,
        fire_lon,
        start,
        end,
        fired,
    )
    return [*raws, launch]


def _small_arms(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """An exchange of small-arms fire: a few bursts or shots near one spot."""
    along = front.along(rng)
    offset = float(rng.uniform(-MAX_OFFSET_M, MAX_OFFSET_M)) * 0.8
    start = _when(rng, day, FIRE_BY_HOUR)
    spread = float(rng.uniform(300, 3600))
    raws = []
    for _burst in range(int(1 + rng.poisson(2.5))):
        kind = str(rng.choice(["bursts", "hmg", "shots"], p=[0.55, 0.15, 0.30]))
        lat, lon = front.point(along + rng.normal(0, 250), _jitter(rng, offset, 200, -3000, 3000))
        at = start + timedelta(seconds=float(rng.uniform(0, spread)))
        raws.append(_raw(rng, kind, lat, lon, at, _counts(rng, kind)))
    return raws


def _flare(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """An illumination flare, almost always at night."""
    weights = NIGHT_BY_HOUR if rng.random() < 0.95 else DAY_BY_HOUR
    lat, lon = front.point(front.along(rng), float(rng.uniform(-2500, 2500)))
    return [_raw(rng, "flare", lat, lon, _when(rng, day, weights), _counts(rng, "flare"))]


def _sighting(rng: np.random.Generator, front: Front, day: datetime, kind: str) -> list[Raw]:
    """A military movement or new fortification works, mostly by day."""
    weights = DAY_BY_HOUR if rng.random() < 0.7 or kind == "fortification" else NIGHT_BY_HOUR
    lat, lon = front.point(front.along(rng), float(rng.uniform(-MAX_OFFSET_M, MAX_OFFSET_M)))
    raw = _raw(rng, kind, lat, lon, _when(rng, day, weights), _counts(rng, kind))
    if kind != "movement":
        return [raw]
    weapon = str(rng.choice(["tank", "artillery", "unknown"], p=[0.3, 0.2, 0.5]))
    return [(raw[0], weapon, *raw[2:])]


def _rare(rng: np.random.Generator, front: Front, day: datetime, _: str) -> list[Raw]:
    """A rare event: a rocket salvo, a mine, anti-aircraft fire or a drone strike."""
    kind = str(rng.choice(["rocket", "mine", "anti_aircraft", "drone"], p=[0.3, 0.3, 0.2, 0.2]))
    lat, lon = front.point(front.along(rng), float(rng.uniform(-MAX_OFFSET_M, MAX_OFFSET_M)))
    return [_raw(rng, kind, lat, lon, _when(rng, day, FIRE_BY_HOUR), _counts(rng, kind))]
