"""`vigil trackers ...`: register the phones (Traccar Client, OsmAnd) that track patrol
members, list and revoke them, list positions, and import GPX tracks recorded offline."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out, parse_time
from vigil.config import get_settings
from vigil.formats import gpx_tracks
from vigil.services import positions, trackers
from vigil.services.review_queue import acting_user

trackers_app = typer.Typer(no_args_is_help=True)
AS_USER = "The duty officer or admin doing this."
MAX_GPX_BYTES = 16 * 1024 * 1024


def _limits() -> positions.Limits:
    cfg = get_settings()
    return positions.Limits(cfg.track_future_s, cfg.track_max_age_days * 86400)


@trackers_app.command("register")
@clear_errors
def register(
    username: str = typer.Argument(..., help="The person carrying the phone."),
    identifier: str = typer.Option(None, help="The phone's own id (else Vigil issues one)."),
    label: str = typer.Option("", help="Which phone, e.g. 'PL-2 Pixel'."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Register a phone to a person; prints the identifier the app must send (only now)."""
    db = open_database()
    with db.writing() as session:
        row, ident = trackers.register(session, acting_user(session, as_user), username, label,
                                       identifier)  # fmt: skip
        device_id, shown = row.id, row.label
    out.print(f"device {device_id} registered to {username} ({shown})", highlight=False)
    out.print(f"identifier: {ident}", highlight=False)
    out.print("set it as the device identifier in Traccar Client (or id= in OsmAnd's URL); "
              "it is not shown again", highlight=False)  # fmt: skip


@trackers_app.command("list")
@clear_errors
def list_() -> None:
    """Every tracked phone with its last position."""
    db = open_database()
    table = Table("id", "user", "label", "registered (UTC)", "revoked", "last position (UTC)")
    with db.reading() as session:
        found = trackers.list_devices(session, cli_operator())
        for d in found:
            last = (f"{d.last.recorded_at:%Y-%m-%d %H:%M:%S} {d.last.lat:.5f},{d.last.lon:.5f}"
                    if d.last else "none yet")  # fmt: skip
            revoked = f"{d.revoked_at:%Y-%m-%d %H:%M}" if d.revoked_at else ""
            table.add_row(str(d.id), d.username, d.label, f"{d.created_at:%Y-%m-%d %H:%M}",
                          revoked, last)  # fmt: skip
    out.print(table)
    out.print(f"{len(found)} device(s)")


@trackers_app.command("revoke")
@clear_errors
def revoke(
    device_id: int = typer.Argument(..., help="The device's id (from `vigil trackers list`)."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Stop a phone's reports at once (a lost phone); its positions stay."""
    db = open_database()
    with db.writing() as session:
        trackers.revoke(session, acting_user(session, as_user), device_id)
    out.print(f"device {device_id} revoked: its reports are refused from now on", highlight=False)


@trackers_app.command("positions")
@clear_errors
def positions_(
    device: int = typer.Option(None, help="Only this device's id."),
    since: str = typer.Option(None, help="From this time on (ISO 8601 with offset)."),
    limit: int = typer.Option(100, min=1, max=10_000, help="How many to list."),
) -> None:
    """Positions in time order."""
    when = parse_time("--since", since) if since else None
    db = open_database()
    table = Table("id", "device", "patrol", "time (UTC)", "lat", "lon", "speed kn", "source")
    with db.reading() as session:
        rows = positions.positions(session, cli_operator(), device, when, limit)
        for p in rows:
            table.add_row(str(p.id), str(p.device_id), str(p.patrol_id or ""),
                          f"{p.recorded_at:%Y-%m-%d %H:%M:%S}", f"{p.lat:.5f}", f"{p.lon:.5f}",
                          "" if p.speed_kn is None else f"{p.speed_kn:.1f}", p.source)  # fmt: skip
    out.print(table)
    out.print(f"{len(rows)} position(s)")


@trackers_app.command("import-gpx")
@clear_errors
def import_gpx(
    file: Path = typer.Argument(..., help="A GPX file whose track points carry <time>."),
    device: str = typer.Option(..., help="The device's identifier."),
    as_user: str = typer.Option(..., "--as", help=AS_USER),
) -> None:
    """Import a track recorded offline as positions of a device."""
    if not file.is_file():
        fail(f"no file {file}")
    if file.stat().st_size > MAX_GPX_BYTES:
        fail(f"{file} is larger than 16 MB")
    track = gpx_tracks.parse_gpx_track(file.read_bytes(), get_settings().max_import_rows)
    db = open_database()
    with db.writing() as session:
        who = acting_user(session, as_user)
        done = positions.import_track(
            session, who, device, track.points, track.without_time, limits=_limits()
        )
    out.print(f"{done.stored} position(s) stored for device {done.device_id}; "
              f"{done.already_there} already there; {done.without_time} without a time",
              highlight=False)  # fmt: skip
