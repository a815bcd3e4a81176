"""The vocabulary of the ground-truth simulator: what happened, who saw it, and the line.

Kept apart from `simulation` so that the event generator and the observer model can share
the types and the constants without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from vigil.domain.geodesy import WGS84
from vigil.domain.taxonomy import DEFAULT_CATEGORIES, WEAPON_CLASSES

LOCAL_UTC_OFFSET = timedelta(hours=4)  # Baku and Yerevan: UTC+4, no summer time since 2016
SPEED_OF_SOUND_M_S = 343.0


@dataclass(frozen=True)
class SimPost:
    """An observer position; a view sector (degrees clockwise from north) limits cameras."""

    code: str
    kind: str
    lat: float
    lon: float
    range_m: float
    view_from_deg: float = 0.0
    view_to_deg: float = 360.0


@dataclass(frozen=True)
class SimPatrol:
    """A patrol that drives a route every day: out and back, from a local hour, for hours."""

    code: str
    route: tuple[tuple[float, float], ...]  # (lat, lon) waypoints
    start_hour: float  # local time of day it sets out
    duration_h: float
    speed_m_s: float
    range_m: float = 15000.0


@dataclass(frozen=True, slots=True)
class TruthEvent:
    """What really happened: the answer that fusion is measured against."""

    key: str
    category: str
    weapon_class: str | None
    lat: float
    lon: float
    started_at: datetime
    ended_at: datetime
    count: int
    episode: int = -1  # the shelling episode an impact belongs to (-1: none)


@dataclass(frozen=True, slots=True)
class SimObservation:
    """One report by one observer, with the errors a real observer would make."""

    client_id: str
    truth_key: str | None  # None for a false alarm; the first of truth_keys otherwise
    truth_keys: tuple[str, ...]  # every true event the report covers (several: a summary)
    post_code: str  # the post's code, or the patrol's
    observer_kind: str  # "post" or "patrol"
    observer_lat: float
    observer_lon: float
    observed_at: datetime
    observed_to: datetime | None
    time_uncertainty_s: float
    category: str
    weapon_class: str | None
    count: int
    bearing_deg: float | None
    bearing_error_deg: float | None
    distance_m: float | None
    distance_error_m: float | None
    lat: float | None
    lon: float | None
    location_error_m: float | None
    text: str
    reliability: str  # NATO Admiralty "A".."F"
    credibility: str  # NATO Admiralty "1".."6"


@dataclass(frozen=True)
class Scenario:
    """A simulated period: the truth and what the observers reported of it."""

    events: tuple[TruthEvent, ...]
    observations: tuple[SimObservation, ...]


@dataclass(frozen=True)
class EventSpec:
    """How a kind of event shows itself: how far it is heard and seen, how long, how many."""

    category: str
    weapon_class: str | None
    sound_m: float | None  # distance at which half of attentive listeners hear it
    sight_day_m: float | None  # same for being seen by day
    sight_night_m: float | None  # and by night
    duration_s: tuple[float, float]
    count: tuple[int, int]


_CV = "ceasefire_violation."
_EX, _SA, _WF = _CV + "explosion.", _CV + "small_arms.", "weapons_forces."
_S = EventSpec
# name: category, weapon, heard at, seen by day, seen by night (m), duration (s), count
SPECS: dict[str, EventSpec] = {
    "artillery": _S(_EX + "artillery", "artillery", 15000, 4000, 8000, (1, 3), (1, 3)),
    "mortar": _S(_EX + "mortar", "mortar", 10000, 3000, 6000, (1, 3), (1, 3)),
    "tank": _S(_EX + "tank", "tank", 9000, 3000, 6000, (1, 2), (1, 2)),
    "rocket": _S(_EX + "rocket", "rocket_mlrs", 18000, 5000, 10000, (5, 30), (6, 16)),
    "mine": _S(_EX + "mine_ied", "mine_ied", 6000, 2000, 4000, (1, 2), (1, 1)),
    "launch": _S(_CV + "projectile.outgoing", "artillery", 12000, None, 6000, (60, 1800), (1, 1)),
    "bursts": _S(_SA + "bursts", "small_arms", 4000, None, 3000, (5, 120), (1, 10)),
    "hmg": _S(_SA + "bursts", "heavy_machine_gun", 6000, None, 4000, (5, 90), (1, 8)),
    "shots": _S(_SA + "shots", "small_arms", 3000, None, 2000, (2, 60), (1, 12)),
    "flare": _S(_CV + "illumination_flare", None, None, 3000, 10000, (30, 90), (1, 3)),
    "anti_aircraft": _S(_CV + "anti_aircraft", "anti_aircraft", 8000, 3000, 8000, (9, 99), (1, 6)),
    "drone": _S(_CV + "drone_strike", "drone", 9000, 3000, 6000, (1, 5), (1, 1)),
    "movement": _S(_WF + "military_movement", "unknown", 1500, 4500, 2000, (600, 3600), (1, 6)),
    "fortification": _S(_WF + "fortification", None, 1000, 3500, None, (3600, 14400), (1, 1)),
}  # fmt: skip

# Per observer kind: best detection probability, bearing sigma (deg), Admiralty grade.
OBSERVERS: dict[str, tuple[float, float, str, str]] = {
    "observation_post": (0.9, 5.0, "B", "2"),
    "acoustic_sensor": (0.97, 3.0, "B", "3"),
    "camera": (0.95, 2.0, "A", "2"),
    "patrol": (0.85, 7.0, "C", "2"),
}
# Observers that are people: they round times to the minute, guess distances, summarise.
STAFFED = frozenset({"observation_post", "patrol"})
# Categories observers report that no truth event has: confusions and lost detail.
EXTRA_REPORTED_CATEGORIES = (_EX + "undetermined", _CV + "projectile.incoming")
WEAPON_OF_EXPLOSION: dict[str, str] = {
    "artillery": "artillery",
    "mortar": "mortar",
    "tank": "tank",
    "rocket": "rocket_mlrs",
    "mine_ied": "mine_ied",
    "undetermined": "unknown",
}


def vocabulary_problems() -> list[str]:
    """Category codes or weapon classes the simulator uses that the taxonomy lacks."""
    codes = {c.code for c in DEFAULT_CATEGORIES}
    used = {s.category for s in SPECS.values()} | set(EXTRA_REPORTED_CATEGORIES)
    weapons = {s.weapon_class for s in SPECS.values()} | set(WEAPON_OF_EXPLOSION.values())
    bad = sorted(c for c in used if c not in codes)
    return bad + sorted(w for w in weapons if w is not None and w not in WEAPON_CLASSES)


def is_night(when: datetime) -> bool:
    """True in local darkness (roughly 18:00 to 07:00 in November)."""
    hour = (when + LOCAL_UTC_OFFSET).hour
    return hour >= 18 or hour < 7


def in_sector(azimuth: float, view_from: float, view_to: float) -> bool:
    """True when an azimuth lies in the clockwise sector from view_from to view_to."""
    width = (view_to - view_from) % 360.0
    if width == 0.0 and view_to != view_from:
        return True  # 0..360: all round
    return (azimuth - view_from) % 360.0 <= width


class ContactLine:
    """A line of contact measured along its length, to place events beside it."""

    def __init__(self, coords: Sequence[tuple[float, float]]) -> None:
        if len(coords) < 2:
            raise ValueError("a line of contact needs at least two (lon, lat) vertices")
        self._lons = np.array([c[0] for c in coords], dtype=float)
        self._lats = np.array([c[1] for c in coords], dtype=float)
        az, _, dist = WGS84.inv(self._lons[:-1], self._lats[:-1], self._lons[1:], self._lats[1:])
        self._az = np.asarray(az, dtype=float)
        self._cum = np.concatenate([[0.0], np.cumsum(dist)])

    @property
    def length_m(self) -> float:
        """Total geodesic length of the line."""
        return float(self._cum[-1])

    def point(self, along_m: float, offset_m: float) -> tuple[float, float]:
        """(lat, lon) at a distance along the line, offset to its right (+) or left (-)."""
        lats, lons = self.points(np.array([along_m]), np.array([offset_m]))
        return float(lats[0]), float(lons[0])

    def points(self, along_m: np.ndarray, offset_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Many points at once: (lats, lons) of `point` for arrays of along and offset."""
        along = np.clip(np.asarray(along_m, dtype=float), 0.0, self.length_m)
        offset = np.asarray(offset_m, dtype=float)
        i = np.clip(np.searchsorted(self._cum, along, side="right") - 1, 0, len(self._az) - 1)
        lon, lat, back_az = WGS84.fwd(
            self._lons[i], self._lats[i], self._az[i], along - self._cum[i]
        )
        side_az = np.asarray(back_az) + 180.0 + np.where(offset > 0, 90.0, -90.0)
        lon2, lat2, _ = WGS84.fwd(lon, lat, side_az, np.abs(offset))
        moved = offset != 0.0
        return np.where(moved, lat2, lat), np.where(moved, lon2, lon)

    def project(self, lat: float, lon: float, step_m: float = 250.0) -> tuple[float, float]:
        """(distance along the line, distance from it) of the line point nearest to (lat, lon)."""
        along = np.arange(0.0, self.length_m + step_m, step_m)
        lats, lons = self.points(along, np.zeros_like(along))
        _, _, dist = WGS84.inv(np.full(len(along), lon), np.full(len(along), lat), lons, lats)
        i = int(np.argmin(dist))
        return float(along[i]), float(np.asarray(dist)[i])
