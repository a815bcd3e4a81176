"""Why reports were grouped and how the event was located: the record each incident keeps.

For every report after the first, the explanation names the candidate pair that ties it to
an earlier one (time apart, how their positions agree, in sigmas), then gives the location
method with its residuals, the emission time with the sound delays allowed, and how sure
the grouping is. The chosen groups are solved once more, each on a plane centred on its own
point, so that the fix an incident keeps is exact.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from vigil.domain.association import Pairs, Prepared
from vigil.domain.fusion_model import Cluster, Fix, Report
from vigil.domain.fusion_rules import is_vague
from vigil.domain.fusion_scoring import EVENT_SPARSITY, SCORE_TOLERANCE_M
from vigil.domain.geodesy import forward_many
from vigil.domain.localisation import fixes_and_fit
from vigil.domain.localisation_solver import Fit, fit

AMBIGUOUS_MARGIN = 2.5  # a grouping gaining less than this over "all apart" is doubtful


@dataclass(frozen=True)
class Chosen:
    """A group fusion keeps as one event."""

    members: tuple[int, ...]  # indices into Prepared, ascending
    atoms: int  # groups an analyst tied together count as one
    gain: float  # log-likelihood ratio over its atoms apart
    forced: bool  # an analyst tied all of it together


def clusters_of(
    p: Prepared, pairs: Pairs, chosen: list[Chosen], offsets: np.ndarray | None = None
) -> list[Cluster]:
    """The clusters of the chosen groups, located, timed and explained; `offsets` are the
    clock errors taken off each report's times."""
    if not chosen:
        return []
    sizes = np.fromiter((len(c.members) for c in chosen), int, len(chosen))
    idx = np.fromiter((k for c in chosen for k in c.members), int, int(sizes.sum()))
    groups = [[p.reports[k] for k in c.members] for c in chosen]
    plane = fit(p.plane.take(idx), sizes, tolerance_m=SCORE_TOLERANCE_M)
    fixes, f, res = fixes_and_fit(p.table, idx, sizes, groups, _near(p, plane))
    starts = np.cumsum(sizes) - sizes
    span = np.where(p.summary[idx], 0.0, p.t1[idx] - p.t0[idx])
    ended = (f.time + np.maximum.reduceat(span, starts)).tolist()
    started = f.time.tolist()
    chi2_time = np.round(f.chi2_time, 3).tolist()
    rows = _time_rows(p, idx, res, offsets)
    links = _Links(p, pairs, idx, sizes)
    out = []
    for x, c in enumerate(chosen):
        reports = groups[x]
        s = int(starts[x])
        alt = c.atoms if c.atoms > 1 and c.gain < AMBIGUOUS_MARGIN and not c.forced else 1
        times = [(r, *rows[s + j]) for j, r in enumerate(reports)]
        cluster = Cluster(
            members=tuple(sorted(r.id for r in reports)),
            summaries=(),
            category=category_of(reports),
            started_at=started[x],
            ended_at=ended[x],
            count=max(r.count for r in reports),
            fix=fixes[x],
            existence_p=1.0,  # set once summaries are laid (fusion_existence)
            alt_events=alt,
            explanation={
                "association": _association(p, c, reports, links, alt),
                "location": _location(fixes[x]),
                "time": _time(started[x], ended[x], chi2_time[x], times),
            },
        )
        out.append(cluster)
    return out


def _time_rows(
    p: Prepared, idx: np.ndarray, res: dict[str, np.ndarray], offsets: np.ndarray | None
) -> list[tuple[float, float, float, float]]:
    """Per member: sound delay, time residual, its z, and the clock correction taken off."""
    shift = np.zeros(len(p.reports)) if offsets is None else offsets
    return list(
        zip(
            np.round(res["delay_s"], 1).tolist(),
            np.round(res["time_s"], 1).tolist(),
            np.round(res["time_z"], 2).tolist(),
            np.round(shift[idx], 1).tolist(),
            strict=True,
        )
    )


def _near(p: Prepared, f: Fit) -> tuple[np.ndarray, np.ndarray]:
    """Each group's optimum on the mission-wide plane, as (lat, lon): metres from the exact
    one, which is then found on a plane centred there."""
    n = len(f.x)
    return forward_many(
        np.full(n, p.centre[0]), np.full(n, p.centre[1]),
        np.degrees(np.arctan2(f.x, f.y)), np.hypot(f.x, f.y),
    )  # fmt: skip


def category_of(reports: list[Report]) -> str:
    """The most common precise category; a vague one only if nothing says more."""
    if len(reports) == 1:
        return reports[0].category
    precise = [r.category for r in reports if not is_vague(r.category)] or [
        r.category for r in reports
    ]
    counts = Counter(precise)
    return min(counts, key=lambda c: (-counts[c], c))


class _Links:
    """For each member after a group's first, the candidate pair tying it to an earlier one."""

    def __init__(self, p: Prepared, pairs: Pairs, idx: np.ndarray, sizes: np.ndarray) -> None:
        label = np.full(len(p.reports), -1)
        label[idx] = np.repeat(np.arange(len(sizes)), sizes)
        same = np.flatnonzero((label[pairs.i] == label[pairs.j]) & (label[pairs.i] >= 0))
        order = same[np.lexsort((pairs.space_z2[same], pairs.j[same]))]
        later = pairs.j[order]
        first = np.ones(len(order), bool)
        first[1:] = later[1:] != later[:-1]
        best = order[first]
        self.row = dict(zip(pairs.j[best].tolist(), best.tolist(), strict=True))
        self.i, self.z2 = pairs.i, pairs.space_z2
        self.how, self.ai, self.aj = pairs.how, pairs.along_i, pairs.along_j

    def link(self, p: Prepared, k: int) -> dict[str, Any]:
        """The link of member k to an earlier member."""
        r = p.reports[k]
        row = self.row.get(k)
        if row is None:
            return {"a": r.client_id, "b": None, "space": "tied by an analyst's decision"}
        o = p.reports[int(self.i[row])]
        z = math.sqrt(max(float(self.z2[row]), 0.0))
        return {
            "a": o.client_id,
            "b": r.client_id,
            "dt_s": round(abs(r.t0 - o.t0), 1),
            "space": self._space_text(row, o, r, z),
            "space_z": round(z, 2),
        }

    def _space_text(self, row: int, a: Report, b: Report, z: float) -> str:
        how = int(self.how[row])
        if how == 0:
            return f"their points agree within {z:.1f} sigma"
        if how == 1:
            return f"a bearing passes {z:.1f} sigma from the other's point"
        if how == 2 and not math.isnan(float(self.ai[row])):
            ahead_a, ahead_b = float(self.ai[row]), float(self.aj[row])
            return (
                f"rays cross {ahead_a / 1000:.1f} km ahead of {a.observer} "
                f"and {ahead_b / 1000:.1f} km ahead of {b.observer}"
            )
        if how == 2:
            return f"rays pass within {z:.1f} sigma of each other"
        return "one of them says nothing of where: grouped by time and kind"


def _association(
    p: Prepared, c: Chosen, reports: list[Report], links: _Links, alt: int
) -> dict[str, Any]:
    alternative = None
    if len(reports) > 1:
        alternative = (
            f"as {c.atoms} separate events the grouping would score {c.gain:.1f} lower"
            + (" — doubtful" if alt > 1 else "")
        )
    return {
        "reports": len(reports),
        "observers": sorted({r.observer for r in reports}),
        "score": round(c.gain, 2),
        "event_sparsity": round(EVENT_SPARSITY, 2),
        "links": [links.link(p, k) for k in c.members[1:]],
        "alternative": alternative,
        "decisions": ["every report tied together by an analyst"] if c.forced else [],
    }


def _location(fix: Fix) -> dict[str, Any]:
    return {
        "kind": fix.kind,
        "method": fix.method,
        "chi2": fix.chi2,
        "dof": fix.dof,
        "residuals": list(fix.residuals),
    }


def _time(
    start: float, end: float, chi2: float, rows: list[tuple[Report, float, float, float, float]]
) -> dict[str, Any]:
    """The emission time, and for each report: sound delay, residual, clock correction."""
    heard = [d for _, d, _, _, _ in rows if d > 0]
    note = "emission time fitted to the reports' times"
    if heard:
        note += f", less sound delays of {min(heard):.0f}-{max(heard):.0f} s"
    if any(abs(clock) >= 1.0 for *_, clock in rows):
        note += ", and clock errors learnt from the events observers reported together"
    out: dict[str, Any] = {
        "from": datetime.fromtimestamp(start, UTC).isoformat(),
        "to": datetime.fromtimestamp(max(end, start), UTC).isoformat(),
        "chi2": chi2,
        "note": note,
    }
    if len(rows) > 1:
        out["residuals"] = [
            {"client_id": r.client_id, "delay_s": d, "late_s": late, "z": z, "clock_s": clock}
            for r, d, late, z, clock in rows
        ]
    return out
