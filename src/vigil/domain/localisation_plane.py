"""Reports as arrays for the solver: their evidence of where and when (`Table`, in degrees)
and the same on a plane (`Plane`, in metres), where bearings are corrected for the plane's
convergence at each observer.

A stated time uncertainty is read as about two sigmas. A report over a window that may sum
up several events, or heard from an unknown place, is taken at the middle of what it allows,
with the window's spread added to its sigma.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from vigil.domain.fusion_model import SIGHT_OBSERVERS, SPEED_OF_SOUND_M_S, Report
from vigil.domain.fusion_rules import Family, family_of
from vigil.domain.geodesy import forward_many, inverse_many

DEFAULT_BEARING_SIGMA_DEG = 5.0
DEFAULT_DISTANCE_SHARE = 0.3
DEFAULT_LOCATION_SIGMA_M = 250.0
TIME_FLOOR_S = 0.5  # no clock is read better than this
WINDOW_MIN_S = 60.0  # a report over a longer window with a count may sum up several events


def _col(reports: Sequence[Report], name: str) -> np.ndarray:
    return np.array([getattr(r, name) for r in reports], float)  # None becomes nan


@dataclass
class Table:
    """Every report's evidence of where and when, as arrays (nan where a report gives none)."""

    olat: np.ndarray
    olon: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    bearing_deg: np.ndarray
    sb: np.ndarray  # bearing sigma, radians
    dist: np.ndarray
    sd: np.ndarray  # distance sigma, metres
    sl: np.ndarray  # location sigma, metres
    plat: np.ndarray  # the report's own point: its location, or bearing and distance
    plon: np.ndarray
    reach: np.ndarray  # how far such an event is noticed
    t: np.ndarray  # the moment the report puts the event at (its clock), and its sigma
    st: np.ndarray
    delayed: np.ndarray  # heard from a known place: late by the sound's travel from the point
    t0: np.ndarray  # as reported: from, to, and whether it was probably heard
    t1: np.ndarray
    heard: np.ndarray


def table_of(reports: Sequence[Report]) -> Table:
    """Put reports on arrays, with defaults where a value is given without its error."""
    olat, olon = _col(reports, "observer_lat"), _col(reports, "observer_lon")
    lat, lon = _col(reports, "lat"), _col(reports, "lon")
    b, d = _col(reports, "bearing_deg"), _col(reports, "distance_m")
    b[np.isnan(olat)] = np.nan  # a bearing from nowhere locates nothing
    d[np.isnan(b)] = np.nan  # nor does a distance without a direction
    sb = np.radians(np.nan_to_num(_col(reports, "bearing_sigma_deg"), nan=5.0))
    sd = _col(reports, "distance_sigma_m")
    sd = np.where(np.isnan(sd), DEFAULT_DISTANCE_SHARE * d, sd)
    sl = np.nan_to_num(_col(reports, "location_sigma_m"), nan=DEFAULT_LOCATION_SIGMA_M)
    plat, plon = lat.copy(), lon.copy()
    polar = np.isnan(lat) & ~np.isnan(d)
    if polar.any():
        plat[polar], plon[polar] = forward_many(olat[polar], olon[polar], b[polar], d[polar])
    families = {c: family_of(c) for c in {r.category for r in reports}}
    fam = [families[r.category] for r in reports]
    reach = np.array([f.range_m for f in fam], float)
    heard = np.array(
        [
            r.observer_kind not in SIGHT_OBSERVERS and f.heard
            for r, f in zip(reports, fam, strict=True)
        ],
        bool,
    )
    t0, t1 = _col(reports, "t0"), _col(reports, "t1")
    t, st = _times(reports, t0, t1, fam, heard & np.isnan(olat))
    return Table(
        olat, olon, lat, lon, b, np.maximum(sb, np.radians(0.2)), d,
        np.maximum(sd, 10.0), np.maximum(sl, 5.0), plat, plon, reach, t, st,
        heard & ~np.isnan(olat), t0, t1, heard,
    )  # fmt: skip


def _times(
    reports: Sequence[Report], t0: np.ndarray, t1: np.ndarray, fam: list[Family], lost: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each report's time and sigma; a window that may sum up events counts as its middle,
    and so does the delay of a sound heard from an unknown place."""
    st = np.maximum(_col(reports, "time_sigma_s") / 2.0, TIME_FLOOR_S)  # stated: ~2 sigma
    reach = np.array([f.range_m for f in fam], float)
    count = _col(reports, "count")
    summarises = np.array([f.summarises for f in fam], bool)
    lo, hi = t0.copy(), t0.copy()
    window = summarises & (t1 - t0 >= WINDOW_MIN_S) & (count >= 2)
    hi[window] = t1[window]
    lo[lost] -= reach[lost] / SPEED_OF_SOUND_M_S
    width = hi - lo
    return (lo + hi) / 2.0, np.sqrt(st**2 + width**2 / 12.0)


OX, OY, B, WB, LOGD, WD, LX, LY, WL, T, ST, DEL = range(12)  # the rows of Plane.a


@dataclass
class Plane:
    """Measurements on a plane, one column per report or group member, as one (12, n)
    array: observer x, y; bearing and its weight (1/sigma, 0 if none); log distance and its
    weight; location x, y and weight; time, its sigma; 1 if late by the sound's travel."""

    a: np.ndarray

    def take(self, idx: np.ndarray) -> Plane:
        """The members at these indices."""
        return Plane(self.a[:, idx])

    def with_times(self, t: np.ndarray, st: np.ndarray) -> Plane:
        """The same with other times and time sigmas."""
        a = self.a.copy()
        a[T], a[ST] = t, st
        return Plane(a)

    def has(self, row: int) -> np.ndarray:
        """Which members have this kind of measurement (WB, WD or WL)."""
        return np.asarray(self.a[row] > 0)

    def value(self, row: int, weight: int) -> np.ndarray:
        """A measurement (B, LOGD, LX or LY), nan where there is none."""
        return np.where(self.a[weight] > 0, self.a[row], np.nan)

    def sigma(self, weight: int) -> np.ndarray:
        """A measurement's sigma, nan where there is none."""
        with np.errstate(divide="ignore"):
            return np.where(self.a[weight] > 0, 1.0 / self.a[weight], np.nan)


def plane_of(table: Table, lat0: np.ndarray, lon0: np.ndarray) -> Plane:
    """Every row of the table on the plane centred at (lat0, lon0), one centre per row."""
    ox, oy, conv = _to_plane(lat0, lon0, table.olat, table.olon)
    lx, ly, _ = _to_plane(lat0, lon0, table.lat, table.lon)
    hb, hd, hl = ~np.isnan(table.bearing_deg), ~np.isnan(table.dist), ~np.isnan(lx)
    a = np.zeros((12, len(ox)))
    a[OX], a[OY] = np.nan_to_num(ox), np.nan_to_num(oy)
    a[B] = np.where(hb, np.radians(np.nan_to_num(table.bearing_deg)) + conv, 0.0)
    a[WB] = np.where(hb, 1.0 / table.sb, 0.0)
    a[LOGD] = np.where(hd, np.log(np.where(hd, table.dist, 1.0)), 0.0)
    a[WD] = np.where(hd, table.dist / np.where(hd, table.sd, 1.0), 0.0)
    a[LX], a[LY] = np.nan_to_num(lx), np.nan_to_num(ly)
    a[WL] = np.where(hl, 1.0 / table.sl, 0.0)
    a[T], a[ST], a[DEL] = table.t, table.st, table.delayed
    return Plane(a)


def _to_plane(
    lat0: np.ndarray, lon0: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y of points on their planes, and the convergence to add to bearings there."""
    ok = ~np.isnan(lat)
    x, y, conv = np.full(lat.shape, np.nan), np.full(lat.shape, np.nan), np.zeros(lat.shape)
    if ok.any():
        az12, az21, dist = inverse_many(lat0[ok], lon0[ok], lat[ok], lon[ok])
        x[ok] = dist * np.sin(np.radians(az12))
        y[ok] = dist * np.cos(np.radians(az12))
        conv[ok] = np.where(dist > 1.0, wrap(np.radians(az12 + 180.0 - az21)), 0.0)
    return x, y, conv


def wrap(a: np.ndarray) -> np.ndarray:
    """An angle in (-pi, pi]."""
    return np.asarray(a - _TWO_PI * np.rint(a / _TWO_PI))


_TWO_PI = 2.0 * math.pi


def take(table: Table, idx: np.ndarray) -> Table:
    """The rows at these indices."""
    return Table(*(getattr(table, f.name)[idx] for f in fields(table)))


def centres(table: Table, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A centre per group of rows: the mean of its reports' own points, else of observers."""
    out = []
    for own, backup in ((table.plat, table.olat), (table.plon, table.olon)):
        ok, okb = ~np.isnan(own), ~np.isnan(backup)
        s = np.add.reduceat(
            np.stack([ok, np.where(ok, own, 0), okb, np.where(okb, backup, 0)], 1).astype(float),
            starts,
            0,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(s[:, 0] > 0, s[:, 1] / s[:, 0], s[:, 3] / s[:, 2]))
    return np.nan_to_num(out[0]), np.nan_to_num(out[1])
