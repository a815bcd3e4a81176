"""`vigil stats violations`: the counts reports quote, as a table on the terminal."""

from __future__ import annotations

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, open_database, out, parse_time
from vigil.services import stats as stats_service

stats_app = typer.Typer(help="Counts of distinct events.", no_args_is_help=True)


@stats_app.command("violations")
@clear_errors
def violations(
    since: str = typer.Option(..., "--from", help="Start (ISO 8601 with offset)."),
    until: str = typer.Option(..., "--to", help="End, excluded (ISO 8601 with offset)."),
    zone: str | None = typer.Option(None, help="Only events in this area zone (its code)."),
    category: str = typer.Option("ceasefire_violation", help="Category tree to count."),
    period: str = typer.Option("day", help="day, week, month or total."),
    by: str = typer.Option("", help="Also split by: zone, category, or zone,category."),
) -> None:
    """Distinct events per period with a 95 % interval, beside the naive count of reports."""
    start, end = parse_time("--from", since), parse_time("--to", until)
    split = {s.strip() for s in by.split(",") if s.strip()}
    db = open_database()
    with db.reading() as session:
        v = stats_service.violations(
            session, cli_operator(), start, end, zone=zone, category=category, period=period,
            by_zone=stats_service.split_by(split, "zone"),
            by_category=stats_service.split_by(split, "category"),
        )  # fmt: skip
    table = Table(title=f"{category}: distinct events per {period}")
    for name in (
        "period",
        "zone",
        "category",
        "events",
        "95 % interval",
        "incidents",
        "naive (reports)",
    ):
        table.add_column(name, justify="right" if name != "category" else "left")
    for r in v.rows:
        t = r.tally
        table.add_row(
            r.period_start.isoformat(), r.zone or "all", r.category or "all", str(t.events),
            f"{t.low}-{t.high}", str(t.incidents), str(t.naive),
        )  # fmt: skip
    out.print(table)
    events = sum(r.tally.events for r in v.rows if r.zone is None or v.zone)
    naive = sum(r.tally.naive for r in v.rows if r.zone is None or v.zone)
    out.print(f"total: {events} distinct events from {naive} reports; {v.unlocated} unlocated")
