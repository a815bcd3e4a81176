"""What the benchmarks ran on, and their figures as tables and as JSON."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.databases import pg_version

PACKAGES = ("sqlalchemy", "fastapi", "pydantic", "uvicorn", "psycopg", "httpx", "numpy")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def source() -> dict[str, Any]:
    """The commit measured, and whether src/ had uncommitted changes."""
    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "src_dirty": bool(_git("status", "--porcelain", "src")),
    }


def machine(pg_admin: str | None) -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    return {
        "nproc": _nproc(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(pg_admin) if pg_admin else None,
        "packages": {name: version(name) for name in PACKAGES},
    }


def _yes(met: bool) -> str:
    return "[green]yes[/green]" if met else "[red]no[/red]"


def intake_table(results: list[dict[str, Any]]) -> Table:
    """Observations per second through the API, against the raw insert."""
    table = Table(
        title="Intake through the HTTP API vs raw Core insert",
        caption="targets: ≥ 5,000 obs/s on SQLite; ratio API/raw ≥ 0.3 on both",
    )
    columns = (
        "db",
        "observations",
        "batch",
        "API obs/s",
        "raw obs/s",
        "ratio",
        "≥ 5,000/s",
        "≥ 0.3",
    )
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            r["db"],
            f"{r['observations']:,}",
            f"{r['batch']:,}",
            f"{r['api_per_s']:,}",
            f"{r['raw_per_s']:,}",
            f"{r['ratio']:.2f}",
            "n/a" if r["rate_met"] is None else _yes(r["rate_met"]),
            _yes(r["ratio_met"]),
        )
    return table


def query_table(results: list[dict[str, Any]]) -> Table:
    """Latency of bbox + day queries, through the API and the query layer."""
    table = Table(
        title="Query: bbox (~20x20 km) + one day, ms",
        caption="returned: median rows per page; matching: median rows in box and day",
    )
    columns = ("db", "rows", "limit", "via", "p50", "p95", "p99", "returned", "matching", "met")
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            r["db"],
            f"{r['rows']:,}",
            f"{r['limit']:,}",
            r["via"],
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['rows_median']:,}",
            f"{r['matches_median']:,}",
            _yes(r["met"]),
        )
    return table


def _num(v: float | None, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def _met(text: str, met: bool | None) -> str:
    """A figure with whether it meets its target."""
    return text if met is None else f"{text} {_yes(met)}"


def fusion_count_table(results: list[dict[str, Any]]) -> Table:
    """Fused counts against the simulator's truth, and where the difference comes from."""
    table = Table(
        title="Fusion: counts against ground truth (the demo month, seeds pooled)",
        caption="target: count error ≤ 3 %. events: true events reported at least once; count "
        "error: of the published count (the sum of existence probabilities, vigil stats); "
        "records: of one per incident record; naive: reports / events - 1; split, false "
        "alarms, mixed: extra incident records; missed: events no incident stands for",
    )
    columns = ("density", "seeds", "reports", "events", "incidents", "count error", "records")
    for column in (*columns, "naive", "split", "false alarms", "mixed", "missed"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        b = r["breakdown"]
        table.add_row(
            f"{r['density']:g}×",
            f"{len(r['seeds'])} × {r['days']} d",
            f"{r['reports']:,}",
            f"{r['detected']:,}",
            f"{r['incidents']:,}",
            _met(_num(r["expected_count_error"], ".1%"), r["met"]["count_error"]),
            f"{r['count_error']:.1%}",
            f"+{r['naive_overcount']:.0%}",
            *(f"{b[k]:,}" for k in ("split", "false_alarm", "mixed", "missed")),
        )
    return table


def fusion_grouping_table(results: list[dict[str, Any]]) -> Table:
    """Which reports fusion put together, against the truth."""
    table = Table(
        title="Fusion: grouping against ground truth (B-cubed over single-event reports)",
        caption="target: B-cubed F1 ≥ 0.95. summaries: multi-count reports; links: clusters "
        "listing one, precise when the cluster's event is one it covers; recall: its events "
        "reached",
    )
    columns = ("density", "B³ precision", "B³ recall", "B³ F1", "summaries")
    for column in (*columns, "link precision", "link recall", "fusion time"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        b3, links = r["bcubed"], r["summary_links"]
        table.add_row(
            f"{r['density']:g}×",
            f"{b3['precision']:.3f}",
            f"{b3['recall']:.3f}",
            _met(f"{b3['f1']:.3f}", r["met"]["f1"]),
            f"{links['summaries']:,}",
            _num(links["precision"], ".1%"),
            _num(links["recall"], ".1%"),
            f"{r['fuse_s']:.1f} s",
        )
    return table


def fusion_location_table(results: list[dict[str, Any]]) -> Table:
    """Fused locations and their ellipses against the true points."""
    table = Table(
        title="Fusion: locations against ground truth (point fixes of one true event)",
        caption="targets: RMS error / CRLB ≤ 1.2 on fixes of ≥ 3 reports; true point inside "
        "the 95 % ellipse for 93-97 % of fixes. wedge: true point inside a bearing-only wedge",
    )
    columns = ("density", "fixes", "median error", "≥ 3 reports", "RMS error", "CRLB RMS")
    for column in (*columns, "RMS/CRLB", "in 95 %", "in 95 %, ≥ 3", "in wedge"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        loc, cal, cal3, wedges = (
            r["localisation"],
            r["calibration"],
            r["calibration_3plus"],
            r["wedges"],
        )
        table.add_row(
            f"{r['density']:g}×",
            f"{loc['located']:,}",
            f"{_num(loc['median_error_m'], ',.0f')} m",
            f"{loc['bounded']:,}",
            f"{_num(loc['rms_error_m'], ',.0f')} m",
            f"{_num(loc['crlb_rms_m'], ',.0f')} m",
            _met(_num(loc["crlb_ratio"], ".2f"), r["met"]["crlb_ratio"]),
            _met(_num(cal["coverage"], ".1%"), r["met"]["calibration"]),
            _num(cal3["coverage"], ".1%"),
            f"{_num(wedges['coverage'], '.1%')} of {wedges['n']:,}",
        )
    return table


def fusion_scale_table(results: list[dict[str, Any]]) -> Table:
    """Time and memory of one fusion run over 10k, 100k and 1M reports."""
    table = Table(
        title="Fusion at scale (each size in a fresh process)",
        caption="targets: 1,000,000 reports ≤ 60 s; ≤ 12× the time for 10× the reports. "
        "input: resident memory with the reports loaded; peak: ru_maxrss",
    )
    columns = ("reports", "days", "seconds", "reports/s", "clusters", "input MiB", "peak MiB")
    for column in (*columns, "× per 10×"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        if r.get("error"):
            table.add_row(f"{r['reports']:,}", f"[red]{r['error']}[/red]")
            continue
        table.add_row(
            f"{r['reports']:,}",
            f"{r['span_days']:,.0f}",
            _met(f"{r['seconds']:.1f}", r["time_met"]),
            f"{r['per_s']:,.0f}",
            f"{r['clusters']:,}",
            f"{r['input_mib']:,.0f}",
            f"{r['peak_mib']:,.0f}",
            _met(_num(r["per_10x"], ".1f"), r["growth_met"]),
        )
    return table


def submissions_table(results: list[dict[str, Any]]) -> Table:
    """Observations per second, one per request: JSON API, OpenRosa, OpenRosa with a photo."""
    table = Table(
        title="One observation per request: JSON API vs OpenRosa (as ODK Collect sends)",
        caption="ratio: OpenRosa per second / JSON API per second, measured in the same run",
    )
    for column in ("db", "n", "API /s", "p95 ms", "OpenRosa /s", "p95 ms", "ratio"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("+ 100 KB photo /s", justify="right", no_wrap=True)
    for column in ("p95 ms", "ratio"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        api, plain, photo = r["api"], r["openrosa"], r["openrosa_photo"]
        table.add_row(
            r["db"],
            f"{r['submissions']:,}",
            f"{api['per_s']:.1f}",
            f"{api['p95_ms']:.1f}",
            f"{plain['per_s']:.1f}",
            f"{plain['p95_ms']:.1f}",
            f"{r['openrosa_ratio']:.2f}",
            f"{photo['per_s']:.1f}",
            f"{photo['p95_ms']:.1f}",
            f"{r['openrosa_photo_ratio']:.2f}",
        )
    return table


def import_table(results: list[dict[str, Any]]) -> Table:
    """One CSV import against the same rows as JSON batches of 10,000."""
    table = Table(
        title="Import of one CSV file vs the same rows as JSON batches",
        caption="ratio: JSON batch seconds / import seconds, measured in the same run",
    )
    for column in ("db", "rows", "import s", "rows/s", "batches s", "rows/s", "ratio"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            r["db"],
            f"{r['rows']:,}",
            f"{r['import_s']:.2f}",
            f"{r['import_per_s']:,}",
            f"{r['batch_s']:.2f}",
            f"{r['batch_per_s']:,}",
            f"{r['ratio']:.2f}",
        )
    return table


def review_table(results: list[dict[str, Any]]) -> Table:
    """The demo month swept to verified, against the same month swept to under review."""
    table = Table(
        title="The demo month swept from reported to verified",
        caption="ratio: verified seconds / under-review seconds, measured in the same run",
    )
    columns = ("db", "incidents", "under review s", "verified", "left", "passes", "verified s",
               "ms/verified", "ratio")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            r["db"], f"{r['incidents']:,}", f"{r['under_review_s']:.1f}", f"{r['verified']:,}",
            f"{r['left']:,}", str(r["passes"]), f"{r['verified_s']:.1f}",
            f"{r['ms_per_verified']:.1f}", f"{r['ratio']:.2f}",
        )  # fmt: skip
    return table


def show(console: Console, results: list[dict[str, Any]]) -> None:
    """Print the tables of whatever ran."""
    tables = (
        ("intake", intake_table),
        ("query", query_table),
        ("fusion_accuracy", fusion_count_table),
        ("fusion_accuracy", fusion_grouping_table),
        ("fusion_accuracy", fusion_location_table),
        ("fusion_scale", fusion_scale_table),
        ("submissions", submissions_table),
        ("import", import_table),
        ("review", review_table),
    )
    for name, make in tables:
        found = [r for r in results if r["benchmark"] == name]
        if found:
            console.print(make(found))


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the results (the folder is git-ignored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
