"""`vigil patrols ...`: list and show patrols, plan one (from options or a JSON file), start,
complete or abort one as a person, and the vehicles patrols book."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out, parse_time
from vigil.domain import patrols as rules
from vigil.domain.geometry import GeometryError
from vigil.errors import invalid
from vigil.services import patrol_report
from vigil.services import patrols as service
from vigil.services.review_queue import acting_user

patrols_app = typer.Typer(no_args_is_help=True)
vehicles_app = typer.Typer(no_args_is_help=True, help="The vehicles patrols book.")
patrols_app.add_typer(vehicles_app, name="vehicles")
AS_USER = "Who does it: the operations room, or the patrol's leader."
MAX_FILE_BYTES = 5_000_000


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


@patrols_app.command("list")
@clear_errors
def list_(
    day: str = typer.Option(None, help="A mission day (YYYY-MM-DD): patrols planned then."),
    status: str = typer.Option(None, help=f"One of {', '.join(rules.STATUSES)}."),
    member: str = typer.Option(None, help="A member's username."),
    limit: int = typer.Option(200, min=1, max=1000, help="How many to list."),
) -> None:
    """Patrols by planned start (times in UTC)."""
    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"--day {day!r} is not a day (YYYY-MM-DD)")
        return
    db = open_database()
    table = Table("id", "code", "status", "leader", "members", "vehicles", "planned (UTC)")
    with db.reading() as session:
        start, end = service.day_window(session, the_day) if the_day else (None, None)
        q = service.ListRequest(start, end, status, member)
        rows = service.list_patrols(session, cli_operator(), q, limit)
        crews = patrol_report.crews(session, rows)
        for r in rows:
            c = crews[r.id]
            table.add_row(
                str(r.id), r.code, rules.status_label(r.status),
                c.leader.username if c.leader else "—", str(len(c.members)),
                ", ".join(v.code for v in c.vehicles) or "—",
                f"{_when(r.planned_start)} – {r.planned_end:%H:%M}",
            )  # fmt: skip
    out.print(table)
    out.print(f"{len(rows)} patrol(s)")


@patrols_app.command("show")
@clear_errors
def show(patrol_id: int = typer.Argument(..., help="The patrol's id.")) -> None:
    """One patrol's report: crew, vehicles, status history, what it found."""
    db = open_database()
    with db.reading() as session:
        r = patrol_report.report(session, cli_operator(), patrol_id)
        p, c = r.patrol, r.crew
        out.print(f"[bold]{p.code}[/bold] {p.name} · {rules.status_label(p.status)}")
        out.print(f"planned {_when(p.planned_start)} – {_when(p.planned_end)} UTC; "
                  f"out {_when(p.started_at)} – {_when(p.ended_at)}", highlight=False)  # fmt: skip
        out.print("members: " + ", ".join(f"{u.username} ({role})" for u, role in c.members))
        out.print("vehicles: " + (", ".join(v.code for v in c.vehicles) or "none"))
        out.print("notified: " + (", ".join(p.notified or []) or "nobody"))
        if p.notes:
            out.print(f"notes: {p.notes}", highlight=False)
        for s in r.history:
            out.print(f"  {s.at}  {s.action:<16} {s.status or ''}  by {s.actor}", highlight=False)
        out.print(f"{len(r.observations)} observation(s), {len(r.restrictions)} restriction(s)")


def _from_file(path: Path) -> dict[str, Any]:
    """A plan from a JSON file."""
    if not path.is_file():
        fail(f"no file {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        fail(f"{path} is larger than 5 MB")
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        fail(f"{path} is not JSON: {exc}")
    if not isinstance(body, dict):
        fail(f"{path}: give one JSON object (a plan)")
    return body


def _members(specs: list[str]) -> list[dict[str, str]]:
    """USER:ROLE pairs (the role defaults to member)."""
    found = []
    for spec in specs:
        user, _, role = spec.partition(":")
        found.append({"user": user.strip(), "role": role.strip() or "member"})
    return found


def _route(route: str | None, waypoints: str | None) -> Any:
    """The route from GeoJSON text or a file, or from "lat lon; lat lon" waypoints."""
    if waypoints:
        try:
            return rules.waypoints_route(waypoints.replace(";", "\n"))
        except GeometryError as exc:
            raise invalid("route", str(exc)) from exc
    if not route:
        raise invalid("route", "give --route (GeoJSON) or --waypoints")
    text = Path(route).read_text(encoding="utf-8") if Path(route).is_file() else route
    try:
        return json.loads(text)
    except ValueError as exc:
        raise invalid("route", "not GeoJSON: give a LineString or MultiPoint") from exc


@patrols_app.command("plan")
@clear_errors
def plan(
    file: Path = typer.Option(None, "--file", help="A JSON plan (as POST /api/v1/patrols)."),
    code: str = typer.Option(None, help="Unique code, e.g. PTL-05-20201128."),
    name: str = typer.Option("", help="Its standing name, e.g. PTL-05."),
    start: str = typer.Option(None, help="Planned start (ISO 8601 with offset)."),
    end: str = typer.Option(None, help="Planned end (ISO 8601 with offset)."),
    interval: int = typer.Option(1800, help="Check-in interval in seconds (60-86400)."),
    route: str = typer.Option(None, help="GeoJSON LineString/MultiPoint, or a file of it."),
    waypoints: str = typer.Option(None, help='Waypoints: "lat lon; lat lon; ...".'),
    member: list[str] = typer.Option([], help="USER:ROLE (leader, member, driver, ...)."),
    vehicle: list[str] = typer.Option([], help="A vehicle code (repeat)."),
    notify: list[str] = typer.Option([], help="A party code told in advance (repeat)."),
    notes: str = typer.Option("", help="Notes."),
    as_user: str = typer.Option(None, "--as", help="Who plans it (default: the operator)."),
) -> None:
    """Plan a patrol."""
    if file is not None:
        body = _from_file(file)
    else:
        if not code or not start or not end:
            fail("give --code, --start and --end (or --file)")
        body = {
            "code": code, "name": name, "route": _route(route, waypoints),
            "planned_start": parse_time("--start", start), "planned_end": parse_time("--end", end),
            "check_in_interval_s": interval, "members": _members(member),
            "vehicles": vehicle, "notified": notify, "notes": notes,
        }  # fmt: skip
    draft = rules.parse_plan(body)
    db = open_database()
    with db.writing() as session:
        who = acting_user(session, as_user) if as_user else cli_operator()
        row = service.plan(session, who, draft)
        line = f"patrol {row.id} planned: {row.code}"
    out.print(line, highlight=False)


def _step(action: str, patrol_id: int, as_user: str, at: str | None, reason: str = "") -> None:
    when = parse_time("--at", at) if at else None
    db = open_database()
    with db.writing() as session:
        who = acting_user(session, as_user)
        if action == "abort":
            row = service.abort(session, who, patrol_id, reason, when)
        else:
            row = getattr(service, action)(session, who, patrol_id, when)
        line = f"patrol {row.id} {row.code}: {rules.status_label(row.status).lower()}"
    out.print(line, highlight=False)


@patrols_app.command("start")
@clear_errors
def start(
    patrol_id: int = typer.Argument(..., help="The patrol's id."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
    at: str = typer.Option(None, help="When it set out (default now)."),
) -> None:
    """The patrol set out."""
    _step("start", patrol_id, as_user, at)


@patrols_app.command("complete")
@clear_errors
def complete(
    patrol_id: int = typer.Argument(..., help="The patrol's id."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
    at: str = typer.Option(None, help="When it came back (default now)."),
) -> None:
    """The patrol came back."""
    _step("complete", patrol_id, as_user, at)


@patrols_app.command("abort")
@clear_errors
def abort(
    patrol_id: int = typer.Argument(..., help="The patrol's id."),
    reason: str = typer.Option(..., help="Why it was called off or turned back."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
    at: str = typer.Option(None, help="When (default now)."),
) -> None:
    """The patrol was called off or turned back."""
    _step("abort", patrol_id, as_user, at, reason)


@vehicles_app.command("list")
@clear_errors
def vehicles_list() -> None:
    """Every vehicle."""
    db = open_database()
    table = Table("id", "code", "label")
    with db.reading() as session:
        rows = service.list_vehicles(session, cli_operator())
        for v in rows:
            table.add_row(str(v.id), v.code, v.label)
    out.print(table)
    out.print(f"{len(rows)} vehicle(s)")


@vehicles_app.command("add")
@clear_errors
def vehicles_add(
    code: str = typer.Argument(..., help="Plate or call sign (unique)."),
    label: str = typer.Option("", help="What it is, e.g. armoured Land Cruiser."),
) -> None:
    """Register a vehicle."""
    db = open_database()
    with db.writing() as session:
        row = service.add_vehicle(session, cli_operator(), code, label)
        line = f"vehicle {row.id} added: {row.code}"
    out.print(line, highlight=False)
