"""`vigil restrictions ...`: list, record and end restrictions of the mission's movement, and
count them for a period."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out, parse_time
from vigil.domain import restrictions as rules
from vigil.services import restrictions as service
from vigil.services.review_queue import acting_user

restrictions_app = typer.Typer(no_args_is_help=True)
AS_USER = "The monitor or patrol leader the report is recorded as."
MAX_AREA_BYTES = 2_000_000


@restrictions_app.command("list")
@clear_errors
def list_(
    time_from: str = typer.Option(None, "--from", help="Occurred at or after (ISO 8601)."),
    time_to: str = typer.Option(None, "--to", help="Occurred before (ISO 8601)."),
    kind: str = typer.Option(None, help=f"One of {', '.join(rules.KINDS)}."),
    party: str = typer.Option(None, help="Stated party code, or none."),
    zone: str = typer.Option(None, help="Zone code, or none (outside any zone)."),
    patrol: str = typer.Option(None, help="The patrol's name."),
    limit: int = typer.Option(100, min=1, max=1000, help="How many to list."),
) -> None:
    """Restrictions in time order, filtered."""
    q = service.ListRequest(
        parse_time("--from", time_from) if time_from else None,
        parse_time("--to", time_to) if time_to else None,
        kind, party, zone, patrol,
    )  # fmt: skip
    db = open_database()
    table = Table("id", "occurred (UTC)", "kind", "place", "zone", "patrol", "stated", "lasted")
    with db.reading() as session:
        rows = service.list_restrictions(session, cli_operator(), q, None, limit)
        parties, _ = service.names(session)
        for r in rows:
            table.add_row(
                str(r.id), r.occurred_at.strftime("%Y-%m-%d %H:%M"), rules.kind_label(r.kind),
                r.place, r.zone_code or rules.OUTSIDE, r.patrol,
                parties.get(r.stated_party_id or 0, rules.NOT_STATED),
                rules.duration_text(rules.duration_s(r.occurred_at, r.ended_at)),
            )  # fmt: skip
    out.print(table)
    out.print(f"{len(rows)} restriction(s)")
    if len(rows) == limit:
        out.print("there may be more: narrow with --from/--to or raise --limit")


def _area(path: Path | None) -> dict[str, Any] | None:
    """A GeoJSON geometry from a file (a Feature's or a one-feature collection's geometry)."""
    if path is None:
        return None
    if not path.is_file():
        fail(f"no file {path}")
    if path.stat().st_size > MAX_AREA_BYTES:
        fail(f"{path} is larger than 2 MB")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{path} is not JSON: {exc}")
    if isinstance(found, dict) and found.get("type") == "FeatureCollection":
        features = found.get("features") or []
        if len(features) != 1:
            fail(f"{path}: give one feature, not {len(features)}")
        found = features[0]
    if isinstance(found, dict) and found.get("type") == "Feature":
        found = found.get("geometry")
    if not isinstance(found, dict):
        fail(f"{path}: not a GeoJSON geometry")
    return found


@restrictions_app.command("add")
@clear_errors
def add(
    kind: str = typer.Argument(..., help=f"One of {', '.join(rules.KINDS)}."),
    occurred_at: str = typer.Option(..., "--at", help="When (ISO 8601 with offset)."),
    lat: float = typer.Option(..., help="Latitude of where it happened."),
    lon: float = typer.Option(..., help="Longitude of where it happened."),
    ended_at: str = typer.Option(None, "--ended", help="When it ended, if it has."),
    place: str = typer.Option("", help="The place as the patrol named it."),
    patrol: str = typer.Option("", help="Which patrol (its name)."),
    party: str = typer.Option(None, help="Party code, only if stated at the checkpoint."),
    stated_by: str = typer.Option("", help="Who stated it, in their words."),
    description: str = typer.Option("", help="What happened."),
    area: Path = typer.Option(None, help="A GeoJSON file: the area closed to the mission."),
    client_id: str = typer.Option(None, help="Unique id of this report (made up if not given)."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Record a restriction of the mission's movement."""
    body: dict[str, Any] = {
        "client_id": client_id or f"cli-{uuid.uuid4()}",
        "kind": kind,
        "occurred_at": parse_time("--at", occurred_at),
        "ended_at": parse_time("--ended", ended_at) if ended_at else None,
        "lat": lat, "lon": lon, "place": place, "patrol": patrol, "stated_party": party,
        "stated_by": stated_by, "description": description, "area": _area(area),
    }  # fmt: skip
    draft = rules.parse_draft(body)
    db = open_database()
    with db.writing() as session:
        done = service.record(session, acting_user(session, as_user), draft)
        row = done.row
        state = "recorded" if done.created else "already recorded"
        line = f"restriction {row.id} {state}: {row.kind} in {row.zone_code or rules.OUTSIDE}"
    out.print(line, highlight=False)


@restrictions_app.command("end")
@clear_errors
def end(
    restriction_id: int = typer.Argument(..., help="The restriction's id."),
    ended_at: str = typer.Option(..., "--at", help="When access reopened (ISO 8601)."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Say when a restriction ended (access reopened)."""
    when = parse_time("--at", ended_at)
    db = open_database()
    with db.writing() as session:
        row = service.end(session, acting_user(session, as_user), restriction_id, when)
        lasted = rules.duration_text(rules.duration_s(row.occurred_at, row.ended_at))
    out.print(f"restriction {restriction_id} ended; it lasted {lasted}", highlight=False)


@restrictions_app.command("counts")
@clear_errors
def counts(
    time_from: str = typer.Option(..., "--from", help="Start (ISO 8601 with offset)."),
    time_to: str = typer.Option(..., "--to", help="End, excluded (ISO 8601 with offset)."),
) -> None:
    """Restrictions that occurred in the period: per area, per stated party, per kind."""
    start, stop = parse_time("--from", time_from), parse_time("--to", time_to)
    db = open_database()
    with db.reading() as session:
        c = service.counts(session, cli_operator(), start, stop)
    for title, groups, label in (
        ("Per area", c.by_area, str),
        ("Per stated party", c.by_party, str),
        ("Per kind", c.by_kind, rules.kind_label),
    ):
        table = Table("", "restrictions", "still open", "total duration", title=title)
        for key, t in groups.items():
            table.add_row(label(key), str(t.count), str(t.open), rules.duration_text(t.duration_s))
        out.print(table)
    t = c.total
    out.print(f"{t.count} restriction(s), {t.open} still open", highlight=False)
