"""`vigil hotline ...`: list threads, show one with every time that counts, the response-time
statistics per party, the open escalations, and a check of the timers now."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, open_database, out, parse_time
from vigil.config import get_settings
from vigil.domain import hotline as rules
from vigil.services import hotline as service
from vigil.services import hotline_read

hotline_app = typer.Typer(no_args_is_help=True)


def _t(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if when else "—"


def _share(value: float | None) -> str:
    return f"{value * 100:.0f} %" if value is not None else "—"


@hotline_app.command("threads")
@clear_errors
def threads(
    party: str = typer.Option(None, help="Party code: threads it raised or received."),
    status: str = typer.Option(None, help=f"One of {', '.join(rules.STATUSES)}."),
    limit: int = typer.Option(100, min=1, max=1000, help="How many to list."),
) -> None:
    """Threads, newest first."""
    db = open_database()
    table = Table("id", "opened (UTC)", "from", "to", "status", "subject")
    with db.reading() as session:
        rows = service.list_threads(session, cli_operator(), status, party, None, limit)
        parties, _ = hotline_read.names(session)
        for t in rows:
            origin = parties.get(t.origin_party_id or 0, "mission")
            table.add_row(str(t.id), _t(t.opened_at), origin,
                          parties.get(t.recipient_party_id, "?"), t.status, t.subject)  # fmt: skip
    out.print(table)
    out.print(f"{len(rows)} thread(s)")


@hotline_app.command("show")
@clear_errors
def show(thread_id: int = typer.Argument(..., help="The thread's id.")) -> None:
    """One thread and its messages with their times (internal notes marked)."""
    db = open_database()
    with db.reading() as session:
        view = service.get_thread(session, cli_operator(), thread_id)
        parties, _ = hotline_read.names(session)
        _print_thread(view, parties)


def _print_thread(view: hotline_read.ThreadView, parties: dict[int, str]) -> None:
    t = view.thread
    origin = parties.get(t.origin_party_id or 0, "mission")
    out.print(f"thread {t.id}: {t.subject}", highlight=False)
    out.print(f"{origin} -> {parties.get(t.recipient_party_id, '?')}, {t.status}", highlight=False)
    for m in view.messages:
        sender = parties.get(m.sender_party_id or 0, "mission")
        to = "internal note" if m.internal else parties.get(m.recipient_party_id or 0, "mission")
        times = f"written {_t(m.received_at)}"
        if not m.internal:
            times = (f"received {_t(m.received_at)}, relayed {_t(m.relayed_at)}, acknowledged "
                     f"{_t(m.acknowledged_at)}, answered {_t(m.answered_at)}")  # fmt: skip
        out.print(f"\n#{m.id} {sender} -> {to} by {m.channel}: {times}", highlight=False)
        out.print(f"  {m.body}", highlight=False, soft_wrap=True)
    for e in view.escalations:
        state = f"cleared {_t(e.cleared_at)}" if e.cleared_at else "open"
        out.print(f"escalation {e.id}: message {e.message_id} {e.kind}, {state}", highlight=False)


@hotline_app.command("stats")
@clear_errors
def stats(
    time_from: str = typer.Option(..., "--from", help="Relayed at or after (ISO 8601)."),
    time_to: str = typer.Option(..., "--to", help="Relayed before (ISO 8601)."),
) -> None:
    """Per party: messages relayed to it, acknowledged, median time to acknowledge, answered,
    median time to answer, share answered."""
    start, stop = parse_time("--from", time_from), parse_time("--to", time_to)
    db = open_database()
    with db.reading() as session:
        found = service.statistics(session, cli_operator(), start, stop)
    table = Table("party", "messages", "acknowledged", "median to acknowledge", "answered",
                  "median to answer", "share answered", title="Hotline response times")  # fmt: skip
    for s in found:
        table.add_row(s.party, str(s.messages), str(s.acknowledged),
                      rules.duration_text(s.median_ack_s), f"{s.answered}/{s.messages}",
                      rules.duration_text(s.median_answer_s), _share(s.share_answered))  # fmt: skip
    out.print(table)


@hotline_app.command("escalations")
@clear_errors
def escalations(
    all_: bool = typer.Option(False, "--all", help="Also the cleared ones."),
    limit: int = typer.Option(100, min=1, max=1000, help="How many to list."),
) -> None:
    """Late acknowledgements and answers, newest first."""
    db = open_database()
    table = Table("id", "raised (UTC)", "thread", "message", "kind", "cleared", "note")
    with db.reading() as session:
        found = service.list_escalations(session, cli_operator(), all_, limit)
        for v in found:
            e = v.escalation
            table.add_row(str(e.id), _t(e.raised_at), f"{v.thread.id} {v.thread.subject}",
                          str(v.message.id), e.kind, _t(e.cleared_at), e.note)  # fmt: skip
    out.print(table)
    out.print(f"{len(found)} escalation(s)")


@hotline_app.command("check")
@clear_errors
def check() -> None:
    """Escalate now whatever is due (the server does this every minute by itself)."""
    settings = get_settings()
    db = open_database()
    with db.writing() as session:
        made = service.evaluate(
            session, cli_operator(), datetime.now(UTC), settings.hotline_ack_s,
            settings.hotline_answer_s,
        )  # fmt: skip
        lines = [f"message {e.message_id}: {e.kind} ({e.note})" for e in made]
    for line in lines:
        out.print(line, highlight=False)
    out.print(f"{len(made)} escalation(s) raised")
