"""Fusion at scale: 10k, 100k and 1M reports, each fused in a fresh process.

A fresh process per size makes the memory peak honest: `ru_maxrss` of a process that loaded
the reports and fused them, nothing else. Run as `python -m benchmarks.fusion_scale CACHE N`,
it fuses the first N reports of a cache (benchmarks/fusion_scenario.py) and prints one JSON
line. The reports are the demo's posts at the standard density over as many seasons as it
takes, so 10x the reports is 10x the period.
"""

from __future__ import annotations

import gc
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from benchmarks.fusion_columns import load_reports

if TYPE_CHECKING:
    from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
TARGET_1M_S = 60.0
TARGET_GROWTH = 12.0  # time for 10x the reports
WORKERS = os.cpu_count() or 1


def _rss_mib() -> float:
    """Resident memory of this process now."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(path: Path, n: int) -> dict[str, Any]:
    """Fuse the first n cached reports once, on every core as `vigil fuse` does (cut at
    quiet moments, a part per process); time, memory (of the largest process), clusters."""
    from vigil.domain.fusion_parallel import fuse_in_parts

    reports = load_reports(path, n)
    gc.collect()
    input_mib = _rss_mib()
    start = time.perf_counter()
    clusters = fuse_in_parts(reports, workers=WORKERS)
    seconds = time.perf_counter() - start
    peak_mib = max(
        resource.getrusage(who).ru_maxrss / 1024
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "reports": len(reports),
        "processes": WORKERS,
        "seconds": seconds,
        "per_s": len(reports) / seconds if seconds > 0 else None,
        "clusters": len(clusters),
        "input_mib": input_mib,
        "peak_mib": peak_mib,
        "span_days": (max(r.t1 for r in reports) - min(r.t0 for r in reports)) / 86400,
    }


def _child(path: Path, n: int, timeout: float) -> dict[str, Any]:
    """measure() in a fresh interpreter; an error or a timeout is recorded, not raised."""
    command = [sys.executable, "-m", "benchmarks.fusion_scale", str(path), str(n)]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"reports": n, "error": f"timed out after {timeout:,.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        return {"reports": n, "error": f"failed (exit {done.returncode}): {tail[0]}"}
    return dict(orjson.loads(done.stdout.strip().splitlines()[-1]))


def _growth(results: list[dict[str, Any]]) -> None:
    """Each size's time against the previous size's, scaled to 10x the data; the targets."""
    previous: dict[str, Any] | None = None
    for r in results:
        seconds = r.get("seconds")
        r |= {"benchmark": "fusion_scale", "time_ratio": None, "per_10x": None, "growth_met": None}
        big = r["reports"] >= 1_000_000
        r["time_met"] = (seconds is not None and seconds <= TARGET_1M_S) if big else None
        if seconds is not None and previous is not None:
            ratio = seconds / previous["seconds"]
            per_10x = ratio ** (1 / math.log10(r["reports"] / previous["reports"]))
            r |= {"time_ratio": ratio, "per_10x": per_10x, "growth_met": per_10x <= TARGET_GROWTH}
        previous = r if seconds is not None else None


def run_scale(
    sizes: Sequence[int], seed: int, timeout: float, progress: Progress
) -> list[dict[str, Any]]:
    """Simulate (or reuse) enough reports, then fuse each size in its own process."""
    from benchmarks.fusion_scenario import scale_cache  # the parent only: it imports the services

    sizes = sorted(set(sizes))
    if not sizes:
        return []
    biggest = sizes[-1]
    task = progress.add_task(f"fusion: reports for scale ({biggest:,})", total=biggest)
    path = scale_cache(biggest, seed, lambda k: progress.advance(task, k))
    progress.update(task, completed=biggest)
    results = []
    for n in sizes:
        task = progress.add_task(f"fusion scale: {n:,} reports", total=1)
        results.append({"reports": n, **_child(path, n, timeout), "cache": path.name})
        progress.advance(task)
    _growth(results)
    return results


def main(argv: list[str] | None = None) -> int:
    """The child: measure one size and print the figures as one JSON line."""
    path, n = argv if argv is not None else sys.argv[1:]
    print(orjson.dumps(measure(Path(path), int(n))).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
