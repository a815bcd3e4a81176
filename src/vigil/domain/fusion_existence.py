"""How likely each event is real, so that counts can be given as an expected number.

An event reported by two or more observers is real unless each of them raised a false
alarm at the same moment and place: its existence is 1 - the product of their false-alarm
shares. A lone report is the hard case: it is either a false alarm or a real event nobody
else noticed. Both are estimated from the data (empirical Bayes, per observer):

1. Detection. From the events seen by at least two other observers, how often each fixed
   observer also reported an event of that family at that distance (bins of distance,
   shrunk towards all observers' rate in the bin).
2. For an event at a place, q = the chance that no other fixed observer would report it.
   For a lone bearing, q is averaged along the ray, weighted by how likely the reporter is
   to notice an event at each range.
3. Each observer's events seen by others (M of them, q of each computed without that
   observer) stand for M / (1 - q) events it reported, so Σ q / (1 - q) of its lone reports
   are expected to be real (Horvitz-Thompson); the rest of its lone reports are false alarms.
4. A lone report's existence is c·q / (c·q + 1), with c set per observer so that the sum
   over its lone reports is that expected number: lone reports where others would surely
   have heard something are most likely false alarms.

The expected count of a set of events is the sum of their existence probabilities; its
variance, the events being independent, is Σ p (1 - p), so a 95 % interval is the sum ±
1.96 √Σ p (1 - p) (vigil.domain.counting). The naive count, every report an event, is
beside it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vigil.domain.association import Prepared
from vigil.domain.fusion_model import Cluster
from vigil.domain.geodesy import inverse_many
from vigil.domain.localisation_solver import NONE, WEDGE

EDGES_M = np.array([1000.0, 2000.0, 3000.0, 4500.0, 6000.0, 8000.0, 11000.0, 15000.0, 20000.0])
SHRINK = 5.0  # pseudo-events pulling an observer's detection rate to everyone's in its bin
PRIOR_DETECTION = 0.2  # where no observer has been seen at such a distance yet
RAY_POINTS = 12
MAX_Q = 0.98  # an event always has some chance of being noticed by someone else
MIN_FALSE_SHARE = 1e-3
FIXED_M = 50.0  # an observer whose reports come from within this of one place is fixed
MIN_SHARED = 5  # an observer with fewer events seen by others says too little of itself...
DEFAULT_REAL = 0.8  # ...and its lone reports are taken as real this often


def with_existence(p: Prepared, clusters: list[Cluster]) -> list[Cluster]:
    """The clusters with their existence probabilities."""
    if not clusters:
        return clusters
    by_id = {r.id: k for k, r in enumerate(p.reports)}
    first = np.array([by_id[c.members[0]] for c in clusters])
    g, k = [], []
    for i, c in enumerate(clusters):
        for m in (*c.members, *c.summaries):
            g.append(i)
            k.append(by_id[m])
    x, y = _plane_points(p, clusters)
    kind = np.array([_KINDS.get(c.fix.kind, NONE) for c in clusters])
    values = existence(p, np.array(g), np.array(k), first, x, y, kind)
    return [replace(c, existence_p=v) for c, v in zip(clusters, values, strict=True)]


_KINDS = {"point": 0, "degenerate": 1, "wedge": WEDGE, "none": NONE}


def _plane_points(p: Prepared, clusters: list[Cluster]) -> tuple[np.ndarray, np.ndarray]:
    """Each cluster's point on the mission-wide plane (nan if it has none)."""
    lat = np.array([np.nan if c.fix.lat is None else c.fix.lat for c in clusters])
    lon = np.array([np.nan if c.fix.lon is None else c.fix.lon for c in clusters])
    x, y = np.full(len(lat), np.nan), np.full(len(lat), np.nan)
    ok = ~np.isnan(lat)
    if ok.any():
        n = int(ok.sum())
        az, _, d = inverse_many(np.full(n, p.centre[0]), np.full(n, p.centre[1]), lat[ok], lon[ok])
        x[ok], y[ok] = d * np.sin(np.radians(az)), d * np.cos(np.radians(az))
    return x, y


def existence(
    p: Prepared,
    group: np.ndarray,
    member: np.ndarray,
    first: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    kind: np.ndarray,
) -> list[float]:
    """Chance each event is real. Its reports (members and summaries) are `member`, in
    event `group`; `first` is its first report; (x, y) its point on the mission-wide plane."""
    n = len(first)
    posts, px, py = _fixed_observers(p)
    fam = p.family[first]
    n_obs = int(p.observer.max()) + 1
    pairs = np.unique(group * n_obs + p.observer[member])  # (event, observer), once each
    g, o = pairs // n_obs, pairs % n_obs
    by = np.bincount(g, minlength=n)
    column = np.full(n_obs, -1)
    column[posts] = np.arange(len(posts))
    seen = np.zeros((n, len(posts)), bool)  # which posts reported each event
    seen[g[column[o] >= 0], column[o][column[o] >= 0]] = True
    located = (kind != WEDGE) & (kind != NONE) & np.isfinite(x)
    pd = _detection(p, fam, by, seen, px, py, x, y, located)
    log_miss = _log_miss(pd, fam, px, py, x, y)  # (n, posts)
    q = _lone_q(p, first, pd, fam, px, py, located, log_miss, seen)
    reporter = p.observer[first]
    lone = by == 1
    lone_count = np.bincount(reporter[lone], minlength=n_obs)
    shared = np.bincount(o[by[g] >= 2], minlength=n_obs)
    real_lone = _expected_real_lone(n_obs, g, o, by, log_miss, column)
    real_lone = np.where(shared < MIN_SHARED, DEFAULT_REAL * lone_count, real_lone)
    c = _odds(q, reporter, lone, real_lone, n_obs)
    p_lone = c[reporter] * q / (c[reporter] * q + 1.0)
    reports = np.bincount(p.observer, minlength=n_obs).astype(float)
    false_share = np.maximum(lone_count - real_lone, 0.0) / np.maximum(reports, 1.0)
    log_false = np.log(np.maximum(false_share, MIN_FALSE_SHARE))
    multi = 1.0 - np.exp(np.bincount(g, log_false[o], minlength=n))
    return np.round(np.where(lone, p_lone, multi), 4).tolist()


def _fixed_observers(p: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observers that stay at one place (posts), with their place on the plane."""
    n_obs = int(p.observer.max()) + 1
    ok = ~np.isnan(p.ox)
    o = p.observer[ok]
    x, y = p.ox[ok], p.oy[ok]
    lo_x = np.full(n_obs, np.inf)
    hi_x = np.full(n_obs, -np.inf)
    lo_y, hi_y = lo_x.copy(), hi_x.copy()
    np.minimum.at(lo_x, o, x)
    np.maximum.at(hi_x, o, x)
    np.minimum.at(lo_y, o, y)
    np.maximum.at(hi_y, o, y)
    fixed = (hi_x - lo_x < FIXED_M) & (hi_y - lo_y < FIXED_M)
    posts = np.flatnonzero(fixed)
    return posts, (lo_x[posts] + hi_x[posts]) / 2, (lo_y[posts] + hi_y[posts]) / 2


def _bins(px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Distance bin of each point (rows) from each post (columns)."""
    d = np.hypot(x[:, None] - px[None, :], y[:, None] - py[None, :])
    return np.asarray(np.searchsorted(EDGES_M, np.nan_to_num(d, nan=1e12)))


def _detection(
    p: Prepared,
    fam: np.ndarray,
    by: np.ndarray,
    seen: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    located: np.ndarray,
) -> np.ndarray:
    """Chance each post reports an event of each family in each distance bin:
    (posts, families, bins), from events that at least two others reported."""
    n_posts, n_fam, n_bins = len(px), int(p.family.max()) + 1, len(EDGES_M) + 1
    shape = (n_posts, n_fam, n_bins)
    if n_posts == 0:
        return np.zeros(shape)
    train = np.flatnonzero(located & (by >= 2))
    b = _bins(px, py, x[train], y[train])
    hit = seen[train]
    others = by[train][:, None] - hit >= 2
    key = (np.arange(n_posts)[None, :] * n_fam + fam[train][:, None]) * n_bins + b
    size = n_posts * n_fam * n_bins
    trials = np.bincount(key[others], minlength=size).reshape(shape).astype(float)
    hits = np.bincount(key[others & hit], minlength=size).reshape(shape).astype(float)
    pooled = (hits.sum(0) + SHRINK * PRIOR_DETECTION) / (trials.sum(0) + SHRINK)
    return np.asarray((hits + SHRINK * pooled[None]) / (trials + SHRINK))


def _log_miss(
    pd: np.ndarray, fam: np.ndarray, px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """log of the chance each post misses an event at each point: (points, posts)."""
    if len(px) == 0:
        return np.zeros((len(x), 0))
    b = _bins(px, py, x, y)
    miss = 1.0 - pd[np.arange(len(px))[None, :], fam[:, None], b]
    return np.asarray(np.log(np.maximum(miss, 1e-6)))


def _lone_q(
    p: Prepared,
    first: np.ndarray,
    pd: np.ndarray,
    fam: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    located: np.ndarray,
    log_miss: np.ndarray,
    seen: np.ndarray,
) -> np.ndarray:
    """For each event: the chance no post that did not report it would report an event
    where it is; for an unlocated one, averaged along its first report's bearing (or 1)."""
    q = np.exp(np.sum(np.where(seen, 0.0, log_miss), axis=1))
    ray = ~located & ~np.isnan(p.bearing[first]) & ~np.isnan(p.ox[first])
    if ray.any() and len(px):
        q[ray] = _along_rays(p, first[ray], pd, fam[ray], px, py, ~seen[ray])
    q[~located & ~ray] = 1.0
    return np.minimum(q, MAX_Q)


def _along_rays(
    p: Prepared,
    k: np.ndarray,
    pd: np.ndarray,
    fam: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    outside: np.ndarray,
) -> np.ndarray:
    """q averaged over points along each report's bearing, out to its family's reach."""
    share = (np.arange(RAY_POINTS) + 0.5) / RAY_POINTS
    r = p.reach[k][:, None] * share[None, :]
    x = (p.ox[k][:, None] + r * np.sin(p.bearing[k])[:, None]).ravel()
    y = (p.oy[k][:, None] + r * np.cos(p.bearing[k])[:, None]).ravel()
    log_miss = _log_miss(pd, np.repeat(fam, RAY_POINTS), px, py, x, y)
    out = np.repeat(outside, RAY_POINTS, axis=0)
    q = np.exp(np.sum(np.where(out, log_miss, 0.0), axis=1)).reshape(-1, RAY_POINTS)
    own = 1.0 / (1.0 + (r / (0.5 * p.reach[k][:, None])) ** 4)  # nearer is likelier heard
    return np.asarray(np.sum(q * own, axis=1) / np.sum(own, axis=1))


def _expected_real_lone(
    n_obs: int,
    g: np.ndarray,
    o: np.ndarray,
    by: np.ndarray,
    log_miss: np.ndarray,
    column: np.ndarray,
) -> np.ndarray:
    """Per observer: how many of its lone reports are expected to be real events, from its
    events seen by others (Horvitz-Thompson). (g, o): which observer reported which event."""
    if log_miss.shape[1] == 0:
        return np.zeros(n_obs)
    shared = by[g] >= 2
    g, o = g[shared], o[shared]
    total = log_miss.sum(axis=1)[g]  # every post missing it
    col = column[o]
    own = np.where(col >= 0, log_miss[g, np.maximum(col, 0)], 0.0)
    q = np.minimum(np.exp(total - own), MAX_Q)  # nobody but this observer noticing it
    return np.bincount(o, q / (1.0 - q), minlength=n_obs)


def _odds(
    q: np.ndarray, reporter: np.ndarray, lone: np.ndarray, real: np.ndarray, n_obs: int
) -> np.ndarray:
    """Per observer, the c with sum over its lone reports of c q / (c q + 1) = real."""
    count = np.bincount(reporter[lone], minlength=n_obs)
    target = np.minimum(real, count * 0.999)
    lo, hi = np.full(n_obs, -20.0), np.full(n_obs, 20.0)
    ql, rl = q[lone], reporter[lone]
    for _ in range(40):
        mid = (lo + hi) / 2.0
        c = np.exp(mid)[rl]
        got = np.bincount(rl, c * ql / (c * ql + 1.0), minlength=n_obs)
        high = got > target
        hi, lo = np.where(high, mid, hi), np.where(high, lo, mid)
    return np.asarray(np.exp((lo + hi) / 2.0))
