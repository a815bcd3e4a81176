"""`vigil fuse`: fuse the observations of a period into incidents, on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from vigil.cli.common import (
    clear_errors,
    cli_operator,
    fail,
    open_database,
    out,
    parse_time,
    progress_bar,
)
from vigil.services.fusion import fuse_range


@clear_errors
def fuse(
    since: str = typer.Option(..., help="Fuse observations made from this time (ISO 8601)."),
    until: str | None = typer.Option(None, help="... up to this time (default: now)."),
    chunk_days: int = typer.Option(7, help="Days fused per step (1-366)."),
) -> None:
    """Fuse observations into incidents; safe to repeat (unchanged incidents stay as they are)."""
    start = parse_time("--since", since)
    end = parse_time("--until", until) if until else datetime.now(UTC)
    if end <= start:
        fail("--until must be after --since")
    if not 1 <= chunk_days <= 366:
        fail("--chunk-days must be between 1 and 366")
    db = open_database()
    who = cli_operator()
    steps = []
    active = 0
    at = start
    while at < end:
        steps.append((at, min(at + timedelta(days=chunk_days), end)))
        at = steps[-1][1]
    totals = {"created": 0, "changed": 0, "superseded": 0, "unchanged": 0, "observations": 0}
    with db.writing() as session, progress_bar("fusing", len(steps)) as tick:
        for lo, hi in steps:
            run = fuse_range(session, who, lo, hi, "cli")
            for key in totals:
                totals[key] += getattr(run, key)
            tick(lo.date().isoformat(), 1)
            active = run.last_observation_id
    out.print(
        f"fused {start.isoformat()} to {end.isoformat()} in {len(steps)} steps: "
        f"{totals['created']} incidents created, {totals['changed']} changed, "
        f"{totals['superseded']} superseded, {totals['unchanged']} unchanged "
        f"(observations up to id {active})"
    )
