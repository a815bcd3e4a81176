"""Intake: observations POSTed in batches to a real server, against a raw insert of the same rows.

The API leg is what a sensor gateway sees: HTTP over loopback, JSON, validation, idempotency
look-ups, the fingerprint, one audit event per observation, one transaction per batch. The
baseline inserts the very rows the API stored into a fresh database of the same kind with
SQLAlchemy Core executemany, one transaction per batch of the same size, and nothing else
(SQLAlchemy's default engine; on SQLite with Vigil's WAL and synchronous=FULL, so that both
legs promise the same durability).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from rich.progress import Progress
from sqlalchemy import Engine, create_engine, func, insert, select

from benchmarks.databases import add_posts, fresh_database, ids
from benchmarks.records import drafts
from benchmarks.server import environment, init_with_token, serving
from benchmarks.synthetic import PostSpec, demo_posts, sample
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, Observation, Post, User

TARGET_PER_S = 5000.0  # on SQLite
TARGET_RATIO = 0.3
USER = "monitor1"
WARM = 100  # observations sent (and raw-inserted) untimed first: a server in use is warm


def _bodies(n: int, batch: int, seed: int, posts: list[PostSpec]) -> list[bytes]:
    """The warm-up body, then the request bodies, all encoded before the clock starts."""
    warm = sample(np.random.default_rng(seed + 1000), WARM, posts)
    s = sample(np.random.default_rng(seed), n, posts)
    return [orjson.dumps({"observations": drafts(warm, posts, "warm", 0, WARM)})] + [
        orjson.dumps({"observations": drafts(s, posts, f"b{batch}", i, min(i + batch, n))})
        for i in range(0, n, batch)
    ]


def _post_all(
    base: str, token: str, bodies: list[bytes], progress: Progress, label: str
) -> list[float]:
    """POST every batch in turn over one keep-alive connection; seconds per timed request."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seconds: list[float] = []
    task = progress.add_task(label, total=len(bodies))
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        for body in bodies:
            start = time.perf_counter()
            response = client.post("/api/v1/observations/batch", content=body)
            seconds.append(time.perf_counter() - start)
            if response.status_code != 201:
                raise RuntimeError(f"batch refused: {response.status_code} {response.text[:500]}")
            progress.advance(task)
    progress.remove_task(task)
    return seconds[1:]


def _check_stored(url: str, n: int) -> None:
    """Every observation landed, each with its audit event."""
    db = Database(url)
    with db.reading() as session:
        stored = session.scalar(select(func.count()).select_from(Observation))
        audited = session.scalar(
            select(func.count()).where(AuditEvent.action == "observation.record")
        )
    db.dispose()
    if stored != n or audited != n:
        raise RuntimeError(f"expected {n} observations and audit events, found {stored}, {audited}")


def _stored_rows(url: str) -> list[dict[str, Any]]:
    """The rows the API stored (no ids), with users and posts by name so they can be re-pointed."""
    db = Database(url)
    columns = [c for c in Observation.__table__.columns if c.key != "id"]
    with db.reading() as session:
        posts = {r.id: r.code for r in session.execute(select(Post.id, Post.code))}
        users = {r.id: r.username for r in session.execute(select(User.id, User.username))}
        rows = [
            dict(r._mapping) for r in session.execute(select(*columns).order_by(Observation.id))
        ]
    db.dispose()
    for r in rows:
        r["post_id"] = posts.get(r["post_id"])
        r["submitted_by"] = users[r["submitted_by"]]
    return rows


def _raw_insert(
    url: str, rows: list[dict[str, Any]], batch: int, progress: Progress, label: str
) -> float:
    """Core executemany of the rows into a fresh, set-up database; seconds spent on the timed."""
    post_ids, user_ids = ids(url)
    rows = [
        {**r, "post_id": post_ids.get(r["post_id"]), "submitted_by": user_ids[r["submitted_by"]]}
        for r in rows
    ]
    engine = _baseline_engine(url)
    statement = insert(Observation.__table__)
    with engine.begin() as conn:  # the warm-up rows, untimed
        conn.execute(statement, rows[:WARM])
    task = progress.add_task(label, total=len(rows) - WARM)
    spent = 0.0
    for start in range(WARM, len(rows), batch):
        chunk = rows[start : start + batch]
        begun = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(statement, chunk)
        spent += time.perf_counter() - begun
        progress.advance(task, len(chunk))
    progress.remove_task(task)
    engine.dispose()
    return spent


def _baseline_engine(url: str) -> Engine:
    """SQLAlchemy's defaults, plus on SQLite the durability Vigil promises (WAL, FULL sync)."""
    return Database(url).engine if url.startswith("sqlite") else create_engine(url)


def run_intake(
    kind: str, n: int, batch: int, seed: int, work: Path, pg_admin: str, progress: Progress
) -> dict[str, Any]:
    """One intake measurement and its baseline, on fresh databases of one kind."""
    posts = demo_posts()
    bodies = _bodies(n, batch, seed, posts)
    with fresh_database(kind, work / "intake", pg_admin) as url:
        env = environment(url, work / "data")
        token = init_with_token(env, USER, "monitor")
        add_posts(url, posts)
        with serving(env, work / f"serve-intake-{kind}-{batch}.log") as base:
            seconds = _post_all(base, token, bodies, progress, f"{kind}: API, batches of {batch:,}")
        _check_stored(url, n + WARM)
        rows = _stored_rows(url)
    with fresh_database(kind, work / "raw", pg_admin) as url:
        init_with_token(environment(url, work / "data"), USER, "monitor")
        add_posts(url, posts)
        raw = _raw_insert(url, rows, batch, progress, f"{kind}: raw insert, batches of {batch:,}")
    return _summary(kind, n, batch, seconds, raw, sum(len(b) for b in bodies[1:]))


def _summary(
    kind: str, n: int, batch: int, seconds: list[float], raw: float, body_bytes: int
) -> dict[str, Any]:
    api = sum(seconds)
    ratio = raw / api  # (n / api) / (n / raw)
    return {
        "benchmark": "intake",
        "db": kind,
        "observations": n,
        "batch": batch,
        "api_seconds": round(api, 3),
        "api_per_s": round(n / api),
        "request_ms_median": round(statistics.median(seconds) * 1000, 1),
        "request_ms_max": round(max(seconds) * 1000, 1),
        "body_mb": round(body_bytes / 1e6, 1),
        "raw_seconds": round(raw, 3),
        "raw_per_s": round(n / raw),
        "ratio": round(ratio, 3),
        # The rate target is set for SQLite (the default); the ratio target for both.
        "rate_met": n / api >= TARGET_PER_S if kind == "sqlite" else None,
        "ratio_met": ratio >= TARGET_RATIO,
    }
