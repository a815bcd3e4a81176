"""Fusion measured against ground truth: counts, B-cubed, localisation and calibration.

Pure functions over plain data (report keys, truth keys, offsets, covariances), so that they are
checked on hand-made partitions in tests/unit/test_fusion_metrics.py, apart from the engine and
the simulator. `Evidence` gathers what one fused scenario offers; several are pooled by
concatenation (report keys are namespaced by the caller) before `summarise` computes the figures.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CHI2_95_2D = 5.991  # 95 % quantile of chi² with 2 degrees of freedom
TARGET_COUNT_ERROR = 0.03
TARGET_F1 = 0.95
TARGET_CRLB_RATIO = 1.2
TARGET_COVERAGE = (0.93, 0.97)
MIN_REPORTS_CRLB = 3


def family(category: str) -> str:
    """The family of a category code: its first two levels (ceasefire_violation.explosion)."""
    return ".".join(category.split(".")[:2])


def count_error(
    incidents: int, detected: int, reports: int, expected: float | None = None
) -> dict[str, float | None]:
    """Relative error of the fused count against the detected truth, and the naive over-count.

    `expected` is the count the clusters' existence probabilities add up to, if given.
    """
    if detected <= 0:
        raise ValueError("no detected truth events to count against")
    return {
        "incidents": incidents,
        "detected": detected,
        "reports": reports,
        "count_error": abs(incidents - detected) / detected,
        "count_bias": (incidents - detected) / detected,
        "naive_overcount": reports / detected - 1.0,
        "expected_incidents": expected,
        "expected_count_error": None if expected is None else abs(expected - detected) / detected,
    }


def count_by_family(
    incidents: Iterable[str], detected: Iterable[str], reports: Iterable[str]
) -> dict[str, dict[str, float | None]]:
    """Count error and naive over-count per category family (None where nothing was detected)."""
    n_inc = Counter(family(c) for c in incidents)
    n_det = Counter(family(c) for c in detected)
    n_rep = Counter(family(c) for c in reports)
    out: dict[str, dict[str, float | None]] = {}
    for fam in sorted(n_inc.keys() | n_det.keys() | n_rep.keys()):
        i, d, r = n_inc[fam], n_det[fam], n_rep[fam]
        out[fam] = {
            "incidents": i,
            "detected": d,
            "reports": r,
            "count_error": abs(i - d) / d if d else None,
            "naive_overcount": r / d - 1.0 if d else None,
        }
    return out


def repair_partition(
    clusters: Iterable[Sequence[Hashable]], reports: Iterable[Hashable]
) -> tuple[list[tuple[Hashable, ...]], dict[str, int]]:
    """Clusters as a partition of the reports, and how far fusion's output was from one.

    Fusion must place each report in exactly one cluster. Where it did not, a report placed
    twice stays in its first cluster and a report placed nowhere becomes a cluster of its own,
    for scoring only; the counts say how often that happened.
    """
    seen: set[Hashable] = set()
    fixed, duplicated = [], 0
    for members in clusters:
        kept = tuple(r for r in members if r not in seen)
        duplicated += len(members) - len(kept)
        seen.update(kept)
        fixed.append(kept)
    unplaced = [r for r in reports if r not in seen]
    return fixed + [(r,) for r in unplaced], {"unplaced": len(unplaced), "duplicated": duplicated}


def bcubed(
    clusters: Iterable[Iterable[Hashable]], truth: Mapping[Hashable, Hashable | None]
) -> dict[str, float]:
    """B-cubed precision, recall and F1 over the reports in `truth` (None: a false alarm).

    Each report of `truth` must be in exactly one cluster; cluster members absent from `truth`
    (multi-count summaries) are left out of both partitions. A false alarm is a truth class of
    its own.
    """
    placed: dict[Hashable, int] = {}
    for c, members in enumerate(clusters):
        for r in members:
            if r in truth:
                if r in placed:
                    raise ValueError(f"report {r!r} is in two clusters")
                placed[r] = c
    missing = [r for r in truth if r not in placed]
    if missing:
        raise ValueError(f"{len(missing)} reports are in no cluster, e.g. {missing[0]!r}")
    if not truth:
        raise ValueError("no reports to score")
    cls = {r: ("false alarm", r) if k is None else ("event", k) for r, k in truth.items()}
    n_ct = Counter((placed[r], cls[r]) for r in truth)
    n_c = Counter(placed.values())
    n_t = Counter(cls.values())
    n = len(truth)
    precision = sum(v * v / n_c[c] for (c, _), v in n_ct.items()) / n
    recall = sum(v * v / n_t[t] for (_, t), v in n_ct.items()) / n
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
    }


def majority_truth(
    members: Sequence[Hashable], truth: Mapping[Hashable, Hashable | None]
) -> Hashable | None:
    """The truth event that more than half of a cluster's members describe, if there is one."""
    keys = Counter(truth[r] for r in members if truth.get(r) is not None)
    if not keys:
        return None
    key, n = keys.most_common(1)[0]
    return key if 2 * n > len(members) else None


def count_breakdown(
    clusters: Iterable[Sequence[Hashable]],
    truth: Mapping[Hashable, Hashable | None],
    detected: Iterable[Hashable],
) -> dict[str, int]:
    """Where the count goes wrong: incidents - detected = split + false_alarm + mixed - missed.

    matched: the first cluster of a truth event (by majority); split: another cluster of an
    event already matched; false_alarm: only false alarms; mixed: no majority (or only
    multi-count summaries); missed: detected events that are no cluster's majority.
    """
    out = dict.fromkeys(("matched", "split", "false_alarm", "mixed", "missed"), 0)
    seen: set[Hashable] = set()
    for members in clusters:
        key = majority_truth(members, truth)
        if key is not None:
            out["split" if key in seen else "matched"] += 1
            seen.add(key)
        elif members and all(r in truth and truth[r] is None for r in members):
            out["false_alarm"] += 1
        else:
            out["mixed"] += 1
    out["missed"] = sum(1 for k in set(detected) if k not in seen)
    return out


@dataclass(frozen=True)
class Located:
    """A point fix beside its true event: the offset to the truth, the ellipse and the bound."""

    reports: int  # members of the cluster
    east_m: float  # from the fix to the true point, in the frame of cov
    north_m: float
    cov: tuple[float, float, float] | None  # var east, cov east-north, var north (m²)
    crlb_trace_m2: float | None = None  # trace of the Cramér-Rao bound; None: not computed

    @property
    def error_m(self) -> float:
        """Distance from the fix to the true point."""
        return math.hypot(self.east_m, self.north_m)


def mahalanobis2(east: float, north: float, cov: tuple[float, float, float] | None) -> float:
    """Squared Mahalanobis distance of an offset under a covariance (inf if there is none)."""
    if cov is None:
        return math.inf
    ve, cen, vn = cov
    det = ve * vn - cen * cen
    if not (det > 0 and ve > 0 and vn > 0) or not math.isfinite(det):
        return math.inf
    return (vn * east * east - 2 * cen * east * north + ve * north * north) / det


def localisation(located: Sequence[Located], min_reports: int = MIN_REPORTS_CRLB) -> dict[str, Any]:
    """Median error of every fix; RMS error over the Cramér-Rao bound where reports suffice.

    ratio = sqrt(mean(err²)) / sqrt(mean(trace CRLB)) over fixes of at least `min_reports`
    reports whose bound is finite: 1 is an efficient estimator, more is worse.
    """
    big = [x for x in located if x.reports >= min_reports]
    bounded = [x for x in big if x.crlb_trace_m2 is not None and math.isfinite(x.crlb_trace_m2)]
    out: dict[str, Any] = {
        "located": len(located),
        "median_error_m": statistics.median(x.error_m for x in located) if located else None,
        "median_error_3plus_m": statistics.median(x.error_m for x in big) if big else None,
        "bounded": len(bounded),
        "unbounded": len(big) - len(bounded),
        "rms_error_m": None,
        "crlb_rms_m": None,
        "crlb_ratio": None,
    }
    if bounded:
        rms = math.sqrt(statistics.fmean(x.error_m**2 for x in bounded))
        bound = math.sqrt(statistics.fmean(x.crlb_trace_m2 or 0.0 for x in bounded))
        out |= {"rms_error_m": rms, "crlb_rms_m": bound}
        out["crlb_ratio"] = rms / bound if bound > 0 else math.inf
    return out


def calibration(located: Sequence[Located], min_reports: int = 1) -> dict[str, Any]:
    """Share of true points inside the 95 % ellipse; a fix without one counts as outside."""
    chosen = [x for x in located if x.reports >= min_reports]
    d2 = [mahalanobis2(x.east_m, x.north_m, x.cov) for x in chosen]
    inside = sum(1 for v in d2 if v <= CHI2_95_2D)
    return {
        "n": len(chosen),
        "inside": inside,
        "no_ellipse": sum(1 for v in d2 if math.isinf(v)),
        "coverage": inside / len(chosen) if chosen else None,
    }


def summary_links(
    summaries: Mapping[Hashable, frozenset[Hashable]],
    links: Iterable[tuple[Hashable, Hashable | None]],
) -> dict[str, Any]:
    """How well multi-count reports are tied to the events they cover.

    `summaries` maps each multi-count report to its truth events; `links` are (report, majority
    truth event of a cluster that lists it). Precision: links to one of its events; recall:
    (report, event) pairs reached by some link.
    """
    links = [(s, k) for s, k in links if s in summaries]
    good = {(s, k) for s, k in links if k in summaries[s]}
    pairs = sum(len(keys) for keys in summaries.values())
    return {
        "summaries": len(summaries),
        "links": len(links),
        "precision": sum(1 for s, k in links if k in summaries[s]) / len(links) if links else None,
        "recall": len(good) / pairs if pairs else None,
    }


@dataclass
class Evidence:
    """What one fused scenario (or several, concatenated) offers the metrics."""

    reports: int = 0
    incident_categories: list[str] = field(default_factory=list)
    detected: dict[Hashable, str] = field(default_factory=dict)  # event reported -> category
    report_categories: list[str] = field(default_factory=list)
    existence: float = 0.0  # sum of the clusters' existence probabilities
    truth: dict[Hashable, Hashable | None] = field(default_factory=dict)  # single-event reports
    clusters: list[tuple[Hashable, ...]] = field(default_factory=list)  # members, as fused
    located: list[Located] = field(default_factory=list)
    wedges: list[bool] = field(default_factory=list)  # true point inside a wedge fix
    summaries: dict[Hashable, frozenset[Hashable]] = field(default_factory=dict)
    links: list[tuple[Hashable, Hashable | None]] = field(default_factory=list)

    def extend(self, other: Evidence) -> None:
        """Pool another scenario's evidence into this one (keys must not collide)."""
        self.reports += other.reports
        self.existence += other.existence
        for name in ("incident_categories", "report_categories", "clusters", "located"):
            getattr(self, name).extend(getattr(other, name))
        self.wedges.extend(other.wedges)
        self.links.extend(other.links)
        self.detected.update(other.detected)
        self.truth.update(other.truth)
        self.summaries.update(other.summaries)


def summarise(ev: Evidence) -> dict[str, Any]:
    """Every accuracy figure of the evidence, with whether each target is met."""
    counts = count_error(len(ev.incident_categories), len(ev.detected), ev.reports, ev.existence)
    partition, contract = repair_partition(ev.clusters, [*ev.truth, *ev.summaries])
    b3 = bcubed(partition, ev.truth)
    loc = localisation(ev.located)
    cal = calibration(ev.located)
    cal3 = calibration(ev.located, MIN_REPORTS_CRLB)
    lo, hi = TARGET_COVERAGE
    return {
        **counts,
        "breakdown": count_breakdown(ev.clusters, ev.truth, ev.detected),
        "by_family": count_by_family(
            ev.incident_categories, ev.detected.values(), ev.report_categories
        ),
        "bcubed": b3,
        "localisation": loc,
        "calibration": cal,
        "calibration_3plus": cal3,
        "wedges": {
            "n": len(ev.wedges),
            "coverage": sum(ev.wedges) / len(ev.wedges) if ev.wedges else None,
        },
        "summary_links": summary_links(ev.summaries, ev.links),
        "contract": contract,
        "met": {
            # the published count is the expected number of real events (vigil.domain.counting)
            "count_error": counts["expected_count_error"] is not None
            and counts["expected_count_error"] <= TARGET_COUNT_ERROR,
            "f1": b3["f1"] >= TARGET_F1,
            "crlb_ratio": loc["crlb_ratio"] is not None and loc["crlb_ratio"] <= TARGET_CRLB_RATIO,
            "calibration": cal["coverage"] is not None and lo <= cal["coverage"] <= hi,
        },
    }
