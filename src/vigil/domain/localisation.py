"""Where an event was: the maximum-likelihood point from bearings, distances, direct
locations and times of arrival, its covariance and 95 % ellipse; a wedge when a lone
bearing says only "that way".

The maths is in `localisation_solver`; this module turns its optimum into the Fix an
incident keeps, with one residual per measurement so that an analyst can see which report
pulls the point where.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import chi2 as chi2_distribution

from vigil.domain.fusion_model import SPEED_OF_SOUND_M_S, Fix, Report
from vigil.domain.geodesy import forward_many, inverse_many
from vigil.domain.localisation_plane import (
    DEL,
    LOGD,
    LX,
    LY,
    OX,
    OY,
    ST,
    WB,
    WD,
    WL,
    B,
    Plane,
    T,
    Table,
    table_of,
    wrap,
)
from vigil.domain.localisation_solver import (
    DEGENERATE,
    KIND_NAMES,
    NONE,
    SOUND_SPEED_SHARE,
    WEDGE,
    Fit,
    information,
    segments,
    solve,
)

CHI2_95_2D = 5.991  # 95 % quantile of chi-squared, 2 degrees of freedom
WEDGE_Z = 1.96  # a wedge spans the bearing ± 1.96 sigma: 95 %
WEDGE_POINTS = 13
MIN_DOF_FOR_SCALE = 200  # a batch of fits this rich tells how well the stated errors hold
_NO_FIX = Fix("none", None, None, None, None, None, None, None, 0.0, 0, (), "no report says where")
_MEASURES = (  # name, residual key, unit, rounding
    ("bearing", "bearing_deg", "deg", 1),
    ("distance", "distance_m", "m", 0),
    ("location", "location_m", "m", 0),
)


def locate(reports: Sequence[Report]) -> Fix:
    """The fix of one group of reports."""
    return locate_many([reports])[0]


def locate_many(groups: Sequence[Sequence[Report]]) -> list[Fix]:
    """The fix of each group of reports, solved together."""
    flat = [r for g in groups for r in g]
    sizes = np.array([len(g) for g in groups], int)
    return fixes(table_of(flat), np.arange(len(flat)), sizes, [list(g) for g in groups])


def fixes(
    table: Table, idx: np.ndarray, sizes: np.ndarray, groups: Sequence[Sequence[Report]]
) -> list[Fix]:
    """The Fix of each group of table rows (`groups` holds their reports, in row order)."""
    if len(sizes) == 0:
        return []
    return fixes_and_fit(table, idx, sizes, groups)[0]


def fixes_and_fit(
    table: Table,
    idx: np.ndarray,
    sizes: np.ndarray,
    groups: Sequence[Sequence[Report]],
    near: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[Fix], Fit, dict[str, np.ndarray]]:
    """The fixes, with the fit (emission times, chi-squared) and residuals behind them;
    `near` (lat, lon of each group), when known to within metres, saves a first approach."""
    f, rows, lat, lon = solve(table, idx, sizes, near)
    cov = f.cov() * (error_scale(f, sizes) * _own_scale(f, sizes))[:, None]
    ell = ellipse(cov)
    res = row_residuals(rows, sizes, f)
    wedges = _wedges(table, idx, sizes, f.kind == WEDGE, groups)
    values = _Values(f, rows, res, lat, lon, cov, ell)
    out: list[Fix] = []
    start = 0
    for i, g in enumerate(groups):
        kind = int(f.kind[i])
        if kind == WEDGE:
            out.append(wedges[i])
        elif kind == NONE:
            out.append(_NO_FIX)
        else:
            out.append(values.point(i, start, g))
        start += len(g)
    return out, f, res


def error_scale(f: Fit, sizes: np.ndarray) -> float:
    """How much larger the position errors are than the reports say, learnt from many
    fits: the factor that brings the median spatial chi-squared to the median of its
    distribution (robust to the odd wrong grouping); 1 when too few fits can tell, never
    below 1."""
    dof = f.measures - sizes - 2  # each report has one time; the point has two unknowns
    use = (f.kind != WEDGE) & (f.kind != NONE) & (dof > 0)
    if np.sum(dof[use]) < MIN_DOF_FOR_SCALE:
        return 1.0
    chi2, dof = f.chi2_space[use], dof[use]
    lo, hi = 0.0, math.log(4.0)
    for _ in range(30):  # median of the chi-squared CDFs of chi2 / scale is one half
        mid = (lo + hi) / 2.0
        if np.median(chi2_distribution.cdf(chi2 / math.exp(mid), dof)) > 0.5:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2.0)


def _own_scale(f: Fit, sizes: np.ndarray) -> np.ndarray:
    """Each fit's own variance factor: its spatial chi-squared per degree of freedom where
    that is above one (a fit worse than its errors allow is less sure of its point)."""
    dof = f.measures - sizes - 2
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(dof > 0, f.chi2_space / np.maximum(dof, 1), 1.0)
    return np.asarray(np.clip(factor, 1.0, 10.0))


class _Values:
    """A solved batch as Python lists, so that each Fix is built without numpy calls."""

    def __init__(
        self, f: Fit, rows: Plane, res: dict[str, np.ndarray], lat: np.ndarray,
        lon: np.ndarray, cov: np.ndarray, ell: np.ndarray,
    ) -> None:  # fmt: skip
        self.kind = f.kind.tolist()
        self.lat, self.lon = np.round(lat, 7).tolist(), np.round(lon, 7).tolist()
        finite = np.all(np.isfinite(cov), axis=1)
        self.finite = finite.tolist()
        self.cov = np.where(finite[:, None], cov, 0.0).tolist()
        self.ell = np.round(np.where(finite[:, None], ell, 0.0), 1).tolist()
        self.chi2 = np.round(f.chi2, 3).tolist()
        self.dof = f.dof.tolist()
        present = {
            "bearing": rows.has(WB),
            "distance": rows.has(WD),
            "location": rows.has(WL),
        }
        self.present = {k: v.tolist() for k, v in present.items()}
        self.value = {k: np.round(res[key], r).tolist() for k, key, _, r in _MEASURES}
        self.z = {k: np.round(res[k + "_z"], 2).tolist() for k, _, _, _ in _MEASURES}
        self.delayed = (res["delay_s"] > 0).tolist()

    def point(self, i: int, start: int, reports: Sequence[Report]) -> Fix:
        """The located Fix of group i, whose rows begin at `start`."""
        residuals = []
        used = dict.fromkeys(self.present, 0)
        delayed = 0
        for offset, report in enumerate(reports):
            k = start + offset
            delayed += self.delayed[k]
            for what, _, unit, _ in _MEASURES:
                if self.present[what][k]:
                    used[what] += 1
                    residuals.append(
                        {"client_id": report.client_id, "what": what,
                         "value": self.value[what][k], "unit": unit, "z": self.z[what][k]}
                    )  # fmt: skip
        finite = self.finite[i]
        cov, ell = self.cov[i], self.ell[i]
        return Fix(
            kind=KIND_NAMES[self.kind[i]],
            lat=self.lat[i],
            lon=self.lon[i],
            cov=(cov[0], cov[1], cov[2]) if finite else None,
            major_m=ell[0] if finite else None,
            minor_m=ell[1] if finite else None,
            angle_deg=ell[2] if finite else None,
            wedge=None,
            chi2=self.chi2[i],
            dof=self.dof[i],
            residuals=tuple(residuals),
            method=_method(used, delayed, self.kind[i]),
        )


def _method(used: dict[str, int], delayed: int, kind: int) -> str:
    parts = [f"{n} {what}{'s' if n > 1 else ''}" for what, n in used.items() if n]
    text = "maximum likelihood from " + ", ".join(parts)
    if delayed:
        text += f" ({delayed} heard: late by the sound's travel from the point)"
    text += ", on a local azimuthal equidistant plane centred on the point"
    if kind == DEGENERATE:
        text += "; the rays cross at a very narrow angle, so the point is unreliable along them"
    return text


def _wedges(
    table: Table,
    idx: np.ndarray,
    sizes: np.ndarray,
    which: np.ndarray,
    groups: Sequence[Sequence[Report]],
) -> dict[int, Fix]:
    """The wedge Fix of each group marked in `which`, their arcs drawn in one call."""
    chosen = np.flatnonzero(which)
    if len(chosen) == 0:
        return {}
    starts = np.cumsum(sizes) - sizes
    specs = [_wedge_spec(table, idx[starts[i] : starts[i] + sizes[i]]) for i in chosen]
    m = WEDGE_POINTS
    olat = np.repeat([s[0] for s in specs], m)
    olon = np.repeat([s[1] for s in specs], m)
    arcs = np.concatenate([np.linspace(s[2] - s[3], s[2] + s[3], m) for s in specs])
    reach = np.repeat([s[4] for s in specs], m)
    lats, lons = forward_many(olat, olon, arcs, reach)
    lats, lons = np.round(lats, 6).tolist(), np.round(lons, 6).tolist()
    out = {}
    for w, i in enumerate(chosen.tolist()):
        a, b, mean, half, far = specs[w]
        apex = (round(b, 6), round(a, 6))
        arc = zip(lons[w * m : (w + 1) * m], lats[w * m : (w + 1) * m], strict=True)
        ring = (apex, *arc, apex)
        out[i] = Fix(
            "wedge", None, None, None, None, None, None, ring, 0.0, 0, (),
            f"one direction only: bearing {mean % 360:.0f}° ± {half:.1f}° (95 %) from "
            f"{groups[i][0].observer}, out to {far / 1000:.0f} km, the farthest such an event "
            "is noticed",
        )  # fmt: skip
    return out


def _wedge_spec(table: Table, rows: np.ndarray) -> tuple[float, float, float, float, float]:
    """Apex, mean bearing, half-width (degrees) and reach of a wedge from its rows."""
    has = rows[~np.isnan(table.bearing_deg[rows])]
    w = 1.0 / table.sb[has] ** 2
    ang = np.radians(table.bearing_deg[has])
    mean = math.degrees(math.atan2(float(np.sum(w * np.sin(ang))), float(np.sum(w * np.cos(ang)))))
    half = math.degrees(WEDGE_Z / math.sqrt(float(np.sum(w))))
    first = int(has[0])
    return (
        float(table.olat[first]), float(table.olon[first]), mean, half,
        float(table.reach[first]),
    )  # fmt: skip


def ellipse(cov: np.ndarray) -> np.ndarray:
    """95 % semi-axes (major, minor, metres) and the major axis azimuth (degrees, 0-180)."""
    a, b, c = cov[:, 0], cov[:, 1], cov[:, 2]
    with np.errstate(invalid="ignore"):
        half = np.sqrt(((a - c) / 2) ** 2 + b**2)
        big, small = (a + c) / 2 + half, (a + c) / 2 - half
        angle = np.degrees(0.5 * np.arctan2(2 * b, a - c))  # from east, counter-clockwise
    azimuth = (90.0 - angle) % 180.0
    major = np.sqrt(CHI2_95_2D * np.maximum(big, 0.0))
    minor = np.sqrt(CHI2_95_2D * np.maximum(small, 0.0))
    return np.stack([major, minor, azimuth], axis=1)


def row_residuals(rows: Plane, sizes: np.ndarray, f: Fit) -> dict[str, np.ndarray]:
    """Per row at the optimum: bearing, distance, location and time residuals and their z."""
    a = rows.a
    group, _ = segments(sizes)
    dx, dy = f.x[group] - a[OX], f.y[group] - a[OY]
    rho = np.maximum(np.hypot(dx, dy), 1.0)
    bearing = wrap(np.arctan2(dx, dy) - a[B])
    location = np.hypot(f.x[group] - a[LX], f.y[group] - a[LY])
    delay = a[DEL] * rho / SPEED_OF_SOUND_M_S
    late = a[T] - f.time[group] - delay
    sig = np.sqrt(a[ST] ** 2 + (SOUND_SPEED_SHARE * delay) ** 2)
    return {
        "bearing_deg": np.degrees(bearing),
        "bearing_z": bearing * a[WB],
        "distance_m": rho - np.exp(a[LOGD]),
        "distance_z": (np.log(rho) - a[LOGD]) * a[WD],
        "location_m": location,
        "location_z": location * a[WL],
        "time_s": late,
        "time_z": late / sig,
        "delay_s": delay,
    }


def offset_m(fix: Fix, lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north from a fix's point to (lat, lon), in the frame of fix.cov."""
    if fix.lat is None or fix.lon is None:
        raise ValueError("this fix has no point")
    az, _, dist = inverse_many(
        np.array([fix.lat]), np.array([fix.lon]), np.array([lat]), np.array([lon])
    )
    a = math.radians(float(az[0]))
    return float(dist[0]) * math.sin(a), float(dist[0]) * math.cos(a)


def crlb(lat: float, lon: float, reports: Sequence[Report]) -> np.ndarray:
    """The Cramér-Rao bound (m², east/north) of a position from these reports' measurements
    (bearings, distances, locations and times of arrival, the emission time unknown)."""
    info = information(table_of(reports), lat, lon)
    if not np.all(np.isfinite(info)) or np.linalg.det(info) <= 0:
        return np.full((2, 2), np.inf)
    return np.asarray(np.linalg.inv(info))
