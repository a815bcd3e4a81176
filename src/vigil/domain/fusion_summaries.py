"""Multi-count reports ("12 explosions 14:05-14:20, south-east, 3-5 km") laid over events.

A report over a window with a count may be one long event's report (a two-minute burst) or
a summary of several events. Such reports are kept out of the pairwise association, where
their wide windows would let them join any event of an episode, and laid afterwards over
the located events of their family, within their window and direction, that other
observers reported: a report that covers one event is one of that event's reports; one
that covers several is listed as a summary of each and counts only what they do not (its
own event, with the remaining count). A summary that adds nothing joins the event nearest
in time as supporting evidence and makes no event of its own.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vigil.domain.association import Prepared, emission_window
from vigil.domain.fusion_model import Cluster
from vigil.domain.fusion_rules import family_of
from vigil.domain.geodesy import inverse_many

COVER_POINT_GATE = 13.8  # chi-squared, 2 degrees of freedom, 99.9 %
COVER_ANGLE_GATE = 12.0  # (bearing offset / its sigma)², about 3.5 sigma
LATE_S = 60.0  # an event may start this long after the window closes (rounded times)


def lay_summaries(p: Prepared, clusters: list[Cluster]) -> list[Cluster]:
    """Lay each multi-count report over the other events it covers; adjust its own count."""
    by_id = {r.id: k for k, r in enumerate(p.reports)}
    home = {m: x for x, c in enumerate(clusters) for m in c.members if p.summary[by_id[m]]}
    rids = sorted(home)
    covers = _covers(p, clusters, [by_id[m] for m in rids], by_id, [home[m] for m in rids])
    joins: dict[int, list[int]] = {}
    extra: dict[int, list[int]] = {}
    laid: dict[int, set[int]] = {}
    replaced: dict[int, Cluster | None] = {}
    for rid, covered in zip(rids, covers, strict=True):
        if not covered:
            continue
        x = home[rid]
        for y in covered:
            extra.setdefault(y, []).append(rid)
        if len(clusters[x].members) > 1:
            laid.setdefault(x, set()).add(rid)  # one of its event's reports; counts no more
            continue
        rest = p.reports[by_id[rid]].count - sum(clusters[y].count for y in covered)
        if rest > 0 and len(covered) > 1:  # one covered event: it is that event's report
            replaced[x] = _remainder(clusters[x], len(covered), rest)
            continue
        near = min(covered, key=lambda y: (abs(clusters[y].started_at - p.t0[by_id[rid]]), y))
        joins.setdefault(near, []).append(rid)
        extra[near].remove(rid)
        replaced[x] = None
    return _rebuilt(p, by_id, clusters, replaced, joins, extra, laid)


def _rebuilt(
    p: Prepared,
    by_id: dict[int, int],
    clusters: list[Cluster],
    replaced: dict[int, Cluster | None],
    joins: dict[int, list[int]],
    extra: dict[int, list[int]],
    laid: dict[int, set[int]],
) -> list[Cluster]:
    out = []
    for x, c in enumerate(clusters):
        if x in replaced:
            if (kept := replaced[x]) is not None:
                out.append(kept)
            continue
        if x in joins:
            c = replace(c, members=tuple(sorted((*c.members, *joins[x]))))
        if x in laid:
            own = [p.reports[by_id[m]].count for m in c.members if m not in laid[x]]
            c = replace(c, count=max(own, default=c.count))
        if extra.get(x):
            c = replace(c, summaries=tuple(sorted(extra[x])))
        out.append(c)
    return out


def _covers(
    p: Prepared,
    clusters: list[Cluster],
    reports: list[int],
    by_id: dict[int, int],
    homes: list[int],
) -> list[list[int]]:
    """For each multi-count report, the clusters it covers (all tests on arrays at once)."""
    targets = [x for x, c in enumerate(clusters) if c.fix.lat is not None]
    if not reports or not targets:
        return [[] for _ in reports]
    start = np.array([clusters[x].started_at for x in targets])
    end = np.array([clusters[x].ended_at for x in targets])
    order = np.argsort(start, kind="stable")
    e0, _ = emission_window(p)
    k = np.array(reports)
    lo = np.searchsorted(start[order], e0[k] - 86400.0)
    hi = np.searchsorted(start[order], p.t1[k] + LATE_S, side="right")
    count = hi - lo
    which = np.repeat(np.arange(len(k)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    t = order[np.repeat(lo, count) + offset]
    keep = end[t] >= e0[k[which]]
    which, t = which[keep], t[keep]
    ok = _where_ok(p, clusters, targets, k[which], t)
    out: list[list[int]] = [[] for _ in reports]
    for w, y in zip(which[ok].tolist(), t[ok].tolist(), strict=True):
        if targets[y] == homes[w]:
            continue
        c = clusters[targets[y]]
        r = p.reports[reports[w]]
        if family_of(c.category).name != family_of(r.category).name:
            continue
        if any(p.reports[by_id[m]].observer == r.observer for m in c.members):
            continue
        out[w].append(targets[y])
    return out


def _where_ok(
    p: Prepared, clusters: list[Cluster], targets: list[int], k: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """The cluster's point lies along the report's bearing and at its distance."""
    fixes = [clusters[targets[y]].fix for y in t.tolist()]
    lat = np.array([f.lat for f in fixes], float)
    lon = np.array([f.lon for f in fixes], float)
    spread = np.array([0.0 if f.cov is None else (f.cov[0] + f.cov[2]) / 2.0 for f in fixes])
    olat, olon = p.table.olat[k], p.table.olon[k]
    ok = ~np.isnan(olat)
    az = np.zeros(len(k))
    dist = np.full(len(k), np.inf)
    if ok.any():
        a, _, d = inverse_many(olat[ok], olon[ok], lat[ok], lon[ok])
        az[ok], dist[ok] = a, d
    b = p.table.bearing_deg[k]
    sb = p.table.sb[k]
    delta = np.radians((az - b + 180.0) % 360.0 - 180.0)
    angle = delta**2 / (sb**2 + spread / np.maximum(dist, 1.0) ** 2)
    ok &= np.isnan(b) | (angle <= COVER_ANGLE_GATE)
    d, sd = p.table.dist[k], p.table.sd[k]
    ok &= np.isnan(d) | ((dist - d) ** 2 / (sd**2 + spread) <= COVER_POINT_GATE)
    return ok & (dist <= p.reach[k] * 1.2)


def _remainder(own: Cluster, covered: int, rest: int) -> Cluster:
    """The report's own event, counting only what the covered events do not."""
    note = (
        f"multi-count report: {covered} of its events were reported by others "
        f"(counted there); {rest} more are counted here"
    )
    explanation = {**own.explanation, "summary": note}
    return replace(own, count=rest, explanation=explanation)
