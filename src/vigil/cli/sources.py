"""`vigil sources ...`: the default reliability of the mission's sources, and how sure the
mission is of an incident."""

from __future__ import annotations

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, open_database, out
from vigil.services import sources as service

sources_app = typer.Typer(no_args_is_help=True)
AS_USER = "A head of mission or admin the change is recorded as."


@sources_app.command("list")
@clear_errors
def list_() -> None:
    """List source profiles: id, kind, key (* = the kind's default), reliability, label."""
    db = open_database()
    table = Table("id", "kind", "key", "reliability", "label", "notes")
    with db.reading() as session:
        for p in service.list_profiles(session, cli_operator()):
            table.add_row(str(p.id), p.kind, p.key, p.reliability, p.label, p.notes)
    out.print(table)


@sources_app.command("set")
@clear_errors
def set_(
    kind: str = typer.Argument(..., help="post, patrol, monitor, sensor or third_party."),
    key: str = typer.Argument(..., help="A post's code, an observer's name, or * (default)."),
    reliability: str = typer.Argument(..., help="Admiralty reliability A-F."),
    label: str = typer.Option(None, help="What the source is (kept when not given)."),
    notes: str = typer.Option(None, help="Why this grade (kept when not given)."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Create or change the profile of one source (or of a kind, with key *)."""
    db = open_database()
    with db.writing() as session:
        who = service.grader_named(session, as_user)
        row, created = service.set_profile(session, who, kind, key, reliability, label, notes)
        line = f"source {row.id} {row.kind}:{row.key} {row.reliability} " + (
            "created" if created else "set"
        )
    out.print(line, highlight=False)


@sources_app.command("remove")
@clear_errors
def remove(
    source_id: int = typer.Argument(..., help="Profile id, from `vigil sources list`."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Remove a profile: its sources fall back to their kind's default, or to F."""
    db = open_database()
    with db.writing() as session:
        who = service.grader_named(session, as_user)
        row = service.remove_profile(session, who, source_id)
    out.print(f"source {source_id} {row.kind}:{row.key} removed", highlight=False)


@sources_app.command("defaults")
@clear_errors
def defaults(as_user: str = typer.Option(..., "--as", help=AS_USER)) -> None:
    """Add the default profile of each kind that has none yet (see docs/sources.md)."""
    db = open_database()
    with db.writing() as session:
        who = service.grader_named(session, as_user)
        added = [f"{p.kind}:{p.key} {p.reliability}" for p in service.load_defaults(session, who)]
    out.print(f"{len(added)} default profiles added" + (": " + ", ".join(added) if added else ""))


@sources_app.command("confidence")
@clear_errors
def confidence(incident_id: int = typer.Argument(..., help="Incident id.")) -> None:
    """How sure the mission is of an incident, and how that was derived."""
    db = open_database()
    with db.reading() as session:
        c = service.incident_confidence(session, cli_operator(), incident_id)
    table = Table("source", "report", "reported", "used", "from", "p", "counted")
    for line in c.sources:
        for g in line.reports:
            reported = f"{g.report.reliability}{g.report.credibility}"
            counted = "yes" if g is line.best else ""
            row = (line.source.identity, g.report.client_id, reported, g.grade)
            table.add_row(*row, g.reliability_from, f"{g.p:.3f}", counted)
    out.print(table)
    out.print(f"incident {incident_id}: {c.level} (p = {c.p:.3f})", highlight=False)
