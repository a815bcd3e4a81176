"""The solver behind localisation: Levenberg-Marquardt over many small problems at once.

Each group of reports is one event at an unknown point (x, y) and emission time T. Its
reports measure bearings, distances (judged on a log scale: a guessed distance is wrong by a
share of itself), direct locations, and times: a report made by ear is late by the sound's
travel, so the times of heard reports locate the event too (time differences of arrival).
Groups are solved on planes whose azimuths and distances from the centre are exact
geodesics; bearings are corrected for the plane's convergence at each observer. Fusion
scores thousands of candidate groups on one mission-wide plane (`plane_of`); a final fix is
solved again on a plane centred on its own point (`solve`), where it is exact.

Why not scipy.optimize.least_squares: it solves one problem per call, and fusion has
hundreds of thousands of three-unknown problems; the same damped Gauss-Newton iteration on
arrays, each group stopping on its own, does them all at once at numpy speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vigil.domain.fusion_model import SPEED_OF_SOUND_M_S
from vigil.domain.geodesy import forward_many
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
    centres,
    plane_of,
    take,
    wrap,
)

DEGENERATE_SIN = math.sin(math.radians(4.0))  # rays crossing at less than this angle
MAX_ITERATIONS = 40
SOUND_SPEED_SHARE = 0.01  # a ~3 % error in the speed of sound, common to all, moves delay
# differences by about 1 % of each delay
RIDGE = 1e-10  # per m²: keeps an unlocatable group's point where it started
POINT, DEGENERATE, WEDGE, NONE = 0, 1, 2, 3
KIND_NAMES = ("point", "degenerate", "wedge", "none")


@dataclass
class Fit:
    """The optimum of each group: point, time, information, and how well it fits."""

    x: np.ndarray
    y: np.ndarray
    time: np.ndarray  # emission time (epoch seconds)
    h: np.ndarray  # (n, 6) information: xx, xy, yy, xT, yT, TT
    chi2_space: np.ndarray
    chi2_time: np.ndarray
    measures: np.ndarray  # scalar measurements (a location counts two)
    kind: np.ndarray  # POINT, DEGENERATE, WEDGE or NONE

    @property
    def chi2(self) -> np.ndarray:
        """Chi-squared of the whole fit."""
        return self.chi2_space + self.chi2_time

    @property
    def dof(self) -> np.ndarray:
        """Degrees of freedom: measurements less the three unknowns (never below zero)."""
        return np.maximum(self.measures - 3, 0)

    def cov(self) -> np.ndarray:
        """Covariance of (x, y) with the time unknown: (n, 3) as var x, cov, var y."""
        return marginal_cov(self.h)


def marginal_cov(h: np.ndarray) -> np.ndarray:
    """The (x, y) block of the inverse of each 3x3 information matrix."""
    xx, xy, yy, xt, yt, tt = (h[:, k] for k in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        a = xx - xt * xt / tt  # Schur complement: the time unknown marginalised out
        b = xy - xt * yt / tt
        c = yy - yt * yt / tt
        det = a * c - b * b
        cov = np.stack([c, -b, a], axis=1) / det[:, None]
    cov[~(det > 0)] = np.inf
    return cov


def segments(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group of each row and the first row of each group, for contiguous groups."""
    starts = np.cumsum(sizes) - sizes
    return np.repeat(np.arange(len(sizes)), sizes), starts


def fit(
    rows: Plane,
    sizes: np.ndarray,
    start: np.ndarray | None = None,
    tolerance_m: float = 1e-3,
    iterations: int = MAX_ITERATIONS,
    settle_chi2: float = 0.0,
) -> Fit:
    """The maximum-likelihood point and time of each group of contiguous rows; `start`
    (n, 3: x, y, time) where a good guess is known, such as a smaller group's optimum."""
    n = len(sizes)
    if n == 0:
        e = np.zeros(0)
        return Fit(e, e, e, np.zeros((0, 6)), e, e, np.zeros(0, int), np.zeros(0, int))
    group, starts = segments(sizes)
    a = rows.a
    tref = a[T][starts]
    trel = a[T] - tref[group]
    if start is None:
        x, y = _first_guess(a, group, starts, n)
        p = np.stack([x, y, _first_time(a, trel, group, starts, x, y)], axis=1)
    else:
        p = start - np.stack([np.zeros(n), np.zeros(n), tref], axis=1)
    p, h, cs, ct = _levenberg_marquardt(
        a, trel, group, starts, p, (tolerance_m, settle_chi2), iterations
    )
    one = np.ones(a.shape[1])
    measures = np.add.reduceat(one * (a[WB] > 0) + (a[WD] > 0) + 2.0 * (a[WL] > 0) + 1.0, starts)
    kind = kinds(rows, group, starts, p[:, 0], p[:, 1], h)
    return Fit(p[:, 0], p[:, 1], p[:, 2] + tref, h, cs, ct, measures.astype(int), kind)


def _terms(
    a: np.ndarray, trel: np.ndarray, group: np.ndarray, starts: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: chi-squared of space and of time, information H (6) and gradient g (3)."""
    x, y, t = p[group, 0], p[group, 1], p[group, 2]
    dx, dy = x - a[OX], y - a[OY]
    rho2 = np.maximum(dx * dx + dy * dy, 1.0)
    rho = np.sqrt(rho2)
    wb, wd, wl, late = a[WB], a[WD], a[WL], a[DEL]
    rb = wrap(np.arctan2(dx, dy) - a[B]) * wb
    kb = wb / rho2
    bx, by = dy * kb, -dx * kb
    rd = (0.5 * np.log(rho2) - a[LOGD]) * wd
    kd = wd / rho2
    ex, ey = dx * kd, dy * kd
    rlx, rly = (x - a[LX]) * wl, (y - a[LY]) * wl
    delay = late * rho * (1.0 / SPEED_OF_SOUND_M_S)
    isig = 1.0 / np.sqrt(a[ST] ** 2 + (SOUND_SPEED_SHARE * delay) ** 2)
    rt = (trel - t - delay) * isig
    kt = -late * isig / (rho * SPEED_OF_SOUND_M_S)
    tx, ty = dx * kt, dy * kt
    out = np.empty((11, len(dx)))
    out[0] = rb * rb + rd * rd + rlx * rlx + rly * rly
    out[1] = rt * rt
    wl2 = wl * wl
    out[2] = bx * bx + ex * ex + wl2 + tx * tx
    out[3] = bx * by + ex * ey + tx * ty
    out[4] = by * by + ey * ey + wl2 + ty * ty
    out[5] = -tx * isig
    out[6] = -ty * isig
    out[7] = isig * isig
    out[8] = rb * bx + rd * ex + rlx * wl + rt * tx
    out[9] = rb * by + rd * ey + rly * wl + rt * ty
    out[10] = -rt * isig
    s = np.add.reduceat(out, starts, axis=1)
    return s[0], s[1], s[2:8].T, s[8:11].T


def _solve3(h: np.ndarray, g: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The damped Gauss-Newton step -(H + lam diag H)^-1 g of each group."""
    xx = h[:, 0] * (1 + lam) + RIDGE
    yy = h[:, 2] * (1 + lam) + RIDGE
    tt = h[:, 5] * (1 + lam) + 1e-12
    xy, xt, yt = h[:, 1], h[:, 3], h[:, 4]
    c0 = yy * tt - yt * yt
    c1 = xt * yt - xy * tt
    c2 = xy * yt - yy * xt
    c4 = xx * tt - xt * xt
    c5 = xy * xt - xx * yt
    c8 = xx * yy - xy * xy
    det = xx * c0 + xy * c1 + xt * c2
    det = np.where(np.abs(det) > 1e-300, det, 1e-300)
    gx, gy, gt = g[:, 0], g[:, 1], g[:, 2]
    return -np.stack(
        [
            (c0 * gx + c1 * gy + c2 * gt) / det,
            (c1 * gx + c4 * gy + c5 * gt) / det,
            (c2 * gx + c5 * gy + c8 * gt) / det,
        ],
        axis=1,
    )


def _levenberg_marquardt(
    a: np.ndarray,
    trel: np.ndarray,
    group: np.ndarray,
    starts: np.ndarray,
    p: np.ndarray,
    tolerance: tuple[float, float],
    iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Iterate each group until its step (metres) or its gain (chi-squared) is below the
    tolerance; only unfinished groups are computed. Returns the optimum, its information,
    and the chi-squared of space and of time."""
    tolerance_m, settle_chi2 = tolerance
    n = len(starts)
    cs, ct, h, g = _terms(a, trel, group, starts, p)
    lam = np.full(n, 1e-3)
    live = np.arange(n)  # groups still iterating
    sub = (a, trel, group, starts)
    for _ in range(iterations):
        step = _solve3(h[live], g[live], lam[live])
        trial = p[live] + step
        ncs, nct, nh, ng = _terms(*sub, trial)
        drop = cs[live] + ct[live] - (ncs + nct)
        better = drop > 0
        take = live[better]
        p[take], h[take], g[take] = trial[better], nh[better], ng[better]
        cs[take], ct[take] = ncs[better], nct[better]
        lam[live] = np.where(better, np.maximum(lam[live] * 0.3, 1e-9), lam[live] * 10.0)
        small = (np.abs(step[:, 0]) + np.abs(step[:, 1]) < tolerance_m) & (
            np.abs(step[:, 2]) < tolerance_m / SPEED_OF_SOUND_M_S
        )
        flat = np.abs(np.sum(g[live] * step, axis=1)) < 1e-10  # nothing left to gain
        done = (better & (small | (drop < settle_chi2))) | flat | (lam[live] > 1e8)
        if done.all():
            break
        if done.any():
            live = live[~done]
            sub = _subset(a, trel, starts, live)
    return p, h, cs, ct


def _subset(
    a: np.ndarray, trel: np.ndarray, starts: np.ndarray, live: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows of some groups, renumbered from zero."""
    ends = np.append(starts[1:], a.shape[1])
    sizes = ends[live] - starts[live]
    group, sub_starts = segments(sizes)
    idx = starts[live][group] + (np.arange(len(group)) - sub_starts[group])
    return a[:, idx], trel[idx], group, sub_starts


def _first_guess(
    a: np.ndarray, group: np.ndarray, starts: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The weighted mean of the reports' own points, else where the bearings cross."""
    hb, hd, hl = a[WB] > 0, a[WD] > 0, a[WL] > 0
    polar = hb & hd & ~hl
    dist = np.where(hd, np.exp(a[LOGD]), 0.0)
    px = np.where(hl, a[LX], a[OX] + dist * np.sin(a[B]))
    py = np.where(hl, a[LY], a[OY] + dist * np.cos(a[B]))
    with np.errstate(divide="ignore"):
        var_l = np.where(hl, 1.0 / np.maximum(a[WL], 1e-12) ** 2, 0.0)
        var_p = dist**2 * (
            np.where(hd, 1.0 / np.maximum(a[WD], 1e-12) ** 2, 0.0)
            + np.where(hb, 1.0 / np.maximum(a[WB], 1e-12) ** 2, 0.0)
        )
    var = np.where(hl, var_l, var_p)
    w = np.where(hl | polar, 1.0 / np.maximum(var, 1.0), 0.0)
    sums = np.add.reduceat(np.stack([w, w * px, w * py]), starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x, y = sums[1] / sums[0], sums[2] / sums[0]
    cx, cy = _crossing(a, group, starts, n)
    located = sums[0] > 0
    return np.nan_to_num(np.where(located, x, cx)), np.nan_to_num(np.where(located, y, cy))


def _crossing(
    a: np.ndarray, group: np.ndarray, starts: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares crossing of the bearing lines; a point ahead of the first ray if none."""
    hb = a[WB] > 0
    b = a[B]
    nx, ny = np.where(hb, np.cos(b), 0.0), np.where(hb, -np.sin(b), 0.0)
    ox, oy = a[OX], a[OY]
    k = nx * ox + ny * oy
    s = np.add.reduceat(np.stack([nx * nx, nx * ny, ny * ny, nx * k, ny * k]), starts, axis=1)
    aa, bb, c, u, v = s
    det = aa * c - bb * bb
    safe = det > 1e-6
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(safe, (c * u - bb * v) / det, np.nan)
        y = np.where(safe, (aa * v - bb * u) / det, np.nan)
    first = _first_row(hb, group, n)
    fo = np.maximum(first, 0)
    ahead = np.where(first >= 0, 3000.0, 0.0)
    fx, fy = ox[fo] + ahead * np.sin(b[fo]), oy[fo] + ahead * np.cos(b[fo])
    return np.where(safe, x, fx), np.where(safe, y, fy)


def _first_row(mask: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """The first row of each group where mask holds (-1 if none)."""
    first = np.full(n, -1)
    idx = np.flatnonzero(mask)[::-1]
    first[group[idx]] = idx
    return first


def _first_time(
    a: np.ndarray,
    trel: np.ndarray,
    group: np.ndarray,
    starts: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
) -> np.ndarray:
    """The weighted mean emission time, with sound delays from the first guess."""
    rho = np.hypot(x[group] - a[OX], y[group] - a[OY])
    delay = a[DEL] * rho / SPEED_OF_SOUND_M_S
    w = 1.0 / a[ST] ** 2
    s = np.add.reduceat(np.stack([w, w * (trel - delay)]), starts, axis=1)
    return np.asarray(s[1] / s[0])


def kinds(
    rows: Plane,
    group: np.ndarray,
    starts: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    h: np.ndarray,
) -> np.ndarray:
    """point, degenerate (rays nearly parallel), wedge (one place's bearings) or none."""
    a = rows.a
    n = len(starts)
    hb, hd, hl = a[WB] > 0, a[WD] > 0, a[WL] > 0
    fo = np.maximum(_first_row(hb, group, n), 0)
    apart = hb & (np.hypot(a[OX] - a[OX][fo][group], a[OY] - a[OY][fo][group]) > 50.0)
    theta = np.where(hb, 2 * np.arctan2(a[OX] - x[group], a[OY] - y[group]), 0.0)
    s = np.add.reduceat(
        np.stack([hb, hd, hl, apart, np.cos(theta) * hb, np.sin(theta) * hb]).astype(float),
        starts,
        axis=1,
    )
    n_b, n_d, n_l, other_places = s[0], s[1], s[2], s[3]
    resultant = np.hypot(s[4], s[5]) / np.maximum(n_b, 1)
    crossing_sin = np.sqrt(np.clip(1.0 - resultant**2, 0.0, 1.0))
    bearings_only = (n_d == 0) & (n_l == 0)
    solvable = h[:, 0] * h[:, 2] - h[:, 1] ** 2 > 1e-18
    kind = np.full(n, POINT)
    kind[~solvable | (bearings_only & (crossing_sin < DEGENERATE_SIN))] = DEGENERATE
    kind[bearings_only & (other_places == 0)] = WEDGE
    kind[n_b + n_l == 0] = NONE
    return kind


def solve(
    table: Table,
    idx: np.ndarray,
    sizes: np.ndarray,
    near: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Fit, Plane, np.ndarray, np.ndarray]:
    """Each group's fit on a plane centred at its own optimum: the fit, its rows, lat, lon.
    `near` (lat, lon of each group), when known to within metres, saves the first approach."""
    sub = take(table, idx)
    group, starts = segments(sizes)
    zeros = np.zeros(len(sizes))
    start = None
    if near is None:
        lat, lon = centres(sub, starts)
        f = fit(plane_of(sub, lat[group], lon[group]), sizes)
        lat, lon = _to_geo(lat, lon, f.x, f.y)
    else:
        lat, lon = near
    for _ in range(1 if near is not None else 2):  # geodesics through the centre are straight
        rows = plane_of(sub, lat[group], lon[group])
        f = fit(rows, sizes, start)
        lat, lon = _to_geo(lat, lon, f.x, f.y)
        start = np.stack([zeros, zeros, f.time], axis=1)
    return f, rows, lat, lon


def _to_geo(
    lat0: np.ndarray, lon0: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return forward_many(lat0, lon0, np.degrees(np.arctan2(x, y)), np.hypot(x, y))


def information(table: Table, lat: float, lon: float) -> np.ndarray:
    """Fisher information (2x2, per m², east/north) of a position from every table row,
    the unknown emission time marginalised out."""
    n = len(table.t)
    rows = plane_of(table, np.full(n, lat), np.full(n, lon))
    _, _, h, _ = _terms(rows.a, np.zeros(n), np.zeros(n, int), np.zeros(1, int), np.zeros((1, 3)))
    xx, xy, yy, xt, yt, tt = h[0]
    return np.array(
        [[xx - xt * xt / tt, xy - xt * yt / tt], [xy - xt * yt / tt, yy - yt * yt / tt]]
    )
