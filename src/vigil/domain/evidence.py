"""Does a photo agree with the report it came with? Its EXIF position and time compared with
where and when the observation says things happened; disagreements become flags for a
person to look at, never a refusal (cameras' clocks and GPS are often wrong)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vigil.domain.geodesy import distance_m

FAR_FROM_REPORT = "far_from_report"
TIME_MISMATCH = "time_mismatch"


@dataclass(frozen=True)
class Taken:
    """Where and when the file says it was made (EXIF), each None when it does not say."""

    at: datetime | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Reported:
    """Where and when the observation says: its period and its places (the observer's
    position and the estimated point of what was observed)."""

    observed_at: datetime
    observed_to: datetime | None
    places: Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Comparison:
    """Distance from the file's position to the nearer reported place (metres), its time
    minus the reported time (seconds), and the flags raised."""

    distance_m: float | None
    time_gap_s: float | None
    flags: list[str]


def compare(taken: Taken, reported: Reported, far_m: float, max_gap_s: float) -> Comparison:
    """Measure and flag: far_from_report beyond far_m, time_mismatch when the file's time
    lies more than max_gap_s outside the reported period."""
    flags: list[str] = []
    distance = nearest_distance(taken, reported.places)
    if distance is not None and distance > far_m:
        flags.append(FAR_FROM_REPORT)
    gap = None
    if taken.at is not None:
        gap = (taken.at - reported.observed_at).total_seconds()
        if outside_period(taken.at, reported) > max_gap_s:
            flags.append(TIME_MISMATCH)
    return Comparison(distance, gap, flags)


def nearest_distance(taken: Taken, places: Sequence[tuple[float, float]]) -> float | None:
    """Geodesic distance to the nearest place; None without a position or a place."""
    if taken.lat is None or taken.lon is None or not places:
        return None
    return min(distance_m(taken.lat, taken.lon, lat, lon) for lat, lon in places)


def outside_period(at: datetime, reported: Reported) -> float:
    """Seconds by which a time falls outside the reported period (0 inside it)."""
    end = reported.observed_to or reported.observed_at
    before = (reported.observed_at - at).total_seconds()
    after = (at - end).total_seconds()
    return max(0.0, before, after)
