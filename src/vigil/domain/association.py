"""Which reports may describe the same event: the candidate graph fusion resolves.

Two reports are candidates when they come from different observers, belong to the same
family of events, could have been emitted at the same moment (each report's time, less the
sound delay it may carry, within its uncertainty), and agree in space: their points'
ellipses overlap, a bearing passes near the other's point, or two rays cross ahead of both
observers within the range such an event is noticed. Everything is computed on arrays: a
million reports give a few million pairs, tested at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from operator import attrgetter

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from vigil.domain.fusion_model import SPEED_OF_SOUND_M_S, Report
from vigil.domain.fusion_rules import family_of
from vigil.domain.localisation_plane import (
    LOGD,
    LX,
    LY,
    OX,
    OY,
    WB,
    WD,
    WINDOW_MIN_S,
    WL,
    B,
    Plane,
    Table,
    plane_of,
    table_of,
)

POINT_GATE = 23.0  # chi-squared, 2 degrees of freedom, 99.999 %: a loose first cut,
ANGLE_GATE = 19.5  # (bearing offset / its sigma)², 99.999 %: the joint fit decides
CLOCK_SLACK_S = 20.0  # watches drift; reports are rounded
RANGE_SLACK = 1.2
RAY_SAMPLES = 24
COUNT_SHARE = 0.3  # observers miscount by about 30 %


@dataclass
class Prepared:
    """The reports in canonical order, as arrays on one mission-wide plane."""

    reports: list[Report]  # sorted by (t0, client_id): input order never matters
    table: Table  # their evidence of where and when, for the solver
    centre: tuple[float, float]  # (lat, lon) of the mission-wide plane
    plane: Plane  # the same on the mission-wide plane (bearings corrected to it)
    t0: np.ndarray
    t1: np.ndarray
    sigma_t: np.ndarray
    heard: np.ndarray
    family: np.ndarray  # family index
    reach: np.ndarray  # range of the family, metres
    observer: np.ndarray  # observer index
    summary: np.ndarray  # True for a multi-count report over a window
    log_count: np.ndarray  # log of the reported count (nan for a multi-count window)
    count_sigma: np.ndarray  # its sigma: a share of the count, plus rounding to a whole one
    px: np.ndarray  # the report's own point (nan if none) and its covariance
    py: np.ndarray
    pcov: np.ndarray  # (n, 3): xx, xy, yy
    ox: np.ndarray  # observer position (nan if unknown)
    oy: np.ndarray
    bearing: np.ndarray  # radians on the plane (nan if none)
    sb: np.ndarray


@dataclass
class Pairs:
    """Candidate pairs (i < j, indices into Prepared) with their gate values."""

    i: np.ndarray
    j: np.ndarray
    space_z2: np.ndarray  # squared normalised spatial disagreement
    how: np.ndarray  # 0 points, 1 bearing to point, 2 rays, 3 time alone
    along_i: np.ndarray  # for rays: metres ahead of each observer where they meet (nan)
    along_j: np.ndarray

    def take(self, keep: np.ndarray) -> Pairs:
        """The pairs where `keep` holds."""
        return Pairs(*(getattr(self, f.name)[keep] for f in fields(self)))


def prepare(reports: Sequence[Report]) -> Prepared:
    """Sort the reports canonically and put them on arrays."""
    ordered = sorted(reports, key=attrgetter("t0", "client_id"))
    n = len(ordered)
    table = table_of(ordered)
    lat0, lon0 = _centre(
        np.concatenate([table.plat, table.olat]), np.concatenate([table.plon, table.olon])
    )
    plane = plane_of(table, np.full(n, lat0), np.full(n, lon0))
    families = {c: family_of(c) for c in {r.category for r in ordered}}
    names: dict[str, int] = {}
    fam = [families[r.category] for r in ordered]
    observers: dict[str, int] = {}
    t0, t1 = table.t0, table.t1
    count = np.fromiter(map(attrgetter("count"), ordered), float, n)
    summarises = np.fromiter((f.summarises for f in fam), bool, n)
    ox = np.where(np.isnan(table.olat), np.nan, plane.a[OX])
    oy = np.where(np.isnan(table.olat), np.nan, plane.a[OY])
    bearing, sb = plane.value(B, WB), plane.sigma(WB)
    dist = np.exp(plane.value(LOGD, WD))
    lx, ly = plane.value(LX, WL), plane.value(LY, WL)
    px = np.where(np.isnan(lx), ox + dist * np.sin(bearing), lx)
    py = np.where(np.isnan(lx), oy + dist * np.cos(bearing), ly)
    return Prepared(
        reports=ordered,
        table=table,
        centre=(lat0, lon0),
        plane=plane,
        t0=t0,
        t1=t1,
        sigma_t=table.st,
        heard=table.heard,
        family=np.fromiter((names.setdefault(f.name, len(names)) for f in fam), int, n),
        reach=table.reach,
        observer=np.fromiter(
            (observers.setdefault(o, len(observers)) for o in map(attrgetter("observer"), ordered)),
            int,
            n,
        ),
        summary=(summary := summarises & (t1 - t0 >= WINDOW_MIN_S) & (count >= 2)),
        log_count=np.where(summary, np.nan, np.log(np.maximum(count, 1.0))),
        count_sigma=np.sqrt(COUNT_SHARE**2 + 1.0 / (12.0 * np.maximum(count, 1.0) ** 2)),
        px=px,
        py=py,
        pcov=_point_covariance(plane, bearing, dist),
        ox=ox,
        oy=oy,
        bearing=bearing,
        sb=np.nan_to_num(sb, nan=math.radians(5.0)),
    )


def recalibrated(
    p: Prepared, offset: np.ndarray, time_sigma: np.ndarray, count_sigma: np.ndarray
) -> Prepared:
    """The same reports with each clock's offset taken off its times, and new sigmas."""
    table = replace(
        p.table, t=p.table.t - offset, st=time_sigma, t0=p.t0 - offset, t1=p.t1 - offset
    )
    plane = p.plane.with_times(table.t, time_sigma)
    return replace(
        p, table=table, plane=plane, t0=table.t0, t1=table.t1, sigma_t=time_sigma,
        count_sigma=count_sigma,
    )  # fmt: skip


def _centre(lats: np.ndarray, lons: np.ndarray) -> tuple[float, float]:
    ok = ~np.isnan(lats)
    if not ok.any():
        return 0.0, 0.0
    return float(np.median(lats[ok])), float(np.median(lons[ok]))


def _point_covariance(plane: Plane, bearing: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Covariance of each report's own point: round for a location, polar for bearing+range."""
    located = plane.has(WL)
    b = np.nan_to_num(bearing)
    ur = np.stack([np.sin(b), np.cos(b)], axis=1)  # along the bearing
    ut = np.stack([np.cos(b), -np.sin(b)], axis=1)  # across it
    vr, vt = (plane.sigma(WD) * d) ** 2, (d * plane.sigma(WB)) ** 2
    polar = np.stack(
        [
            vr * ur[:, 0] ** 2 + vt * ut[:, 0] ** 2,
            vr * ur[:, 0] * ur[:, 1] + vt * ut[:, 0] * ut[:, 1],
            vr * ur[:, 1] ** 2 + vt * ut[:, 1] ** 2,
        ],
        axis=1,
    )
    sl = np.nan_to_num(plane.sigma(WL), nan=1.0)
    round_ = np.stack([sl**2, np.zeros_like(sl), sl**2], axis=1)
    return np.where(located[:, None], round_, polar)


def emission_window(p: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """The earliest and latest moment each reported thing could have happened."""
    delay = np.where(p.heard, p.reach * RANGE_SLACK / SPEED_OF_SOUND_M_S, 0.0)
    slack = 3.0 * p.sigma_t + CLOCK_SLACK_S
    return p.t0 - delay - slack, p.t1 + slack


def candidate_pairs(p: Prepared, cannot: set[tuple[int, int]]) -> Pairs:
    """Every pair that passes the time, observer, family and space gates."""
    e0, e1 = emission_window(p)
    order = np.argsort(e0, kind="stable")
    s0, s1 = e0[order], e1[order]
    hi = np.searchsorted(s0, s1, side="right")
    counts = np.maximum(hi - np.arange(len(order)) - 1, 0)
    a = np.repeat(np.arange(len(order)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    b = a + 1 + (np.arange(len(a)) - starts)
    i, j = order[a], order[b]
    i, j = np.minimum(i, j), np.maximum(i, j)
    keep = (p.observer[i] != p.observer[j]) & (p.family[i] == p.family[j])
    i, j = i[keep], j[keep]
    if cannot and len(i):
        banned = np.array(
            [(x, y) not in cannot for x, y in zip(i.tolist(), j.tolist(), strict=True)]
        )
        i, j = i[banned], j[banned]
    return _space_gate(p, i, j)


def _space_gate(p: Prepared, i: np.ndarray, j: np.ndarray) -> Pairs:
    """Keep the pairs whose positions agree; record how well."""
    pi, pj = ~np.isnan(p.px[i]), ~np.isnan(p.px[j])
    ri, rj = ~np.isnan(p.bearing[i]), ~np.isnan(p.bearing[j])
    z2 = np.full(len(i), np.inf)
    how = np.full(len(i), -1)
    along_i, along_j = np.full(len(i), np.nan), np.full(len(i), np.nan)
    both = pi & pj
    z2[both], how[both] = _points_z2(p, i[both], j[both]), 0
    ray_pt = ~pi & ri & pj
    z2[ray_pt], how[ray_pt] = _ray_point_z2(p, i[ray_pt], j[ray_pt]), 1
    pt_ray = pi & ~pj & rj
    z2[pt_ray], how[pt_ray] = _ray_point_z2(p, j[pt_ray], i[pt_ray]), 1
    rays = ~pi & ~pj & ri & rj
    zr, ai, aj = _rays_z2(p, i[rays], j[rays])
    z2[rays], how[rays], along_i[rays], along_j[rays] = zr, 2, ai, aj
    nothing = ~(both | ray_pt | pt_ray | rays)  # one says nothing of where: time alone
    z2[nothing], how[nothing] = 0.0, 3
    gate = np.where(how <= 1, POINT_GATE, ANGLE_GATE)
    ok = z2 <= gate
    return Pairs(i[ok], j[ok], z2[ok], how[ok], along_i[ok], along_j[ok])


def _points_z2(p: Prepared, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    dx, dy = p.px[i] - p.px[j], p.py[i] - p.py[j]
    s = p.pcov[i] + p.pcov[j]
    det = np.maximum(s[:, 0] * s[:, 2] - s[:, 1] ** 2, 1e-9)
    return np.asarray((s[:, 2] * dx * dx - 2 * s[:, 1] * dx * dy + s[:, 0] * dy * dy) / det)


def _ray_point_z2(p: Prepared, r: np.ndarray, q: np.ndarray) -> np.ndarray:
    """How far a point lies from a ray (ahead of its observer, within reach), in sigmas of
    the point and of the bearing: the Mahalanobis distance to the ray's nearest point."""
    b = p.bearing[r]
    ux, uy = np.sin(b), np.cos(b)
    wx, wy = p.px[q] - p.ox[r], p.py[q] - p.oy[r]
    reach = p.reach[r] * RANGE_SLACK
    s = np.clip(wx * ux + wy * uy, 0.0, reach)  # first the nearest point, then in sigmas
    for _ in range(2):
        xx, xy, yy = _along_ray_cov(p.pcov[q], (p.sb[r] * s) ** 2, ux, uy)
        det = np.maximum(xx * yy - xy * xy, 1e-9)
        ixx, ixy, iyy = yy / det, -xy / det, xx / det
        num = ux * (ixx * wx + ixy * wy) + uy * (ixy * wx + iyy * wy)
        s = np.clip(num / (ux * ux * ixx + 2.0 * ux * uy * ixy + uy * uy * iyy), 0.0, reach)
    dx, dy = wx - s * ux, wy - s * uy
    xx, xy, yy = _along_ray_cov(p.pcov[q], (p.sb[r] * s) ** 2, ux, uy)
    det = np.maximum(xx * yy - xy * xy, 1e-9)
    return np.asarray((yy * dx * dx - 2.0 * xy * dx * dy + xx * dy * dy) / det)


def _along_ray_cov(
    c: np.ndarray, cross: np.ndarray, ux: np.ndarray, uy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point's covariance plus a ray's spread `cross` (m²) across its direction (ux, uy)."""
    return c[:, 0] + cross * uy * uy, c[:, 1] - cross * ux * uy, c[:, 2] + cross * ux * ux


def _rays_z2(p: Prepared, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rays agree when they cross ahead of both within range, or come within the errors."""
    ui = np.stack([np.sin(p.bearing[i]), np.cos(p.bearing[i])], axis=1)
    uj = np.stack([np.sin(p.bearing[j]), np.cos(p.bearing[j])], axis=1)
    dx, dy = p.ox[j] - p.ox[i], p.oy[j] - p.oy[i]
    cross = ui[:, 0] * uj[:, 1] - ui[:, 1] * uj[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        si = (dx * uj[:, 1] - dy * uj[:, 0]) / cross
        sj = (dx * ui[:, 1] - dy * ui[:, 0]) / cross
    reach = p.reach[i] * RANGE_SLACK
    crossing = (np.abs(cross) > 1e-9) & (si > 0) & (sj > 0) & (si <= reach) & (sj <= reach)
    z2 = np.where(crossing, 0.0, _rays_near_z2(p, i, j, ui, reach))
    return z2, np.where(crossing, si, np.nan), np.where(crossing, sj, np.nan)


def _rays_near_z2(
    p: Prepared, i: np.ndarray, j: np.ndarray, ui: np.ndarray, reach: np.ndarray
) -> np.ndarray:
    """For rays that do not cross: the smallest disagreement over points along the first."""
    if len(i) == 0:
        return np.zeros(0)
    s = np.geomspace(0.01, 1.0, RAY_SAMPLES)[None, :] * reach[:, None]
    qx = p.ox[i][:, None] + s * ui[:, 0][:, None]
    qy = p.oy[i][:, None] + s * ui[:, 1][:, None]
    vx, vy = qx - p.ox[j][:, None], qy - p.oy[j][:, None]
    rho = np.maximum(np.hypot(vx, vy), 1.0)
    delta = _wrap(np.arctan2(vx, vy) - p.bearing[j][:, None])
    var = p.sb[j][:, None] ** 2 + (s * p.sb[i][:, None] / rho) ** 2
    z2 = delta**2 / var
    bad = (np.cos(delta) < 0) | (rho > reach[:, None])
    return np.asarray(np.where(bad, np.inf, z2).min(axis=1))


def _wrap(a: np.ndarray) -> np.ndarray:
    return np.asarray((a + np.pi) % (2 * np.pi) - np.pi)


def components(n: int, pairs: Pairs, must: Sequence[tuple[int, int]]) -> np.ndarray:
    """The connected component of each report over candidate and must-link edges."""
    mi = np.array([a for a, _ in must], int)
    mj = np.array([b for _, b in must], int)
    rows = np.concatenate([pairs.i, mi])
    cols = np.concatenate([pairs.j, mj])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels)
