"""Fusion: from raw reports to distinct, located events, each with its reasons.

Cheap gates (time, observer, family, space) give candidate pairs; every candidate pair is
then fitted as one event (point and emission time from bearings, distances, locations and
times of arrival) and kept if it fits and gains (fusion_scoring: a log-likelihood ratio);
each report keeps its few best partners among each other observer's reports. The kept
pairs split the reports into components. A component of one or two reports is settled at
once; any other is resolved as a whole: its event hypotheses (cliques of kept pairs) are
grown and scored, and an exact set packing picks the best grouping, so no early greedy
merge can block a better grouping later.

This runs twice. The first, quicker pass (a narrower beam, a greedy packing) gives events
enough to learn each observer's clock error and time and count sigmas from
(fusion_calibration); the second runs on the corrected times. Multi-count reports over a
window are then laid over the events they cover, and every event gets its existence
probability (fusion_existence). Input order never matters: reports are sorted first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from vigil.domain import association as assoc
from vigil.domain.fusion_calibration import calibrate
from vigil.domain.fusion_existence import with_existence
from vigil.domain.fusion_explain import Chosen, clusters_of
from vigil.domain.fusion_model import Cluster, Constraints, Fix, Report
from vigil.domain.fusion_partition import BEAM, Atoms, grow, members_of, pack
from vigil.domain.fusion_scoring import log_volumes, score
from vigil.domain.fusion_summaries import lay_summaries

FIRST_BEAM = 2  # the first pass only needs events good enough to learn the clocks from
PARTNERS_PER_OBSERVER = 3  # a report's best candidates among another observer's reports


def fuse(reports: Sequence[Report], constraints: Constraints | None = None) -> list[Cluster]:
    """Group reports into events; the same reports give the same clusters in any order."""
    if not reports:
        return []
    p = assoc.prepare(reports)
    must, cannot = _constraints(p, constraints or Constraints())
    pairs, chosen = _associate(p, must, cannot, beam=FIRST_BEAM, exact=False)
    offsets = None
    learnt = calibrate(p, *_flat(chosen))
    if learnt is not None:  # a second pass with the clocks and counting learnt from the first
        offsets = learnt.offset
        p = assoc.recalibrated(p, learnt.offset, learnt.time_sigma, learnt.count_sigma)
        pairs, chosen = _associate(p, must, cannot)
    clusters = clusters_of(p, pairs, chosen, offsets)
    clusters = with_existence(p, lay_summaries(p, clusters))
    return sorted(clusters, key=lambda c: (c.started_at, c.members))


def _associate(
    p: assoc.Prepared,
    must: list[tuple[int, int]],
    cannot: set[tuple[int, int]],
    beam: int = BEAM,
    exact: bool = True,
) -> tuple[assoc.Pairs, list[Chosen]]:
    """Candidate pairs, then the chosen events; tangled components are resolved with `beam`
    hypotheses per report and size, packed exactly or (a first pass) greedily."""
    alone = log_volumes(p)
    pairs = assoc.candidate_pairs(p, cannot)
    atoms = _atoms(p, alone, must)
    return pairs, _resolve(p, alone, atoms, pairs, cannot, beam, exact)


def _flat(chosen: list[Chosen]) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.fromiter((len(c.members) for c in chosen), int, len(chosen))
    return np.fromiter((k for c in chosen for k in c.members), int, int(sizes.sum())), sizes


def _constraints(
    p: assoc.Prepared, constraints: Constraints
) -> tuple[list[tuple[int, int]], set[tuple[int, int]]]:
    """Analyst decisions as pairs of report indices."""
    index = {r.id: k for k, r in enumerate(p.reports)}
    cannot = {
        (min(index[a], index[b]), max(index[a], index[b]))
        for a, b in constraints.cannot_link
        if a in index and b in index
    }
    must: list[tuple[int, int]] = []
    for group in constraints.must_link:
        present = sorted(index[g] for g in group if g in index)
        must.extend(zip(present, present[1:], strict=False))
    return must, cannot


def _atoms(p: assoc.Prepared, alone: np.ndarray, must: list[tuple[int, int]]) -> Atoms:
    """Reports tied together by an analyst as one atom each, scored as one event."""
    n = len(p.reports)
    if not must:
        return Atoms(np.arange(n), np.ones(n, int), np.zeros(n))
    labels = _labels(n, np.array(must, int))
    order = np.lexsort((np.arange(n), labels))
    sizes = np.bincount(labels)
    sizes = sizes[sizes > 0]
    starts = np.cumsum(sizes) - sizes
    by_first = np.argsort(order[starts], kind="stable")  # atoms in order of their first report
    idx = np.concatenate([order[starts[a] : starts[a] + sizes[a]] for a in by_first])
    sizes = sizes[by_first]
    gain = np.zeros(len(sizes))
    tied = sizes > 1
    if tied.any():
        s = score(p, alone, *_tied(idx, sizes, tied))
        gain[tied] = s.gain
    return Atoms(idx, sizes, gain)


def _tied(idx: np.ndarray, sizes: np.ndarray, tied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    starts = np.cumsum(sizes) - sizes
    parts = [idx[s : s + z] for s, z, t in zip(starts, sizes, tied, strict=True) if t]
    return np.concatenate(parts), sizes[tied]


def _labels(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected component of each of n nodes over undirected edges (k, 2)."""
    if len(edges) == 0:
        return np.arange(n)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1])


def _atom_pairs(atoms: Atoms, pairs: assoc.Pairs, cannot: set[tuple[int, int]]) -> np.ndarray:
    """Pairs of atoms (a < b) every two of whose reports are candidates."""
    of = np.empty(len(atoms.idx), int)
    of[atoms.idx] = np.repeat(np.arange(len(atoms.sizes)), atoms.sizes)
    a, b = of[pairs.i], of[pairs.j]
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    ab = np.unique(np.stack([a[keep], b[keep]], axis=1), axis=0)
    if len(ab) == 0 or np.all(atoms.sizes == 1):
        return ab.reshape(-1, 2)
    found = np.zeros(len(ab), int)
    key = a[keep] * len(atoms.sizes) + b[keep]
    ukey, count = np.unique(key, return_counts=True)
    found = count[np.searchsorted(ukey, ab[:, 0] * len(atoms.sizes) + ab[:, 1])]
    need = atoms.sizes[ab[:, 0]] * atoms.sizes[ab[:, 1]]
    return ab[found == need]


def _resolve(
    p: assoc.Prepared,
    alone: np.ndarray,
    atoms: Atoms,
    pairs: assoc.Pairs,
    cannot: set[tuple[int, int]],
    beam: int = BEAM,
    exact: bool = True,
) -> list[Chosen]:
    """The chosen events: atoms alone, kept pairs, and packed hypotheses of the rest."""
    n = len(atoms.sizes)
    ab = _atom_pairs(atoms, pairs, cannot)
    ps = score(p, alone, *members_of(atoms, ab))
    relative = ps.gain - atoms.gain[ab].sum(axis=1) if len(ab) else np.zeros(0)
    good = ps.feasible & (relative > 0)
    good &= _best_per_observer(p, atoms, ab, relative, good, PARTNERS_PER_OBSERVER)
    comp = _labels(n, ab[good])
    size = np.bincount(comp, minlength=n)
    groups: list[tuple[int, ...]] = []
    gains: dict[tuple[int, ...], float] = {}
    two = good & (size[comp[ab[:, 0]]] == 2) & (relative > 0)
    for a, b, g in zip(
        ab[two, 0].tolist(), ab[two, 1].tolist(), relative[two].tolist(), strict=True
    ):
        groups.append((a, b))
        gains[(a, b)] = g
    hard = size[comp] > 2
    if hard.any() and beam > 0:
        keep = good & hard[ab[:, 0]]
        at = np.stack([ps.fit.x[keep], ps.fit.y[keep], ps.fit.time[keep]], axis=1)
        h = grow(p, alone, atoms, ab[keep], relative[keep], at, comp, beam)
        for x, g in zip(h.atoms, h.gain, strict=True):
            gains[x] = g
        groups.extend(pack(h, sorted(set(comp[hard].tolist())), exact))
    covered = np.zeros(n, bool)
    for g in groups:
        covered[list(g)] = True
    groups.extend((a,) for a in np.flatnonzero(~covered).tolist())
    return [_chosen(atoms, g, gains.get(g, 0.0)) for g in groups]


def _best_per_observer(
    p: assoc.Prepared, atoms: Atoms, ab: np.ndarray, gain: np.ndarray, good: np.ndarray, k: int
) -> np.ndarray:
    """Pairs among the k best-gaining good pairs of one of their atoms with the other's
    observer: one event has one report per observer, so a report needs few candidates of each."""
    if len(ab) == 0:
        return good
    obs = p.observer[atoms.idx[atoms.starts]]
    e = np.flatnonzero(good)
    mine = np.concatenate([ab[e, 0], ab[e, 1]])
    their = np.concatenate([obs[ab[e, 1]], obs[ab[e, 0]]])
    edge = np.concatenate([e, e])
    key = mine * (int(obs.max()) + 1) + their
    order = np.lexsort((edge, -gain[edge], key))
    sk = key[order]
    rank = np.arange(len(order)) - np.searchsorted(sk, sk)
    keep = np.zeros(len(ab), bool)
    keep[edge[order][rank < k]] = True
    return keep


def _chosen(atoms: Atoms, group: tuple[int, ...], gain: float) -> Chosen:
    if len(atoms.idx) == len(atoms.sizes):  # no analyst ties: atoms are reports
        return Chosen(group, len(group), gain, False)
    starts = atoms.starts
    members = sorted(
        int(k) for a in group for k in atoms.idx[starts[a] : starts[a] + atoms.sizes[a]]
    )
    forced = len(group) == 1 and atoms.sizes[group[0]] > 1
    return Chosen(tuple(members), len(group), gain, bool(forced))


__all__ = ["Cluster", "Constraints", "Fix", "Report", "fuse"]
