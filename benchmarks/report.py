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


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def machine(pg_admin: str | None) -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    return {
        "nproc": _nproc(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu": _cpu_model(),
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
        caption="target: ≥ 5,000 obs/s on SQLite; ratio API/raw ≥ 0.3",
    )
    for column in ("db", "observations", "batch", "API obs/s", "raw obs/s", "ratio", "met"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            r["db"],
            f"{r['observations']:,}",
            f"{r['batch']:,}",
            f"{r['api_per_s']:,}",
            f"{r['raw_per_s']:,}",
            f"{r['ratio']:.2f}",
            _yes(r["met"]),
        )
    return table


def query_table(results: list[dict[str, Any]]) -> Table:
    """Latency of bbox + day queries, through the API and the query layer."""
    table = Table(
        title="Query: bbox (~20x20 km) + one day, ms",
        caption="rows/query: median rows returned (page limit applies)",
    )
    for column in ("db", "rows", "via", "p50", "p95", "p99", "rows/query", "p95 ≤ 50"):
        table.add_column(column, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            r["db"],
            f"{r['rows']:,}",
            r["via"],
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            f"{r['rows_median']:,}",
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
