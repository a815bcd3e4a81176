"""`vigil safety ...`: log a radio check-in, list and acknowledge alarms, run the safety timer
once."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, open_database, out, parse_time
from vigil.config import get_settings
from vigil.domain.safety import CHECK_IN_KINDS, forbidden_kinds
from vigil.services import safety as service
from vigil.services.review_queue import acting_user

safety_app = typer.Typer(no_args_is_help=True)


@safety_app.command("check-in")
@clear_errors
def check_in(
    patrol_id: int = typer.Argument(..., help="The patrol's id."),
    kind: str = typer.Option("radio", help=f"One of {', '.join(CHECK_IN_KINDS)}."),
    at: str = typer.Option(None, help="When (ISO 8601 with offset); default now."),
    note: str = typer.Option("", help="What was said."),
    as_user: str = typer.Option(..., "--as", help="The duty officer (or patrol member)."),
) -> None:
    """Log a patrol's sign of life: a radio call the duty officer took."""
    when = parse_time("--at", at) if at else None
    db = open_database()
    with db.writing() as session:
        row = service.check_in(session, acting_user(session, as_user), patrol_id, kind, when, note)
        line = f"check-in {row.id} logged for patrol {patrol_id} at {row.at:%Y-%m-%d %H:%M:%S}Z"
    out.print(line, highlight=False)


@safety_app.command("alarms")
@clear_errors
def alarms(
    all_: bool = typer.Option(False, "--all", help="Acknowledged ones too, newest first."),
    limit: int = typer.Option(100, min=1, max=1000, help="How many to list."),
) -> None:
    """Open alarms, oldest first (or all of them)."""
    db = open_database()
    table = Table("id", "patrol", "kind", "raised (UTC)", "acknowledged", "by", "note")
    with db.reading() as session:
        rows = service.alarms(session, cli_operator(), not all_, limit)
        codes = service.patrol_codes(session, {r.patrol_id for r in rows})
        users = service.usernames(session)
        for r in rows:
            acked = f"{r.acknowledged_at:%Y-%m-%d %H:%M}" if r.acknowledged_at else "OPEN"
            table.add_row(str(r.id), codes.get(r.patrol_id, ""), r.kind,
                          f"{r.raised_at:%Y-%m-%d %H:%M:%S}", acked,
                          users.get(r.acknowledged_by or 0, ""), r.note)  # fmt: skip
    out.print(table)
    out.print(f"{len(rows)} alarm(s)")


@safety_app.command("ack")
@clear_errors
def ack(
    alarm_id: int = typer.Argument(..., help="The alarm's id."),
    note: str = typer.Option("", help="What is being done about it."),
    as_user: str = typer.Option(..., "--as", help="The duty officer acknowledging."),
) -> None:
    """Acknowledge an alarm (duty officer, head of mission, admin)."""
    db = open_database()
    with db.writing() as session:
        row = service.acknowledge(session, acting_user(session, as_user), alarm_id, note)
        line = f"alarm {row.id} ({row.kind}) acknowledged"
    out.print(line, highlight=False)


@safety_app.command("check")
@clear_errors
def check(
    at: str = typer.Option(None, help="Evaluate as of this time (ISO 8601); default now."),
) -> None:
    """Run the safety timer once and print the alarms it raised (not sent to the webhook:
    the server's timer sends those it raises)."""
    when = parse_time("--at", at) if at else datetime.now(UTC)
    kinds = forbidden_kinds(get_settings().safety_forbidden_kinds)
    db = open_database()
    with db.writing() as session:
        raised = service.evaluate(session, cli_operator(), when, kinds)
        codes = service.patrol_codes(session, {a.patrol_id for a in raised})
        lines = [f"alarm {a.id}: {a.kind} on patrol {codes.get(a.patrol_id, '')}" for a in raised]
    for line in lines:
        out.print(line, highlight=False)
    out.print(f"{len(lines)} alarm(s) raised", highlight=False)
