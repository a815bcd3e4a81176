"""The vocabulary of fusion: reports in, clusters (future incidents) out.

Kept apart from the association and localisation maths so that the services, the
benchmarks and the tests share one description of what fusion consumes and produces.
Times are seconds since the Unix epoch (UTC); positions are WGS84 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPEED_OF_SOUND_M_S = 343.0
# Observer kinds that only see (no sound delay), and families only ever seen.
SIGHT_OBSERVERS = frozenset({"camera"})
SIGHT_FAMILIES = frozenset({"flare", "movement", "fortification", "other"})


@dataclass(frozen=True)
class Report:
    """One observation as fusion sees it: who, when, what, and the evidence of where."""

    id: int
    client_id: str
    observer: str  # the unit of independence: a post, a patrol, a person
    observer_kind: str  # observation_post, acoustic_sensor, camera, patrol, monitor, ...
    observer_lat: float | None
    observer_lon: float | None
    t0: float  # observed_at
    t1: float  # observed_to, or observed_at
    time_sigma_s: float
    category: str
    count: int
    bearing_deg: float | None = None
    bearing_sigma_deg: float | None = None
    distance_m: float | None = None
    distance_sigma_m: float | None = None
    lat: float | None = None
    lon: float | None = None
    location_sigma_m: float | None = None
    reliability: str = "F"


@dataclass(frozen=True)
class Constraints:
    """An analyst's decisions that fusion must respect."""

    must_link: tuple[tuple[int, ...], ...] = ()  # report ids that belong together
    cannot_link: frozenset[tuple[int, int]] = frozenset()  # (lower id, higher id)


@dataclass(frozen=True)
class Fix:
    """Where a cluster's event was, and how sure: a point with an ellipse, or a wedge."""

    kind: str  # point | wedge | degenerate | none
    lat: float | None
    lon: float | None
    cov: tuple[float, float, float] | None  # var east, cov east-north, var north (m²)
    major_m: float | None  # 95 % ellipse semi-axes and azimuth of the major axis
    minor_m: float | None
    angle_deg: float | None
    wedge: tuple[tuple[float, float], ...] | None  # (lon, lat) ring of a bearing-only area
    chi2: float
    dof: int
    residuals: tuple[dict[str, Any], ...]
    method: str


@dataclass(frozen=True)
class Cluster:
    """Reports that describe one real event, with the event fusion believes happened."""

    members: tuple[int, ...]  # report ids, ascending
    summaries: tuple[int, ...]  # multi-count reports that also cover this event
    category: str
    started_at: float
    ended_at: float
    count: int
    fix: Fix
    existence_p: float  # probability that the event is real and distinct
    alt_events: int  # events this cluster would be under the runner-up grouping
    explanation: dict[str, Any] = field(default_factory=dict)
