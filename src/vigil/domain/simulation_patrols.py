"""Patrols on the move: where a patrol is at a given moment, and the demo's daily patrols.

A patrol sets out every day at the same local hour from the first waypoint of its route,
drives out and back along it at a steady speed, and is off the road after its duration.
What it hears or sees it reports from where it was at that moment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vigil.domain.geodesy import WGS84
from vigil.domain.simulation_model import LOCAL_UTC_OFFSET, ContactLine, SimPatrol

# The demo's patrols: (share of the line where the route is centred, side, local start hour,
# hours out). Routes run 4 km behind the line, two on each side, by daylight.
DEMO_PATROLS = ((0.2, 1.0, 8.0, 7.0), (0.4, -1.0, 8.5, 6.5), (0.6, 1.0, 9.0, 6.0),
                (0.8, -1.0, 9.5, 6.0))  # fmt: skip
ROUTE_BEHIND_M = 4000.0
ROUTE_LENGTH_M = 24000.0
ROUTE_STEP_M = 2000.0
PATROL_SPEED_M_S = 3.0  # about 11 km/h: driving slowly, stopping to look and listen


class Route:
    """A patrol's route measured along its length, to place the patrol on it in time."""

    def __init__(self, patrol: SimPatrol) -> None:
        if len(patrol.route) < 2:
            raise ValueError(f"patrol {patrol.code}: a route needs at least two waypoints")
        self.patrol = patrol
        self._lats = np.array([p[0] for p in patrol.route], dtype=float)
        self._lons = np.array([p[1] for p in patrol.route], dtype=float)
        _, _, legs = WGS84.inv(self._lons[:-1], self._lats[:-1], self._lons[1:], self._lats[1:])
        self._cum = np.concatenate([[0.0], np.cumsum(legs)])
        self.length_m = float(self._cum[-1])

    def on_duty(self, at_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For epoch seconds: whether the patrol is out, and for how long it has been."""
        local_s = (np.asarray(at_s, dtype=float) + LOCAL_UTC_OFFSET.total_seconds()) % 86400.0
        out_for = (local_s - self.patrol.start_hour * 3600.0) % 86400.0  # since it set out
        return out_for < self.patrol.duration_h * 3600.0, out_for

    def departure_s(self, at_s: float) -> float:
        """When (epoch seconds) the patrol sets out on the local day of `at_s`."""
        offset = LOCAL_UTC_OFFSET.total_seconds()
        midnight = (at_s + offset) // 86400.0 * 86400.0 - offset
        return midnight + self.patrol.start_hour * 3600.0

    def where(self, out_for_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lats, lons) after driving out and back for so many seconds."""
        if self.length_m == 0.0:
            return np.full(len(out_for_s), self._lats[0]), np.full(len(out_for_s), self._lons[0])
        driven = (np.asarray(out_for_s, dtype=float) * self.patrol.speed_m_s) % (2 * self.length_m)
        along = np.where(driven <= self.length_m, driven, 2 * self.length_m - driven)
        return np.interp(along, self._cum, self._lats), np.interp(along, self._cum, self._lons)


def patrols_along(line_of_contact: Sequence[tuple[float, float]]) -> tuple[SimPatrol, ...]:
    """The demo's daylight patrols: routes beside a (lon, lat) line, two on each side."""
    line = ContactLine(line_of_contact)
    patrols = []
    for n, (share, side, hour, hours) in enumerate(DEMO_PATROLS, start=1):
        centre = share * line.length_m
        along = np.arange(-ROUTE_LENGTH_M / 2, ROUTE_LENGTH_M / 2 + 1.0, ROUTE_STEP_M) + centre
        along = np.unique(np.clip(along, 0.0, line.length_m))
        lats, lons = line.points(along, np.full(len(along), side * ROUTE_BEHIND_M))
        route = tuple(
            (round(float(a), 5), round(float(o), 5)) for a, o in zip(lats, lons, strict=True)
        )
        patrols.append(SimPatrol(f"PTL-{n:02d}", route, hour, hours, PATROL_SPEED_M_S))
    return tuple(patrols)
