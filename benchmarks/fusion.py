"""Fusion: accuracy against the simulator's ground truth, and time and memory at scale.

Accuracy: the demo month (30 days from the demo's start, its posts and patrols) at the standard
density and at 3x, for several seeds; the figures pool the seeds (report keys are (seed, id)).
Scale: 10k, 100k and 1M reports, each fused in a fresh process (benchmarks/fusion_scale.py).
Simulation is never inside the measured time.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from rich.progress import Progress
from shapely.geometry import Point, Polygon

from benchmarks.fusion_metrics import (
    MIN_REPORTS_CRLB,
    Evidence,
    Located,
    majority_truth,
    summarise,
)
from benchmarks.fusion_scale import run_scale
from benchmarks.fusion_scenario import Case, accuracy_case
from vigil.domain.fusion_model import Cluster, Report
from vigil.domain.simulation import TruthEvent
from vigil.services.demo import DAYS


def engine_missing() -> str | None:
    """Why the fusion engine cannot be benchmarked yet, or None when it can."""
    if importlib.util.find_spec("vigil.domain.fusion") is None:
        return "vigil.domain.fusion does not exist yet"
    from vigil.domain import fusion

    if not hasattr(fusion, "fuse"):
        return "vigil.domain.fusion has no fuse()"
    return None


def _crlb_trace(event: TruthEvent, members: Sequence[Report]) -> float:
    """Trace of the Cramér-Rao bound of the event's position from these reports (m²)."""
    from vigil.domain.localisation import crlb

    try:
        return float(np.trace(crlb(event.lat, event.lon, members)))
    except (np.linalg.LinAlgError, ValueError):
        return float("inf")


def _located(cluster: Cluster, event: TruthEvent, by_id: Mapping[int, Report]) -> Located:
    """A point fix beside its true event; the bound only where it enters the ratio."""
    from vigil.domain.localisation import offset_m

    east, north = offset_m(cluster.fix, event.lat, event.lon)
    trace = None
    if len(cluster.members) >= MIN_REPORTS_CRLB:
        trace = _crlb_trace(event, [by_id[m] for m in cluster.members])
    return Located(len(cluster.members), east, north, cluster.fix.cov, trace)


def _in_wedge(ring: Sequence[tuple[float, float]], event: TruthEvent) -> bool:
    return bool(Polygon(ring).covers(Point(event.lon, event.lat)))


def evidence(case: Case, clusters: Sequence[Cluster]) -> Evidence:
    """What one fused case offers the metrics; reports and events are keyed (seed, id) to pool."""
    tag = case.seed
    single: dict[Hashable, Hashable | None] = {
        (tag, rid): ((tag, keys[0]) if keys else None)
        for rid, keys in case.keys.items()
        if len(keys) < 2
    }
    summaries: dict[Hashable, frozenset[Hashable]] = {
        (tag, rid): frozenset((tag, k) for k in keys)
        for rid, keys in case.keys.items()
        if len(keys) > 1
    }
    detected = sorted({k for keys in case.keys.values() for k in keys})
    by_id = {r.id: r for r in case.reports}
    ev = Evidence(
        reports=len(case.reports),
        incident_categories=[c.category for c in clusters],
        detected={(tag, k): case.events[k].category for k in detected},
        report_categories=[r.category for r in case.reports],
        existence=sum(c.existence_p for c in clusters),
        truth=single,
        clusters=[tuple((tag, m) for m in c.members) for c in clusters],
        summaries=summaries,
    )
    for c in clusters:
        key = majority_truth([(tag, m) for m in c.members], single)
        ev.links += [((tag, s), key) for s in (*c.members, *c.summaries) if (tag, s) in summaries]
        if key is None:
            continue
        event = case.events[key[1]]  # type: ignore[index]
        if c.fix.kind == "point" and c.fix.lat is not None:
            ev.located.append(_located(c, event, by_id))
        elif c.fix.kind == "wedge" and c.fix.wedge:
            ev.wedges.append(_in_wedge(c.fix.wedge, event))
    return ev


def _brief(s: Mapping[str, Any]) -> dict[str, Any]:
    """The headline figures of one seed."""
    return {
        "reports": s["reports"],
        "detected": s["detected"],
        "incidents": s["incidents"],
        "count_error": s["count_error"],
        "naive_overcount": s["naive_overcount"],
        "f1": s["bcubed"]["f1"],
        "median_error_m": s["localisation"]["median_error_m"],
        "crlb_ratio": s["localisation"]["crlb_ratio"],
        "coverage": s["calibration"]["coverage"],
        "contract": s["contract"],
    }


def run_accuracy(density: float, seeds: Sequence[int], progress: Progress) -> dict[str, Any]:
    """Fuse the demo month at a density for each seed; the figures pool the seeds."""
    from vigil.domain.fusion import fuse

    pooled, per_seed = Evidence(), []
    task = progress.add_task(f"fusion accuracy, density {density:g}", total=len(seeds))
    for seed in seeds:
        case = accuracy_case(seed, density)
        start = time.perf_counter()
        clusters = fuse(case.reports)
        seconds = time.perf_counter() - start
        ev = evidence(case, clusters)
        per_seed.append({"seed": seed, "fuse_s": round(seconds, 3), **_brief(summarise(ev))})
        pooled.extend(ev)
        progress.advance(task)
    return {
        "benchmark": "fusion_accuracy",
        "density": density,
        "days": DAYS,
        "seeds": list(seeds),
        "fuse_s": sum(s["fuse_s"] for s in per_seed),
        **summarise(pooled),
        "per_seed": per_seed,
    }


def run_fusion(
    args: argparse.Namespace, progress: Progress
) -> tuple[list[dict[str, Any]], list[str]]:
    """Accuracy at each density, then scale; what was skipped, and why."""
    missing = engine_missing()
    if missing:
        progress.console.print(f"[yellow]fusion skipped: {missing}[/yellow]", highlight=False)
        return [], [f"fusion skipped: {missing}"]
    results: list[dict[str, Any]] = []
    skipped: list[str] = []
    seeds = [args.seed + i for i in range(args.fusion_seeds)]
    for density in args.fusion_density:
        try:
            results.append(run_accuracy(density, seeds, progress))
        except Exception as e:  # the engine failed: say where, keep every other figure
            progress.console.print_exception(max_frames=4)
            skipped.append(f"fusion accuracy at density {density:g} failed: {e!r}")
            progress.console.print(f"[red]{skipped[-1]}[/red]", highlight=False)
            continue
        progress.console.print(line(results[-1]), highlight=False)
    for r in run_scale(args.fusion_sizes, args.seed, args.fusion_timeout, progress):
        results.append(r)
        progress.console.print(line(r), highlight=False)
    return results, skipped


def _fmt(v: float | None, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def line(r: Mapping[str, Any]) -> str:
    """One finished fusion measurement, as it completes."""
    if r["benchmark"] == "fusion_scale":
        if r.get("error"):
            return f"fusion scale {r['reports']:,} reports: {r['error']}"
        return (
            f"fusion scale {r['reports']:,} reports: {r['seconds']:.1f} s, "
            f"{r['per_s']:,.0f} reports/s, peak {r['peak_mib']:,.0f} MiB"
        )
    loc, cal = r["localisation"], r["calibration"]
    return (
        f"fusion density {r['density']:g} ({len(r['seeds'])} seeds): count error "
        f"{_fmt(r['expected_count_error'], '.1%')} (records {r['count_error']:.1%}, "
        f"naive +{r['naive_overcount']:.0%}), "
        f"F1 {r['bcubed']['f1']:.3f}, median {_fmt(loc['median_error_m'], ',.0f')} m, "
        f"RMS/CRLB {_fmt(loc['crlb_ratio'], '.2f')}, in 95 % ellipse "
        f"{_fmt(cal['coverage'], '.1%')}{_broken(r['contract'])}"
    )


def _broken(contract: Mapping[str, int]) -> str:
    """A warning when fusion did not place each report in exactly one cluster."""
    if not any(contract.values()):
        return ""
    return (
        f" [yellow](fusion left {contract['unplaced']:,} reports in no cluster and placed "
        f"{contract['duplicated']:,} twice; scored as singletons / first cluster)[/yellow]"
    )
