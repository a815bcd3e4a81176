"""Observers' clocks and counting, learnt from the events they reported together.

A post's watch may run twenty seconds fast, and people write the time down a moment after
they hear the bang; a sensor's clock is good to a fraction of a second. Once a first fusion
pass has grouped the reports, every event heard by several observers says how late each of
them was: its time, less the sound delay from the fitted point, less the event's emission
time. Solving for one offset per observer and week (a clock drifts) and for the emission
times together, each clock's error is estimated and corrected; the spread that is left is
each observer's time sigma. Both are shrunk as if PSEUDO_REPORTS reports had shown the
prior (an offset like that of other observers of its kind, the stated sigma), so an observer
seen in few events keeps nearly its reported times, and with fewer than MIN_SHARED_EVENTS
shared events nothing is learnt at all. In the same way, how far each observer's counts
stray from the others' for the same events gives its count sigma. Nothing here reads any
truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, diags
from scipy.sparse.linalg import spsolve

from vigil.domain.association import COUNT_SHARE, Prepared
from vigil.domain.fusion_model import SPEED_OF_SOUND_M_S
from vigil.domain.localisation_plane import DEL, OX, OY, TIME_FLOOR_S
from vigil.domain.localisation_solver import fit

BLOCK_S = 7 * 86400.0  # a clock's offset is taken as constant over a week
PSEUDO_REPORTS = 5.0  # weight of the prior (no offset, the stated sigma) against the data
MIN_SHARED_EVENTS = 20  # fewer events reported by several observers teach nothing
WINSOR_Z = 3.5  # residuals beyond this many sigmas count as this many (wrong groupings)
ROUNDS = 2
COUNT_FLOOR = 0.05  # no one counts better than this


@dataclass
class Calibration:
    """Per report: its clock's offset, its time sigma once corrected, its count sigma."""

    offset: np.ndarray
    time_sigma: np.ndarray
    count_sigma: np.ndarray


def calibrate(p: Prepared, idx: np.ndarray, sizes: np.ndarray) -> Calibration | None:
    """What the groups (reports idx, group after group) say of each observer's clock and
    counting; None when too few events were reported by several observers."""
    several = np.repeat(sizes >= 2, sizes)
    idx, sizes = idx[several], sizes[sizes >= 2]
    if len(sizes) < MIN_SHARED_EVENTS:
        return None
    counts = _count_sigmas(p, idx, sizes)
    clocks = _clocks(p, idx, sizes)
    if clocks is None:
        return Calibration(np.zeros(len(p.reports)), p.table.st, counts)
    return Calibration(*clocks, counts)


def _clocks(
    p: Prepared, idx: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each report's clock offset and time sigma."""
    usable = ~p.summary & (p.table.delayed | ~p.table.heard)
    rows = _multi_observer_rows(p, idx, sizes, usable)
    if rows is None:
        return None
    ridx, group, delay = rows
    t = p.table.t[ridx] - delay
    st = p.table.st[ridx]
    clock = _clock_ids(p)
    cid = clock[ridx]
    n_clocks = int(clock.max()) + 1
    prior = PSEUDO_REPORTS / _stated(p, clock, n_clocks) ** 2
    w = 1.0 / st**2
    centre = np.zeros(n_clocks)
    offset = _solve(group, cid, w, t, prior, centre)
    kind = _kind_of_clock(p, clock, n_clocks)
    for _ in range(ROUNDS):  # wrong groupings must not drag a clock: clip their residuals
        emission = _weighted(group, w, t - offset[cid])
        fitted = offset[cid] + emission[group]
        clipped = fitted + np.clip(t - fitted, -WINSOR_Z * st, WINSOR_Z * st)
        info = np.bincount(cid, w, n_clocks)
        centre = kind_centres(kind, info, offset)
        offset = _solve(group, cid, w, clipped, prior, centre)
    emission = _weighted(group, w, t - offset[cid])
    r = t - offset[cid] - emission[group]
    leverage = w / np.bincount(group, w)[group]
    return offset[clock], _sigmas(p, cid, clock, n_clocks, r, st, leverage)


def kind_centres(kind: np.ndarray, info: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Each clock's kind's information-weighted mean offset; 0 for a kind none of whose
    clocks has a usable report in this run (a lone monitor's watch), never 0/0."""
    total = np.bincount(kind, info)
    mean = np.divide(
        np.bincount(kind, info * offset), total, out=np.zeros_like(total), where=total > 0
    )
    return mean[kind]


def _solve(
    group: np.ndarray,
    cid: np.ndarray,
    w: np.ndarray,
    t: np.ndarray,
    prior: np.ndarray,
    centre: np.ndarray,
) -> np.ndarray:
    """Least-squares clock offsets with the events' emission times eliminated:
    t = emission[group] + offset[clock] + noise, offsets pulled to zero by `prior`."""
    n = len(prior)
    u = csr_matrix((w, (group, cid)), shape=(int(group.max()) + 1, n))
    total = np.bincount(group, w)
    m = diags(np.bincount(cid, w, n) + prior) - u.T @ diags(1.0 / total) @ u
    rhs = np.bincount(cid, w * t, n) + prior * centre - u.T @ (np.bincount(group, w * t) / total)
    return np.asarray(spsolve(m.tocsc(), rhs))


def _multi_observer_rows(
    p: Prepared, idx: np.ndarray, sizes: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Rows of groups with two or more usable reports: indices, group, sound delay."""
    rows = p.plane.take(idx)
    f = fit(rows, sizes)
    group = np.repeat(np.arange(len(sizes)), sizes)
    rho = np.hypot(f.x[group] - rows.a[OX], f.y[group] - rows.a[OY])
    delay = rows.a[DEL] * rho / SPEED_OF_SOUND_M_S
    ok = usable[idx]
    n_ok = np.bincount(group[ok], minlength=len(sizes))
    keep = ok & (n_ok[group] >= 2)
    if not keep.any():
        return None
    _, regroup = np.unique(group[keep], return_inverse=True)
    return idx[keep], regroup, delay[keep]


def _clock_ids(p: Prepared) -> np.ndarray:
    """One clock per observer and week."""
    week = np.floor((p.t0 - p.t0.min()) / BLOCK_S).astype(int)
    key = p.observer * (int(week.max()) + 1) + week
    return np.unique(key, return_inverse=True)[1]


def _stated(p: Prepared, clock: np.ndarray, n: int) -> np.ndarray:
    """Each clock's stated time sigma (its reports' median)."""
    out = np.ones(n)
    order = np.lexsort((p.table.st, clock))
    c, s = clock[order], p.table.st[order]
    first = np.searchsorted(c, np.arange(n))
    last = np.searchsorted(c, np.arange(n), side="right")
    out[:] = s[(first + last - 1) // 2]
    return out


def _kind_of_clock(p: Prepared, clock: np.ndarray, n: int) -> np.ndarray:
    """The kind of observer (post, sensor, ...) each clock belongs to, as an index."""
    kinds: dict[str, int] = {}
    of_report = np.fromiter(
        (kinds.setdefault(r.observer_kind, len(kinds)) for r in p.reports), int, len(p.reports)
    )
    out = np.zeros(n, int)
    out[clock] = of_report
    return out


def _weighted(group: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.asarray(np.bincount(group, w * v) / np.bincount(group, w))


def _sigmas(
    p: Prepared,
    cid: np.ndarray,
    clock: np.ndarray,
    n_clocks: int,
    r: np.ndarray,
    st: np.ndarray,
    leverage: np.ndarray,
) -> np.ndarray:
    """Each report's time sigma: its clock's spread, shrunk towards the stated sigma."""
    ok = leverage < 0.95
    r2 = np.minimum(r[ok] ** 2 / (1.0 - leverage[ok]), (WINSOR_Z * st[ok]) ** 2)
    stated = _stated(p, clock, n_clocks)
    total = np.bincount(cid[ok], r2, n_clocks) + PSEUDO_REPORTS * stated**2
    count = np.bincount(cid[ok], minlength=n_clocks) + PSEUDO_REPORTS
    own = np.sqrt(total / count)
    extra = np.maximum(p.table.st**2 - stated[clock] ** 2, 0.0)  # a window's width stays
    return np.maximum(np.sqrt(own[clock] ** 2 + extra), TIME_FLOOR_S)


def _count_sigmas(p: Prepared, idx: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each report's count sigma (log scale): its observer's spread about the shared counts."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    lc = p.log_count[idx]
    has = ~np.isnan(lc)
    n_has = np.bincount(group[has], minlength=len(sizes))
    keep = has & (n_has[group] >= 2)
    if not keep.any():
        return p.count_sigma
    k, g = idx[keep], np.unique(group[keep], return_inverse=True)[1]
    w = 1.0 / p.count_sigma[k] ** 2
    mean = _weighted(g, w, p.log_count[k])
    r = p.log_count[k] - mean[g]
    leverage = w / np.bincount(g, w)[g]
    ok = leverage < 0.95
    rounding = 1.0 / (12.0 * np.exp(2.0 * p.log_count[k]))
    share2 = np.minimum(
        r**2 / (1.0 - np.minimum(leverage, 0.95)), (WINSOR_Z * p.count_sigma[k]) ** 2
    )
    share2 = np.where(ok, share2 - rounding, 0.0)
    n_obs = int(p.observer.max()) + 1
    o = p.observer[k]
    total = np.bincount(o, share2, n_obs) + PSEUDO_REPORTS * COUNT_SHARE**2
    count = np.bincount(o, ok.astype(float), n_obs) + PSEUDO_REPORTS
    share = np.sqrt(np.maximum(total / count, COUNT_FLOOR**2))
    all_counts = np.exp(np.nan_to_num(p.log_count))
    return np.sqrt(share[p.observer] ** 2 + 1.0 / (12.0 * all_counts**2))
