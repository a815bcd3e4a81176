"""Query: bbox + one-day pages over many observations, through the HTTP API and the query layer.

The rows are bulk-loaded with Core executemany (bypassing the service: no audit events, stand-in
fingerprints), because loading speed is not what is measured here. Each query asks for one UTC
day and a box of about 20 x 20 km, centred mostly where observations are (as a user would look).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from rich.progress import Progress
from sqlalchemy import insert, text

from benchmarks.databases import add_posts, fresh_database, ids
from benchmarks.records import day_start, rows
from benchmarks.server import environment, init_with_token, serving
from benchmarks.stats import latency_summary
from benchmarks.synthetic import DAYS, M_PER_DEG, REGION, Sample, demo_posts, sample
from vigil.queries import observations as obs_q
from vigil.store.db import Database
from vigil.store.tables import Observation

TARGET_P95_MS = 50.0
HALF_BOX_M = 10_000.0
CHUNK = 50_000
WARMUP = 20
USER = "analyst1"


@dataclass(frozen=True)
class Ask:
    """One query: a day and a box."""

    time_from: datetime
    time_to: datetime
    bbox: tuple[float, float, float, float]

    def params(self, limit: int) -> dict[str, Any]:
        """The query string of GET /api/v1/observations."""
        return {
            "bbox": ",".join(f"{v:.5f}" for v in self.bbox),
            "from": self.time_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "to": self.time_to.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "limit": limit,
        }

    def filter(self) -> obs_q.ObservationFilter:
        """The same query for the query layer."""
        return obs_q.ObservationFilter(
            bbox=self.bbox, time_from=self.time_from, time_to=self.time_to
        )


def _asks(rng: np.random.Generator, hotspots: np.ndarray, n: int) -> list[Ask]:
    """n queries: 80 % centred on where observations are, 20 % anywhere in the region."""
    min_lon, min_lat, max_lon, max_lat = REGION
    asks = []
    for _ in range(n):
        if rng.random() < 0.8:
            lat, lon = hotspots[rng.integers(len(hotspots))]
        else:
            lat, lon = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
        dlat = HALF_BOX_M / M_PER_DEG
        dlon = HALF_BOX_M / (M_PER_DEG * np.cos(np.radians(lat)))
        box = tuple(round(float(v), 5) for v in (lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        start = day_start(int(rng.integers(DAYS)))
        asks.append(Ask(start, start + timedelta(days=1), box))  # type: ignore[arg-type]
    return asks


def _bulk_load(url: str, n: int, seed: int, progress: Progress, label: str) -> tuple[float, Sample]:
    """Insert n synthetic rows in chunks, in arrival order; seconds taken, and the sample."""
    posts = demo_posts()
    post_ids, user_ids = ids(url)
    s = sample(np.random.default_rng(seed), n, posts)
    db = Database(url)
    statement = insert(Observation.__table__)
    task = progress.add_task(label, total=n)
    begun = time.perf_counter()
    for start in range(0, n, CHUNK):
        chunk = rows(s, posts, post_ids, user_ids[USER], "q", start, min(start + CHUNK, n))
        with db.engine.begin() as conn:
            conn.execute(statement, chunk)
        progress.advance(task, len(chunk))
    _settle(db)
    progress.remove_task(task)
    db.dispose()
    return time.perf_counter() - begun, s


def _settle(db: Database) -> None:
    """PostgreSQL: the statistics and visibility map that autovacuum would soon provide."""
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE observation"))


def _direct(
    url: str, asks: list[Ask], limit: int, progress: Progress, label: str
) -> tuple[list[float], list[int]]:
    """Each ask through the query the API list calls (page_values), in its own read transaction."""
    db = Database(url)
    seconds, counts = [], []
    task = progress.add_task(label, total=len(asks))
    for ask in asks:
        f = ask.filter()
        begun = time.perf_counter()
        with db.reading() as session:
            found = obs_q.page_values(session, f, None, limit)
        seconds.append(time.perf_counter() - begun)
        counts.append(len(found))
        progress.advance(task)
    progress.remove_task(task)
    db.dispose()
    return seconds, counts


def _api(
    base: str, token: str, asks: list[Ask], limit: int, progress: Progress, label: str
) -> tuple[list[float], list[int]]:
    """Each ask as GET /api/v1/observations over one keep-alive connection."""
    seconds, counts = [], []
    task = progress.add_task(label, total=len(asks))
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        for ask in asks:
            begun = time.perf_counter()
            response = client.get("/api/v1/observations", params=ask.params(limit))
            seconds.append(time.perf_counter() - begun)
            if response.status_code != 200:
                raise RuntimeError(f"query refused: {response.status_code} {response.text[:500]}")
            counts.append(len(orjson.loads(response.content)["items"]))
            progress.advance(task)
    progress.remove_task(task)
    return seconds, counts


def _matches(s: Sample, asks: list[Ask]) -> list[int]:
    """How many rows each ask matches in all (before the page limit), counted in memory."""
    day = s.seconds // 86400
    lat, lon = s.estimated[:, 0], s.estimated[:, 1]
    by_day = {d: np.flatnonzero(day == d) for d in range(DAYS)}
    counts = []
    for ask in asks:
        rows = by_day[(ask.time_from - day_start(0)).days]
        min_lon, min_lat, max_lon, max_lat = ask.bbox
        inside = (lon[rows] >= min_lon) & (lon[rows] <= max_lon)
        inside &= (lat[rows] >= min_lat) & (lat[rows] <= max_lat)
        counts.append(int(inside.sum()))
    return counts


def _measure(
    url: str, base: str, token: str, asks: list[Ask], limit: int, kind: str, progress: Progress
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both legs for one page size: the query layer (baseline), then the HTTP API."""
    direct, direct_counts = _direct(
        url, asks, limit, progress, f"{kind}: query layer, limit {limit}"
    )
    api, api_counts = _api(base, token, asks, limit, progress, f"{kind}: HTTP API, limit {limit}")
    if api_counts != direct_counts:
        raise RuntimeError("the API and the query layer returned different numbers of rows")
    baseline = latency_summary(direct[WARMUP:], direct_counts[WARMUP:], limit)
    measured = latency_summary(api[WARMUP:], api_counts[WARMUP:], limit)
    return baseline, measured


def run_query(
    kind: str,
    n: int,
    queries: int,
    limits: list[int],
    seed: int,
    work: Path,
    pg_admin: str,
    progress: Progress,
) -> list[dict[str, Any]]:
    """Load n rows into a fresh database, then time the same asks directly and through the API."""
    results = []
    with fresh_database(kind, work / "query", pg_admin) as url:
        env = environment(url, work / "data")
        token = init_with_token(env, USER, "analyst")
        add_posts(url, demo_posts())
        load_s, loaded = _bulk_load(url, n, seed, progress, f"{kind}: bulk load")
        asks = _asks(np.random.default_rng(seed + 1), loaded.estimated, queries + WARMUP)
        matches = np.array(_matches(loaded, asks[WARMUP:]))
        with serving(env, work / f"serve-query-{kind}.log") as base:
            for limit in limits:
                baseline, measured = _measure(url, base, token, asks, limit, kind, progress)
                common = {"benchmark": "query", "db": kind, "rows": n, "queries": queries}
                common |= {"limit": limit, "load_seconds": round(load_s, 1)}
                common |= {"matches_median": int(np.median(matches))}
                common |= {"matches_p95": int(np.percentile(matches, 95))}
                results += _rows_of(common, baseline, measured)
    return results


def _rows_of(
    common: dict[str, Any], baseline: dict[str, Any], measured: dict[str, Any]
) -> list[dict[str, Any]]:
    """The baseline (query layer) and the measured (HTTP API) result rows."""
    return [
        {**common, "via": "query layer", **baseline, "met": baseline["p95_ms"] <= TARGET_P95_MS},
        {
            **common,
            "via": "HTTP API",
            **measured,
            "baseline_p95_ms": baseline["p95_ms"],
            "ratio_p95": round(measured["p95_ms"] / baseline["p95_ms"], 2),
            "met": measured["p95_ms"] <= TARGET_P95_MS,
        },
    ]
