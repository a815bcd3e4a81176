"""Fusion on several processors: a long period is cut where nothing can link across, and
the parts are fused side by side.

Two reports are candidates only when their emission windows overlap, so wherever no window
spans a moment, nothing fused before it can join anything after it: fusing the parts apart
gives exactly the clusters of fusing them together. Cuts are made at such quiet moments, near
equal shares, and never through an analyst's must-link group.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from vigil.domain.association import emission_window, prepare
from vigil.domain.fusion import fuse
from vigil.domain.fusion_model import Cluster, Constraints, Report

MIN_PART = 20_000  # below this, a process costs more than it saves


def fuse_in_parts(
    reports: Sequence[Report],
    constraints: Constraints | None = None,
    workers: int = 2,
    min_part: int = MIN_PART,
) -> list[Cluster]:
    """The clusters of `fuse(reports, constraints)`, computed in up to `workers` processes."""
    constraints = constraints or Constraints()
    parts = split(reports, constraints, workers, min_part)
    if len(parts) < 2:
        return fuse(reports, constraints)
    context = multiprocessing.get_context("spawn")  # safe beside the server's threads
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool:
        results = list(pool.map(fuse, parts, [constraints] * len(parts)))
    clusters = [c for part in results for c in part]
    return sorted(clusters, key=lambda c: (c.started_at, c.members))


def split(
    reports: Sequence[Report], constraints: Constraints, workers: int, min_part: int = MIN_PART
) -> list[list[Report]]:
    """Reports cut into up to `workers` parts at quiet moments (one part if none fits)."""
    n = len(reports)
    if workers < 2 or n < 2 * min_part:
        return [list(reports)]
    p = prepare(reports)
    e0, e1 = emission_window(p)
    order = np.argsort(e0, kind="stable")
    reach = np.maximum.accumulate(e1[order])
    quiet = np.flatnonzero(reach[:-1] < e0[order][1:]) + 1  # cut before these positions
    group_of = {r: g for g, members in enumerate(constraints.must_link) for r in members}
    cuts: list[int] = []
    for share in range(1, workers):
        want = share * n // workers
        for at in quiet[np.argsort(np.abs(quiet - want), kind="stable")]:
            at = int(at)
            if at - (cuts[-1] if cuts else 0) < min_part or n - at < min_part:
                continue
            if _splits_a_group(p.reports, order, at, group_of):
                continue
            cuts.append(at)
            break
    bounds = [0, *sorted(cuts), n]
    return [
        [p.reports[int(k)] for k in order[lo:hi]]
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]


def _splits_a_group(
    reports: list[Report], order: np.ndarray, at: int, group_of: dict[int, int]
) -> bool:
    """True when a must-link group has reports on both sides of the cut."""
    if not group_of:
        return False
    before = {group_of[reports[int(k)].id] for k in order[:at] if reports[int(k)].id in group_of}
    after = {group_of[reports[int(k)].id] for k in order[at:] if reports[int(k)].id in group_of}
    return bool(before & after)
