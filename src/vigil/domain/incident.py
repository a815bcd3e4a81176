"""An incident's first estimate from the observations an analyst groups together.

This is the simple estimate behind "create incident from observations": the mean of the
observations' estimated points with a 95 % ellipse that combines their spread and their
stated errors. Fusion from bearings (maximum likelihood) replaces it in the fusion work.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vigil.domain.geodesy import LocalPlane

CHI2_95_2D = 5.991  # 95 % quantile of chi-squared with 2 degrees of freedom
STATUSES = ("reported", "under_review", "corroborated", "verified", "refuted")


@dataclass(frozen=True)
class PointReport:
    """One observation's estimated point, its error (1 sigma, metres) and time."""

    lat: float | None
    lon: float | None
    error_m: float | None
    observed_at: datetime
    observed_to: datetime | None
    category: str
    count: int


@dataclass(frozen=True)
class Estimate:
    """Where and when an incident happened, as far as its observations say."""

    lat: float | None
    lon: float | None
    major_m: float | None
    minor_m: float | None
    angle_deg: float | None
    started_at: datetime
    ended_at: datetime
    category: str
    count: int


def estimate(reports: list[PointReport]) -> Estimate:
    """Combine reports of one event: mean point, 95 % ellipse, time window, category, count."""
    if not reports:
        raise ValueError("an incident needs at least one observation")
    start = min(r.observed_at for r in reports)
    end = max(r.observed_to or r.observed_at for r in reports)
    category = Counter(r.category for r in reports).most_common(1)[0][0]
    count = max(r.count for r in reports)  # several observers of one event: not a sum
    located = [r for r in reports if r.lat is not None and r.lon is not None]
    if not located:
        return Estimate(None, None, None, None, None, start, end, category, count)
    lat, lon, major, minor, angle = _ellipse(located)
    return Estimate(lat, lon, major, minor, angle, start, end, category, count)


def _ellipse(located: list[PointReport]) -> tuple[float, float, float, float, float]:
    """Mean position and 95 % ellipse (semi-axes, azimuth of the major axis)."""
    plane = LocalPlane(located[0].lat or 0.0, located[0].lon or 0.0)
    xy = np.array([plane.to_xy(r.lat or 0.0, r.lon or 0.0) for r in located])
    sigma2 = np.array([(r.error_m or 0.0) ** 2 for r in located])
    mean = xy.mean(axis=0)
    cov = np.eye(2) * (sigma2.mean() / len(located))
    if len(located) > 1:
        cov = cov + np.cov(xy.T, ddof=1) / len(located)
    values, vectors = np.linalg.eigh(cov)
    major_vec = vectors[:, int(np.argmax(values))]
    angle = math.degrees(math.atan2(major_vec[0], major_vec[1])) % 180.0
    major, minor = (math.sqrt(CHI2_95_2D * max(v, 0.0)) for v in sorted(values, reverse=True))
    lat, lon = plane.to_latlon(float(mean[0]), float(mean[1]))
    return lat, lon, major, minor, angle
