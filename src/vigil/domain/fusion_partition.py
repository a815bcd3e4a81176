"""The best grouping of a tangled component: event hypotheses, then an exact set packing.

Hypotheses are cliques of the feasible-pair graph (every two of their reports could be one
event), grown a size at a time from the pairs; only a feasible hypothesis that gains over
its reports apart is grown further, and for each report only the best few of each size are
kept (a beam). Then each component's hypotheses are packed exactly: the disjoint set with
the highest total gain, reports outside it being events of their own. Small components are
packed by dynamic programming over subsets, larger ones by HiGHS (scipy's milp).
Everything up to the packing works on arrays, all components at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix

from vigil.domain.association import Prepared
from vigil.domain.fusion_scoring import score

MAX_ATOMS_PER_EVENT = 8
EXHAUSTIVE_ATOMS = 20  # components up to this size are packed by dynamic programming
BEAM = 6  # hypotheses kept per atom and size: the best-gaining ones


@dataclass
class Atoms:
    """Reports an analyst tied together form one atom; every other report is its own."""

    idx: np.ndarray  # report indices, atom after atom, ascending in each
    sizes: np.ndarray
    gain: np.ndarray  # each atom's gain as one event (0 for a single report)

    @property
    def starts(self) -> np.ndarray:
        """First report of each atom in idx."""
        return np.cumsum(self.sizes) - self.sizes


@dataclass
class Hypotheses:
    """Candidate events as atom lists, with their gains and components."""

    atoms: list[tuple[int, ...]]
    gain: list[float]  # over the atoms apart
    comp: list[int]


def members_of(atoms: Atoms, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reports of each hypothesis (rows of atom ids): flat, ascending per row; sizes."""
    sizes = atoms.sizes[h].sum(axis=1)
    if np.all(atoms.sizes == 1):
        return np.sort(atoms.idx[h], axis=1).ravel(), sizes
    flat = h.ravel()
    count = atoms.sizes[flat]
    hyp = np.repeat(np.repeat(np.arange(len(h)), h.shape[1]), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    reports = atoms.idx[np.repeat(atoms.starts[flat], count) + offset]
    order = np.lexsort((reports, hyp))
    return reports[order], sizes


def grow(
    p: Prepared,
    alone: np.ndarray,
    atoms: Atoms,
    pairs: np.ndarray,
    pair_gain: np.ndarray,
    pair_at: np.ndarray,
    comp: np.ndarray,
    beam: int = BEAM,
) -> Hypotheses:
    """Every kept hypothesis of two or more atoms, grown from the kept pairs (a < b) whose
    gains over their atoms apart are `pair_gain` and whose optima are `pair_at` (x, y, T):
    a hypothesis is fitted from the optimum of the one it grew from."""
    n = len(atoms.sizes)
    keys = np.sort(pairs[:, 0] * n + pairs[:, 1])
    ptr, nbr = _later_neighbours(pairs, n)
    kept = _beam(pairs, pair_gain, beam)
    level, gain, at = pairs[kept], pair_gain[kept], pair_at[kept]
    useful = np.ones(len(level), bool)
    out = Hypotheses([], [], [])
    while len(level):
        out.atoms.extend(map(tuple, level[useful].tolist()))
        out.gain.extend(gain[useful].tolist())
        out.comp.extend(comp[level[useful, 0]].tolist())
        if level.shape[1] >= MAX_ATOMS_PER_EVENT:
            break
        level, parent = _extend(level, ptr, nbr, keys, n)
        if not len(level):
            break
        s = score(p, alone, *members_of(atoms, level), start=at[parent])
        relative = s.gain - atoms.gain[level].sum(axis=1)
        good = np.flatnonzero(s.feasible & (relative > 0))
        kept = good[_beam(level[good], relative[good], beam)]
        # one that gains no more than the hypothesis it grew from (its new atom apart) is
        # never needed in the packing; it is still grown, as only it leads to its successors
        useful = relative[kept] > gain[parent[kept]]
        level, gain = level[kept], relative[kept]
        at = np.stack([s.fit.x[kept], s.fit.y[kept], s.fit.time[kept]], axis=1)
    return out


def _later_neighbours(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each atom, its neighbours of higher id (CSR: pointers, neighbours)."""
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    a, b = pairs[order, 0], pairs[order, 1]
    ptr = np.zeros(n + 1, int)
    np.add.at(ptr, a + 1, 1)
    return np.cumsum(ptr), b


def _extend(
    level: np.ndarray, ptr: np.ndarray, nbr: np.ndarray, keys: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each hypothesis with one more atom, of higher id, adjacent to all of its atoms; and
    the row of the hypothesis each grew from."""
    last = level[:, -1]
    count = ptr[last + 1] - ptr[last]
    rows = np.repeat(np.arange(len(level)), count)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    b = nbr[np.repeat(ptr[last], count) + offset]
    ok = np.ones(len(rows), bool)
    for j in range(level.shape[1] - 1):
        key = level[rows, j] * n + b
        at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        ok &= keys[at] == key
    return np.hstack([level[rows[ok]], b[ok, None]]), rows[ok]


def _beam(level: np.ndarray, gain: np.ndarray, beam: int) -> np.ndarray:
    """Rows of the hypotheses that are among the best few of this size for some atom."""
    if len(level) == 0:
        return np.zeros(0, int)
    k = level.shape[1]
    hyp = np.repeat(np.arange(len(level)), k)
    atom = level.ravel()
    order = np.lexsort((hyp, -gain[hyp], atom))
    atom_sorted = atom[order]
    first = np.searchsorted(atom_sorted, atom_sorted, side="left")
    rank = np.arange(len(order)) - first
    good = np.zeros(len(level), bool)
    good[hyp[order][rank < beam]] = True
    return np.flatnonzero(good)


def pack(h: Hypotheses, comps: list[int], exact: bool = True) -> list[tuple[int, ...]]:
    """The best disjoint hypotheses of each component (atoms left out stay apart); not
    `exact`: the best-gaining first, as long as they fit."""
    by_comp: dict[int, list[int]] = {c: [] for c in comps}
    for x, c in enumerate(h.comp):
        if c in by_comp:
            by_comp[c].append(x)
    chosen: list[tuple[int, ...]] = []
    for xs in by_comp.values():
        if not xs:
            continue
        atom_ids = sorted({a for x in xs for a in h.atoms[x]})
        solver = _greedy if not exact else _dynamic if len(atom_ids) <= EXHAUSTIVE_ATOMS else _highs
        chosen.extend(h.atoms[x] for x in solver(h, xs, atom_ids))
    return chosen


def _greedy(h: Hypotheses, xs: list[int], atom_ids: list[int]) -> list[int]:
    """The best-gaining hypotheses that do not overlap those taken before them."""
    used: set[int] = set()
    out = []
    for x in sorted(xs, key=lambda x: (-h.gain[x], x)):
        if used.isdisjoint(h.atoms[x]):
            used.update(h.atoms[x])
            out.append(x)
    return out


def _dynamic(h: Hypotheses, xs: list[int], atom_ids: list[int]) -> list[int]:
    """Exact set packing of a small component by dynamic programming over the subsets of
    atoms left, lowest atom first (atoms are in time order, so few subsets arise)."""
    bit = {a: 1 << r for r, a in enumerate(atom_ids)}
    by_low: dict[int, list[tuple[int, float, int]]] = {}
    for x in xs:
        mask = sum(bit[a] for a in h.atoms[x])
        by_low.setdefault(mask & -mask, []).append((mask, h.gain[x], x))
    value: dict[int, float] = {0: 0.0}
    choice: dict[int, tuple[int, int]] = {}  # state: (hypothesis or -1, mask it takes)

    def best(rest: int) -> float:
        got = value.get(rest)
        if got is not None:
            return got
        low = rest & -rest
        top, pick = best(rest & ~low), (-1, low)  # the lowest atom stays apart
        for mask, g, x in by_low.get(low, ()):
            if mask & rest == mask:
                v = best(rest & ~mask) + g
                if v > top:
                    top, pick = v, (x, mask)
        value[rest], choice[rest] = top, pick
        return top

    rest = (1 << len(atom_ids)) - 1
    best(rest)
    picks = []
    while rest:
        x, mask = choice[rest]
        if x >= 0:
            picks.append(x)
        rest &= ~mask
    return sorted(picks)


def _highs(h: Hypotheses, xs: list[int], atom_ids: list[int]) -> list[int]:
    """Exact set packing of a large component: its linear relaxation, which is most often
    whole already, else mixed-integer programming (both by HiGHS)."""
    row_of = {a: r for r, a in enumerate(atom_ids)}
    rows = [row_of[a] for x in xs for a in h.atoms[x]]
    cols = [c for c, x in enumerate(xs) for _ in h.atoms[x]]
    cover = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(atom_ids), len(xs)))
    gain = np.array([h.gain[x] for x in xs])
    relaxed = linprog(-gain, A_ub=cover, b_ub=np.ones(len(atom_ids)), bounds=(0, 1), method="highs")
    x = relaxed.x
    if x is None or np.any(np.minimum(x, 1.0 - x) > 1e-6):
        result = milp(
            c=-gain,
            constraints=LinearConstraint(cover, lb=0, ub=1),
            integrality=np.ones(len(xs)),
            bounds=Bounds(0, 1),
        )
        x = result.x
    if x is None:  # cannot happen: choosing nothing is feasible; stay safe
        return []
    return [xs[c] for c in np.flatnonzero(x > 0.5)]
