"""`vigil device ...`: issue a phone its app-user token and QR code, list phones, revoke one."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out
from vigil.config import get_settings
from vigil.formats import collect_qr
from vigil.services import devices as service

devices_app = typer.Typer(no_args_is_help=True)
QR_KINDS = {".png": "png", ".svg": "svg"}


def _qr_target(qr: Path | None) -> Path | None:
    """Check where the QR code goes before anything is written."""
    if qr is None:
        return None
    if qr.suffix.lower() not in QR_KINDS:
        fail(f"--qr {qr}: the file name must end in .png or .svg")
    if not qr.parent.is_dir():
        fail(f"--qr {qr}: no folder {qr.parent}")
    return qr


def _write_qr(path: Path, payload: str) -> None:
    if QR_KINDS[path.suffix.lower()] == "png":
        path.write_bytes(collect_qr.qr_png(payload))
    else:
        path.write_text(collect_qr.qr_svg(payload), encoding="utf-8")


@devices_app.command("issue")
@clear_errors
def issue(
    user: str = typer.Argument(..., help="The user the phone reports as (one who may report)."),
    label: str = typer.Option(..., help="Which phone, e.g. 'patrol 2 tablet'."),
    url: str = typer.Option(
        None, help="The address phones reach Vigil at (default: VIGIL_PUBLIC_URL)."
    ),
    qr: Path = typer.Option(
        None, help="Write the QR code to this .png or .svg file instead of the terminal."
    ),
) -> None:
    """Issue a phone its token; prints the token, the server URL and the QR code, once."""
    base = url or get_settings().public_url
    if not base:
        fail("give --url (the address phones reach Vigil at) or set VIGIL_PUBLIC_URL")
    base = collect_qr.base_url(base)
    target = _qr_target(qr)
    db = open_database()
    with db.writing() as session:
        row, token = service.issue_device(session, cli_operator(), user, label)
        setup = collect_qr.phone_setup(base, token, service.project_name(session))
        if target is not None:  # inside the transaction: a failed write stores nothing
            _write_qr(target, setup.payload)
    out.print(f"phone {row.id} ({row.label}) issued for {user}; shown only now:", highlight=False)
    print(f"token: {token}")
    print(f"server URL: {setup.server_url}")
    if target is not None:
        print(f"QR code: {target}")
        return
    print("scan with ODK Collect: Add project -> Configure with QR code")
    collect_qr.qr_terminal(setup.payload, sys.stdout)


@devices_app.command("list")
@clear_errors
def list_() -> None:
    """List phones: id, user, label, when issued and revoked (never the tokens)."""
    db = open_database()
    table = Table("id", "user", "label", "issued", "revoked")
    with db.reading() as session:
        for d in service.list_devices(session, cli_operator()):
            revoked = d.revoked_at.isoformat(timespec="seconds") if d.revoked_at else ""
            issued = d.issued_at.isoformat(timespec="seconds")
            table.add_row(str(d.id), d.username, d.label, issued, revoked)
    out.print(table)


@devices_app.command("revoke")
@clear_errors
def revoke(
    device_id: int = typer.Argument(..., help="Phone id, from `vigil device list`."),
) -> None:
    """Revoke a phone's token: it stops working at once (the row stays, audited)."""
    db = open_database()
    with db.writing() as session:
        service.revoke_device(session, cli_operator(), device_id)
    out.print(f"phone {device_id} revoked")
