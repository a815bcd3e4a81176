"""`vigil review ...`: the review queue, moving an incident, assigning reviewers, the policy."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from vigil.cli.common import (
    clear_errors,
    cli_operator,
    fail,
    open_database,
    out,
    parse_time,
    progress_bar,
)
from vigil.services import review_policy, review_queue, review_sweep, reviews

review_app = typer.Typer(no_args_is_help=True)
MAX_POLICY_BYTES = 1_000_000


@review_app.command("queue")
@clear_errors
def queue(
    reviewer: str = typer.Option(None, help="Only this reviewer's incidents (a user name)."),
    status: list[str] = typer.Option(
        None, help="Review state(s) to list (default: reported and under_review)."
    ),
    category: str = typer.Option(None, help="A category code (its sub-categories match)."),
    zone: str = typer.Option(None, help="A zone's code: incidents located inside it."),
    limit: int = typer.Option(100, min=1, max=1000, help="How many to list."),
) -> None:
    """Incidents awaiting review, oldest first."""
    q = review_queue.QueueRequest(
        reviewer=reviewer,
        statuses=tuple(status or ()) or review_queue.OPEN_STATES,
        category=category,
        zone=zone,
    )
    db = open_database()
    with db.reading() as session:
        rows = review_queue.review_queue(session, cli_operator(), q, None, limit)
        names = review_queue.reviewer_names(session, [r.id for r in rows])
        table = Table("id", "started (UTC)", "status", "category", "count", "reviewer")
        for r in rows:
            started = r.started_at.strftime("%Y-%m-%d %H:%M")
            cells = (r.status, r.category, str(r.count), names.get(r.id, ""))
            table.add_row(str(r.id), started, *cells)
    out.print(table)
    out.print(f"{len(rows)} incident(s)")


@review_app.command("set")
@clear_errors
def set_status(
    incident_id: int = typer.Argument(..., help="The incident."),
    status: str = typer.Argument(..., help="under_review, corroborated, verified, refuted, ..."),
    reason: str = typer.Option("", help="Why (required going back and to refuted)."),
    as_user: str = typer.Option(..., "--as", help="The analyst the review is recorded as."),
) -> None:
    """Move an incident to a review status, as it stands now (the ETag is read here)."""
    db = open_database()
    with db.writing() as session:
        who = review_queue.acting_user(session, as_user)
        done = reviews.review_as_it_stands(session, who, incident_id, status, reason)
        rule = done.review.check.get("rule_text") or "no rule needed"
        out.print(
            f"incident {incident_id}: {done.review.from_status} -> {done.review.to_status} "
            f"({rule})",
            highlight=False,
        )


@review_app.command("sweep")
@clear_errors
def sweep(
    status: str = typer.Argument(..., help="The status to move to, e.g. under_review, verified."),
    time_from: str = typer.Option(None, "--from", help="Start, ISO 8601 with offset."),
    time_to: str = typer.Option(None, "--to", help="End (exclusive), ISO 8601 with offset."),
    category: str = typer.Option(None, help="A category code (its sub-categories match)."),
    zone: str = typer.Option(None, help="A zone's code: incidents located inside it."),
    reviewer: str = typer.Option(None, help="Only this reviewer's incidents (a user name)."),
    reason: str = typer.Option("", help="Why (recorded on every step)."),
    as_user: str = typer.Option(..., "--as", help="The analyst the review is recorded as."),
) -> None:
    """Move every incident matching the filters along the forward path to STATUS (reported ->
    under_review -> verified) where the rules allow; the others stay where they stopped and
    are counted by reason. One transaction: all of it or nothing."""
    q = review_queue.QueueRequest(
        reviewer=reviewer,
        category=category,
        zone=zone,
        time_from=parse_time("--from", time_from) if time_from else None,
        time_to=parse_time("--to", time_to) if time_to else None,
    )
    db = open_database()
    with db.writing() as session, progress_bar(f"to {status}", None) as tick:
        who = review_queue.acting_user(session, as_user)
        done = review_sweep.sweep(session, who, q, status, reason, lambda n: tick("incidents", n))
    out.print(
        f"{done.moved} incident(s) moved to {status}; {sum(done.refused.values())} left "
        f"({done.passes} pass(es))",
        highlight=False,
    )
    table = Table("left as they are", "incidents")
    for why, n in done.refused.most_common():
        table.add_row(why, str(n))
    if done.refused:
        out.print(table)


@review_app.command("assign")
@clear_errors
def assign(
    incident_ids: list[int] = typer.Argument(..., help="The incidents."),
    to: str = typer.Option(..., "--to", help="The reviewer (an analyst or head of mission)."),
    as_user: str = typer.Option(..., "--as", help="The analyst the assignment is recorded as."),
) -> None:
    """Make one analyst the reviewer of these incidents."""
    db = open_database()
    with db.writing() as session:
        rows = review_queue.assign_reviewer(
            session, review_queue.acting_user(session, as_user), incident_ids, to
        )
    out.print(f"{len(rows)} incident(s) assigned to {to}", highlight=False)


@review_app.command("policy")
@clear_errors
def policy(
    set_file: Path = typer.Option(None, "--set", help="A JSON file with the new policy."),
) -> None:
    """Print the review policy in force, or replace it with a JSON file's."""
    db = open_database()
    if set_file is None:
        with db.reading() as session:
            rules, default = review_policy.get_policy(session, cli_operator())
        out.print(("default policy" if default else "mission's policy") + ":")
        print(json.dumps(rules, indent=2, sort_keys=True))
        return
    if not set_file.is_file():
        fail(f"no file {set_file}")
    if set_file.stat().st_size > MAX_POLICY_BYTES:
        fail(f"{set_file} is larger than 1 MB")
    try:
        rules = json.loads(set_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{set_file} is not JSON: {exc}")
    with db.writing() as session:
        review_policy.set_policy(session, cli_operator(), rules)
    out.print(f"review policy set from {set_file}", highlight=False)
