"""`python -m benchmarks.run` (`make bench`): intake, query, field reporting and reviewing
(SQLite and PostgreSQL), fusion."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from benchmarks.databases import DEFAULT_PG_ADMIN, pg_unreachable
from benchmarks.field import run_field
from benchmarks.fusion import run_fusion
from benchmarks.intake import run_intake
from benchmarks.query import run_query
from benchmarks.report import machine, show, source, write_json
from benchmarks.review import run_review

RESULTS = Path(__file__).with_name("results") / "latest.json"
err = Console(stderr=True)
out = Console() if Console().is_terminal else Console(width=132)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; --quick shrinks the defaults for a smoke run."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    p.add_argument(
        "--quick",
        action="store_true",
        help="10,000 observations, 100,000 rows; fusion: density 1, one seed, 10k and 100k; "
        "field: 50 submissions, 2,000 rows",
    )
    p.add_argument(
        "--only",
        choices=("intake", "query", "field", "review", "fusion"),
        help="run one benchmark only",
    )
    p.add_argument("--submissions", type=int, help="field: submissions per leg (default 300)")
    p.add_argument("--import-rows", type=int, help="field: rows of the imported CSV (20,000)")
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--observations", type=int, help="intake size (default 100,000)")
    p.add_argument("--batch", type=int, nargs="+", default=[10_000, 1_000], help="batch sizes")
    p.add_argument(
        "--rows", type=int, help="rows loaded for the query benchmark (default 1,000,000)"
    )
    p.add_argument("--queries", type=int, default=500, help="timed queries per leg (≥ 200)")
    p.add_argument(
        "--limit",
        type=int,
        nargs="+",
        default=[100, 1000],
        help="page sizes asked for (API default 100, maximum 1000)",
    )
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument(
        "--pg-url",
        default=os.environ.get("VIGIL_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN),
        help="admin URL of a PostgreSQL server (benchmarks create and drop their databases)",
    )
    p.add_argument("--output", type=Path, default=RESULTS, help="where the JSON results go")
    _fusion_options(p)
    args = p.parse_args(argv)
    args.observations = args.observations or (10_000 if args.quick else 100_000)
    args.rows = args.rows or (100_000 if args.quick else 1_000_000)
    args.submissions = args.submissions or (50 if args.quick else 300)
    args.import_rows = args.import_rows or (2_000 if args.quick else 20_000)
    args.fusion_seeds = args.fusion_seeds or (1 if args.quick else 3)
    args.fusion_density = args.fusion_density or ([1.0] if args.quick else [1.0, 3.0])
    if args.fusion_sizes is None:
        args.fusion_sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    if args.fusion_seeds < 1 or any(n < 1 for n in args.fusion_sizes):
        p.error("--fusion-seeds and --fusion-sizes must be at least 1")
    if any(d <= 0 for d in args.fusion_density):
        p.error("--fusion-density must be positive")
    return args


def _fusion_options(p: argparse.ArgumentParser) -> None:
    """Options of the fusion benchmark (it needs no database)."""
    p.add_argument("--fusion-seeds", type=int, help="seeds per density, from --seed on (default 3)")
    p.add_argument(
        "--fusion-density",
        type=float,
        nargs="+",
        help="simulated densities for accuracy (default 1 3)",
    )
    p.add_argument(
        "--fusion-sizes",
        type=int,
        nargs="*",
        help="report counts for scale (default 10000 100000 1000000; none: skip scale)",
    )
    p.add_argument(
        "--fusion-timeout",
        type=float,
        default=1800.0,
        help="seconds allowed to fuse one size before it is recorded as timed out",
    )


def _kinds(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Database kinds to run, and why any was skipped."""
    if args.only == "fusion":
        return [], []  # no database needed
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    skipped = []
    if "postgresql" in kinds:
        reason = pg_unreachable(args.pg_url)
        if reason:
            kinds.remove("postgresql")
            skipped.append(f"postgresql leg skipped: {args.pg_url} unreachable ({reason})")
            err.print(f"[yellow]{skipped[-1]}[/yellow]", highlight=False)
    return kinds, skipped


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


def run_all(
    args: argparse.Namespace, kinds: list[str], work: Path
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every selected benchmark on every reachable database kind, then fusion; and what skipped."""
    results: list[dict[str, Any]] = []
    skipped: list[str] = []
    with _progress() as progress:

        def record(found: list[dict[str, Any]]) -> None:
            results.extend(found)
            for r in found:
                progress.console.print(_line(r), highlight=False)

        for kind in kinds:
            common = (args.seed, work, args.pg_url, progress)
            if args.only in (None, "intake"):
                for batch in args.batch:
                    record([run_intake(kind, args.observations, batch, *common)])
            if args.only in (None, "query"):
                record(run_query(kind, args.rows, args.queries, args.limit, *common))
            if args.only in (None, "field"):
                record(run_field(kind, args.submissions, args.import_rows, *common))
            if args.only in (None, "review"):
                record(run_review(kind, *common))
        if args.only in (None, "fusion"):
            fused, skipped = run_fusion(args, progress)
            results += fused
    return results, skipped


def _line(r: dict[str, Any]) -> str:
    """One finished measurement, as it completes."""
    if r["benchmark"] == "submissions":
        return (
            f"submissions {r['db']}: API {r['api']['per_s']}/s, OpenRosa "
            f"{r['openrosa']['per_s']}/s (ratio {r['openrosa_ratio']:.2f}), with a photo "
            f"{r['openrosa_photo']['per_s']}/s (ratio {r['openrosa_photo_ratio']:.2f})"
        )
    if r["benchmark"] == "import":
        return (
            f"import {r['db']} {r['rows']:,} rows: {r['import_s']:.2f} s, JSON batches "
            f"{r['batch_s']:.2f} s, ratio {r['ratio']:.2f}"
        )
    if r["benchmark"] == "review":
        return (
            f"review {r['db']}: {r['incidents']:,} incidents under review in "
            f"{r['under_review_s']:.1f} s, {r['verified']:,} verified in {r['verified_s']:.1f} s "
            f"({r['passes']} passes), ratio {r['ratio']:.2f}"
        )
    if r["benchmark"] == "intake":
        return (
            f"intake {r['db']} batch {r['batch']:,}: API {r['api_per_s']:,}/s, "
            f"raw {r['raw_per_s']:,}/s, ratio {r['ratio']:.2f}"
        )
    return (
        f"query {r['db']} limit {r['limit']} {r['via']}: p50 {r['p50_ms']:.1f} ms, "
        f"p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, median {r['rows_median']} rows"
    )


def main(argv: list[str] | None = None) -> int:
    """Run, print the tables, write the JSON; exit 0 even when a target is missed."""
    args = parse(argv)
    kinds, skipped = _kinds(args)
    started = datetime.now(UTC)
    info = machine(args.pg_url if "postgresql" in kinds else None)
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as work:
        results, fusion_skipped = run_all(args, kinds, Path(work))
    skipped += fusion_skipped
    show(out, results)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks.run", *(argv or sys.argv[1:])]),
        "source": source(),
        "machine": info,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "skipped": skipped,
        "results": results,
    }
    write_json(args.output, document)
    out.print(f"results written to {args.output}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
