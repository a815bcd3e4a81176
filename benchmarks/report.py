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


def show(console: Console, results: list[dict[str, Any]]) -> None:
    """Print the tables of whatever ran."""
    intake = [r for r in results if r["benchmark"] == "intake"]
    query = [r for r in results if r["benchmark"] == "query"]
    if intake:
        console.print(intake_table(intake))
    if query:
        console.print(query_table(query))


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write the results (the folder is git-ignored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
