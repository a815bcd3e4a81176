"""Reviewing: the demo month swept from reported to verified, as an analyst does it.

On a fresh database of each kind the demo is loaded (about 1,350 incidents), then
`vigil review sweep` runs twice through the review service:
- the baseline: every incident taken `under_review` (a review step each, nothing pinned);
- verified: every incident the policy allows moved on to `verified`, each pinned for fusion
  and its neighbourhood fused again (the cost of a finding), in passes until nothing moves.
The ratio is verified seconds over baseline seconds, both measured in the same run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.progress import Progress

from benchmarks.databases import fresh_database
from vigil.services import demo, review_queue, review_sweep
from vigil.services.setup import init_database, operator
from vigil.store.db import Database

OPERATOR = operator("benchmark")


def run_review(
    kind: str, seed: int, work: Path, pg_url: str, progress: Progress
) -> list[dict[str, Any]]:
    """The sweep figures of one database kind."""
    task = progress.add_task(f"review {kind}: demo", total=3)
    with fresh_database(kind, work / f"review-{kind}", pg_url) as url:
        db = Database(url)
        try:
            init_database(db, OPERATOR)
            with db.writing() as session:
                loaded = demo.load_demo(session, OPERATOR, 1, lambda stage, n: None)
            progress.update(task, advance=1, description=f"review {kind}: under review")
            taken, taken_s = _sweep(db, "under_review")
            progress.update(task, advance=1, description=f"review {kind}: verified")
            found, found_s = _sweep(db, "verified")
            progress.update(task, advance=1)
        finally:
            db.dispose()
    return [
        {
            "benchmark": "review",
            "db": kind,
            "incidents": loaded.incidents,
            "under_review": taken.moved,
            "under_review_s": round(taken_s, 2),
            "verified": found.moved,
            "left": sum(found.refused.values()),
            "passes": found.passes,
            "verified_s": round(found_s, 2),
            "ms_per_verified": round(1000 * found_s / max(found.moved, 1), 1),
            "ratio": round(found_s / taken_s, 2),
        }
    ]


def _sweep(db: Database, status: str) -> tuple[review_sweep.SweepOutcome, float]:
    """One sweep over the whole month as the demo analyst, in one transaction."""
    started = time.perf_counter()
    with db.writing() as session:
        who = review_queue.acting_user(session, "analyst")
        done = review_sweep.sweep(session, who, review_queue.QueueRequest(), status, "bench")
    return done, time.perf_counter() - started
