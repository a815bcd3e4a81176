"""The fusion benchmark's scenarios: what `vigil demo` simulates, as fusion Reports with truth.

The demo's posts, patrols and line go through the same `scenario_for` as the demo. Accuracy
runs simulate a month in memory (a second or so). The scale runs need up to a million reports,
which take over a minute to simulate, so their reports are cached as numpy columns under
benchmarks/results/ (git-ignored), keyed by the source of the simulator, the report model and
this conversion: a changed simulator makes a new cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

import vigil.domain.fusion_model as fusion_model
import vigil.domain.simulation as simulation
import vigil.services.simulation as simulation_service
from benchmarks.fusion_columns import to_columns
from vigil.domain.fusion_model import Report
from vigil.domain.simulation import Scenario, SimObservation, TruthEvent
from vigil.formats.geography_files import parse_posts_csv, parse_zones
from vigil.services.demo import DAYS, START
from vigil.services.simulation import scenario_for
from vigil.store.tables import Post

CACHE = Path(__file__).with_name("results")
CHUNK_DAYS = 90  # the scale scenario is simulated a season at a time


def _data(name: str) -> bytes:
    return resources.files("vigil.demo").joinpath("data", name).read_bytes()


def demo_geography() -> tuple[list[Post], dict[str, Any]]:
    """The demo's posts, as `vigil demo` stores them (unsaved rows), and its line of contact."""
    posts = [Post(**d.model_dump(), active=True) for d in parse_posts_csv(_data("posts.csv"))]
    zones = parse_zones(_data("zones.geojson"))
    return posts, next(z.geometry for z in zones if z.kind == "line_of_contact")


def run_simulation(
    start: datetime, days: int, seed: int, density: float
) -> tuple[Scenario, dict[str, str]]:
    """What `vigil demo` simulates (posts, patrols, line) for any period; the posts' kinds."""
    posts, line = demo_geography()
    scenario = scenario_for(posts, line, start, days, seed, density)
    return scenario, {p.code: p.kind for p in posts}


def truth_keys(o: SimObservation) -> tuple[str, ...]:
    """The truth events a report describes: one, several (a multi-count summary) or none."""
    return tuple(o.truth_keys)


def _epoch(t: datetime) -> float:
    return t.timestamp()


def to_report(o: SimObservation, id_: int, kinds: Mapping[str, str]) -> Report:
    """One simulated observation as fusion sees it; an observer that is no post is a patrol."""
    kind = "patrol" if o.observer_kind == "patrol" else kinds.get(o.post_code, "patrol")
    return Report(
        id=id_,
        client_id=o.client_id,
        observer=o.post_code,
        observer_kind=kind,
        observer_lat=o.observer_lat,
        observer_lon=o.observer_lon,
        t0=_epoch(o.observed_at),
        t1=_epoch(o.observed_to or o.observed_at),
        time_sigma_s=o.time_uncertainty_s,
        category=o.category,
        count=o.count,
        bearing_deg=o.bearing_deg,
        bearing_sigma_deg=o.bearing_error_deg,
        distance_m=o.distance_m,
        distance_sigma_m=o.distance_error_m,
        lat=o.lat,
        lon=o.lon,
        location_sigma_m=o.location_error_m,
        reliability=o.reliability,
    )


@dataclass(frozen=True)
class Case:
    """A simulated scenario ready for fusion: reports, and the truth behind each of them."""

    seed: int
    density: float
    days: int
    reports: list[Report]
    keys: dict[int, tuple[str, ...]]  # report id -> truth events it describes
    events: dict[str, TruthEvent]


def accuracy_case(seed: int, density: float = 1.0, days: int = DAYS) -> Case:
    """The demo month (or `days` from the demo's start) at a density, as reports with truth."""
    scenario, kinds = run_simulation(START, days, seed, density)
    reports = [to_report(o, i + 1, kinds) for i, o in enumerate(scenario.observations)]
    keys = {i + 1: truth_keys(o) for i, o in enumerate(scenario.observations)}
    events = {e.key: e for e in scenario.events}
    return Case(seed, density, days, reports, keys, events)


# The scale scenario: columns on disk


def _fingerprint() -> str:
    """What the cached reports depend on: simulator, model and conversion sources, demo data."""
    h = hashlib.sha256()
    folder = Path(simulation.__file__).parent
    sources = sorted(folder.glob("simulation*.py"))
    sources += [Path(fusion_model.__file__), Path(simulation_service.__file__)]
    for path in [*sources, Path(__file__), Path(__file__).with_name("fusion_columns.py")]:
        h.update(path.read_bytes())
    h.update(_data("posts.csv") + _data("zones.geojson"))
    return h.hexdigest()[:12]


def _chunks(seed: int) -> Iterator[list[Report]]:
    """Seasons of simulated reports one after the other, ids running on."""
    next_id, k = 1, 0
    while True:
        start = START + timedelta(days=k * CHUNK_DAYS)
        scenario, kinds = run_simulation(start, CHUNK_DAYS, seed * 1000 + k, 1.0)
        obs = scenario.observations
        yield [to_report(o, next_id + i, kinds) for i, o in enumerate(obs)]
        next_id, k = next_id + len(obs), k + 1


def scale_cache(n: int, seed: int, tick: Callable[[int], None]) -> Path:
    """A cache of at least n reports (simulated a season at a time if none is big enough)."""
    tag = f"fusion-scale-{seed}-{_fingerprint()}"
    for path in sorted(CACHE.glob(f"{tag}-*.npz"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        if int(path.stem.rsplit("-", 1)[1]) >= n:
            return path
    reports: list[Report] = []
    for chunk in _chunks(seed):
        reports += chunk
        tick(min(len(chunk), n - len(reports) + len(chunk)))
        if len(reports) >= n:
            break
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{tag}-{n}.npz"
    np.savez(path, **to_columns(reports[:n]))
    for old in CACHE.glob(f"fusion-scale-{seed}-*.npz"):
        if old != path:
            old.unlink()  # stale (another simulator) or superseded (fewer reports)
    return path
