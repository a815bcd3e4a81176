"""Observers' clocks: each is set a little wrong and drifts until it is set again.

Times in reports are what the observer's clock showed, so association must allow for a
post's watch running 20 s fast. A staffed post's watch is off by ~15 s (N(0, 15 s)) and
drifts by up to a second or so a day; sensors and cameras keep time to about half a second.
Clocks are set again every RESYNC_DAYS days of the simulated period, so a long run never
drifts away without bound.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

RESYNC_DAYS = 30
# Observer kind: (sigma of the offset in s, sigma of the drift in s per day).
CLOCK_SIGMAS: dict[str, tuple[float, float]] = {
    "observation_post": (15.0, 0.5),
    "patrol": (15.0, 0.5),
    "acoustic_sensor": (0.5, 0.01),
    "camera": (0.5, 0.01),
}


@dataclass(frozen=True)
class Clock:
    """One observer's clock: a fixed offset and a drift since it was last set."""

    offset_s: float
    drift_s_per_day: float
    set_at_s: float  # when it was first set (epoch seconds): the start of the period

    def error_s(self, at_s: np.ndarray | float) -> np.ndarray | float:
        """How far ahead (+) or behind (-) of true time the clock reads at `at_s` (epoch s)."""
        days = np.maximum(0.0, np.asarray(at_s) - self.set_at_s) / 86400.0
        error = self.offset_s + self.drift_s_per_day * (days % RESYNC_DAYS)
        return float(error) if np.ndim(error) == 0 else error


def clock_of(seed: int, code: str, kind: str, set_at_s: float) -> Clock:
    """The clock of one observer, the same for the same seed and code in any company."""
    sigma_offset, sigma_drift = CLOCK_SIGMAS.get(kind, CLOCK_SIGMAS["observation_post"])
    rng = np.random.Generator(np.random.PCG64([seed, zlib.crc32(code.encode())]))
    offset, drift = rng.normal(0.0, [sigma_offset, sigma_drift])
    return Clock(float(offset), float(drift), set_at_s)
