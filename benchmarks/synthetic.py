"""Realistic, seeded observations: the demo's posts, bearings and distances, a month of times.

One columnar sample feeds both the API drafts (intake) and the stored rows (query load),
so both benchmarks see the same kind of data.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import numpy as np

from vigil.domain.taxonomy import DEFAULT_CATEGORIES

REGION = (45.8, 39.0, 47.5, 40.5)  # min lon, min lat, max lon, max lat
MONTH_START = datetime(2020, 11, 10, tzinfo=UTC)
DAYS = 30
M_PER_DEG = 111_320.0
# Observation mix: heard with bearing + distance from a post, bearing only, seen by a patrol.
KIND_WEIGHTS = (0.55, 0.10, 0.35)
# (category, relative frequency, weapon class)
CATEGORY_MIX: tuple[tuple[str, float, str | None], ...] = (
    ("ceasefire_violation.explosion.undetermined", 14, "unknown"),
    ("ceasefire_violation.explosion.artillery", 8, "artillery"),
    ("ceasefire_violation.explosion.mortar", 10, "mortar"),
    ("ceasefire_violation.explosion.tank", 2, "tank"),
    ("ceasefire_violation.explosion.rocket", 1, "rocket_mlrs"),
    ("ceasefire_violation.explosion.mine_ied", 1, "mine_ied"),
    ("ceasefire_violation.projectile.outgoing", 2, None),
    ("ceasefire_violation.projectile.incoming", 2, None),
    ("ceasefire_violation.small_arms.bursts", 22, "small_arms"),
    ("ceasefire_violation.small_arms.shots", 14, "small_arms"),
    ("ceasefire_violation.anti_aircraft", 1, "anti_aircraft"),
    ("ceasefire_violation.illumination_flare", 8, None),
    ("ceasefire_violation.drone_strike", 1, "drone"),
    ("weapons_forces.military_movement", 6, None),
    ("weapons_forces.fortification", 3, None),
    ("weapons_forces.heavy_weapons_in_zone", 1, "artillery"),
    ("weapons_forces.armed_personnel", 1, "small_arms"),
    ("line_crossings.crossing", 1, None),
    ("line_crossings.borderisation", 1, None),
    ("civilian_harm.damage", 1, None),
    ("mines_uxo", 1, None),
)
LABELS = {c.code: c.label for c in DEFAULT_CATEGORIES}
assert all(code in LABELS for code, _, _ in CATEGORY_MIX), "benchmark category not in taxonomy"
# Night is when most firing is reported: hour-of-day weights (UTC+4 local, roughly).
HOUR_WEIGHTS = np.array([3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3.0])
RELIABILITY = np.array(list("ABCDEF"))
CREDIBILITY = np.array(list("123456"))


@dataclass(frozen=True)
class PostSpec:
    """A demo observation post as the benchmarks create it through the API."""

    code: str
    name: str
    kind: str
    lat: float
    lon: float
    view_from: float
    view_to: float
    range_m: float

    def payload(self) -> dict[str, Any]:
        """The body of POST /api/v1/posts."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "lat": self.lat,
            "lon": self.lon,
            "view_from_deg": self.view_from,
            "view_to_deg": self.view_to,
            "range_m": self.range_m,
        }


def demo_posts() -> list[PostSpec]:
    """The demo scenario's posts (real positions along the 2020 line of contact)."""
    text = (resources.files("vigil.demo") / "data" / "posts.csv").read_text(encoding="utf-8")
    return [
        PostSpec(
            r["code"],
            r["name"],
            r["kind"],
            float(r["lat"]),
            float(r["lon"]),
            float(r["view_from_deg"]),
            float(r["view_to_deg"]),
            float(r["range_m"]),
        )
        for r in csv.DictReader(text.splitlines())
    ]


@dataclass(frozen=True)
class Sample:
    """n observations as columns (numpy arrays); row i is one observation."""

    kind: np.ndarray  # 0: post, bearing + distance; 1: post, bearing only; 2: patrol, location
    post: np.ndarray  # index into the posts (kinds 0 and 1)
    patrol: np.ndarray  # patrol number (kind 2)
    bearing: np.ndarray
    bearing_err: np.ndarray
    distance: np.ndarray
    observer: np.ndarray  # (n, 3): lat, lon, error_m
    location: np.ndarray  # (n, 3): lat, lon, error_m (kind 2)
    estimated: np.ndarray  # (n, 2): lat, lon where the observed thing probably was
    seconds: np.ndarray  # since MONTH_START
    duration: np.ndarray  # 0: a moment; > 0: a period of activity
    submitted: np.ndarray  # seconds since MONTH_START when it reached Vigil
    uncertainty: np.ndarray
    category: np.ndarray  # index into CATEGORY_MIX
    count: np.ndarray
    grade: np.ndarray  # (n, 2): reliability index, credibility index

    def __len__(self) -> int:
        return len(self.kind)


def _offset(lat: np.ndarray, lon: np.ndarray, north_m: np.ndarray, east_m: np.ndarray) -> Any:
    """Move points by metres north and east (flat-earth, fine over tens of kilometres)."""
    return lat + north_m / M_PER_DEG, lon + east_m / (M_PER_DEG * np.cos(np.radians(lat)))


def _clip(lat: np.ndarray, lon: np.ndarray) -> Any:
    min_lon, min_lat, max_lon, max_lat = REGION
    return np.clip(lat, min_lat, max_lat), np.clip(lon, min_lon, max_lon)


def _heard(rng: np.random.Generator, posts: list[PostSpec], post: np.ndarray) -> Any:
    """Bearings inside each post's field of view, distances within its range."""
    frm = np.array([p.view_from for p in posts])[post]
    width = (np.array([p.view_to for p in posts])[post] - frm) % 360
    bearing = np.round((frm + rng.random(len(post)) * width) % 360, 1) % 360
    reach = np.array([p.range_m for p in posts])[post]
    distance = np.round(np.clip(rng.lognormal(np.log(4000), 0.6, len(post)), 300, reach), -1)
    return bearing, distance


def _patrols(rng: np.random.Generator, base: np.ndarray, n: int) -> np.ndarray:
    """Patrol positions: most near the line (around posts), some anywhere in the region."""
    north, east = rng.normal(0, 6000, n), rng.normal(0, 6000, n)
    lat, lon = _offset(base[:, 0], base[:, 1], north, east)
    anywhere = rng.random(n) < 0.3
    min_lon, min_lat, max_lon, max_lat = REGION
    lat = np.where(anywhere, rng.uniform(min_lat, max_lat, n), lat)
    lon = np.where(anywhere, rng.uniform(min_lon, max_lon, n), lon)
    return np.column_stack(_clip(lat, lon))


def _where(rng: np.random.Generator, posts: list[PostSpec], kind: np.ndarray, post: np.ndarray):
    """Observer and observed positions, bearings and distances for each kind."""
    n = len(kind)
    spots = np.array([(p.lat, p.lon) for p in posts])[post]
    bearing, distance = _heard(rng, posts, post)
    patrol = _patrols(rng, spots, n)
    seen = np.column_stack(
        _clip(*_offset(patrol[:, 0], patrol[:, 1], rng.normal(0, 1500, n), rng.normal(0, 1500, n)))
    )
    rad = np.radians(bearing)
    heard = np.column_stack(
        _offset(spots[:, 0], spots[:, 1], distance * np.cos(rad), distance * np.sin(rad))
    )
    estimated = np.where((kind == 0)[:, None], heard, np.where((kind == 1)[:, None], spots, seen))
    observer = np.where((kind == 2)[:, None], patrol, spots)
    observer_err = np.where(kind == 2, rng.choice([10.0, 25.0, 50.0], n), 0.0)
    location_err = np.round(rng.uniform(50, 500, n), -1)
    return (
        bearing,
        distance,
        np.column_stack([observer, observer_err]),
        np.column_stack([seen, location_err]),
        estimated,
    )


def _when(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds since MONTH_START: any day of the month, more often at night."""
    day = rng.integers(0, DAYS, n)
    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return day * 86400 + hour * 3600 + rng.integers(0, 3600, n)


def _lag(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds from an observation's end to its arrival: mostly minutes, 5 % synced days later."""
    offline = rng.random(n) < 0.05
    return np.round(rng.exponential(1800, n) + offline * rng.uniform(0, 3 * 86400, n)).astype(int)


def sample(rng: np.random.Generator, n: int, posts: list[PostSpec]) -> Sample:
    """n realistic observations from a seeded generator, in the order they arrive."""
    kind = rng.choice(3, n, p=KIND_WEIGHTS)
    post = rng.integers(0, len(posts), n)
    bearing, distance, observer, location, estimated = _where(rng, posts, kind, post)
    weights = np.array([w for _, w, _ in CATEGORY_MIX])
    category = rng.choice(len(CATEGORY_MIX), n, p=weights / weights.sum())
    bursts = np.array([c.endswith("bursts") for c, _, _ in CATEGORY_MIX])[category]
    explosive = np.array([".explosion." in c for c, _, _ in CATEGORY_MIX])[category]
    seconds = _when(rng, n)
    duration = np.where(bursts, rng.integers(60, 1800, n), 0)
    drawn = Sample(
        kind=kind,
        post=post,
        patrol=rng.integers(1, 60, n),
        bearing=bearing,
        bearing_err=rng.choice([5.0, 10.0, 15.0], n),
        distance=distance,
        observer=observer,
        location=location,
        estimated=estimated,
        seconds=seconds,
        duration=duration,
        submitted=seconds + duration + _lag(rng, n),
        uncertainty=rng.choice([0.0, 60.0, 300.0, 900.0], n, p=[0.3, 0.4, 0.2, 0.1]),
        category=category,
        count=np.where(explosive | bursts, 1 + rng.poisson(2.5, n), 1),
        grade=np.column_stack(
            [
                rng.choice(6, n, p=[0.2, 0.35, 0.25, 0.1, 0.02, 0.08]),
                rng.choice(6, n, p=[0.15, 0.35, 0.3, 0.1, 0.02, 0.08]),
            ]
        ),
    )
    return arrival_order(drawn)


def arrival_order(s: Sample) -> Sample:
    """The sample sorted by arrival: a live database stores observations as they come in."""
    order = np.argsort(s.submitted, kind="stable")
    return Sample(**{name: getattr(s, name)[order] for name in s.__dataclass_fields__})


def stand_in_fingerprint(client_id: str) -> str:
    """A 64-hex fingerprint for bulk-loaded rows (they never went through a draft)."""
    return hashlib.sha256(client_id.encode()).hexdigest()


def time_of(seconds: int) -> datetime:
    """The moment `seconds` after the start of the benchmark month."""
    return MONTH_START + timedelta(seconds=seconds)
