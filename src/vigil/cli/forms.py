"""`vigil forms`: the ODK forms phones download: list versions, get the XLSForm, upload a
mission's own, close a version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out
from vigil.config import get_settings
from vigil.services import forms as service
from vigil.services.forms import FormRules, is_open

forms_app = typer.Typer(no_args_is_help=True)
MAX_XLSFORM_BYTES = 10 * 1024 * 1024


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@forms_app.command("list")
@clear_errors
def list_() -> None:
    """List every version of every form (the observation form is brought up to date first)."""
    now = datetime.now(UTC)
    db = open_database()
    with db.writing() as session:
        views = service.list_versions(session, cli_operator(), now, FormRules.of(get_settings()))
        for v in views:
            f = v.form
            state = "open" if is_open(f, now) else "closed"
            closes = f" closes {_when(f.closes_at)}" if f.closes_at and state == "open" else ""
            out.print(
                f"{f.form_id}\t{f.version}\t{f.source}\t{state}{closes}\t"
                f"made {_when(f.created_at)}\tmd5 {f.md5}\t{f.title}",
                highlight=False,
                soft_wrap=True,
            )


@forms_app.command("xlsform")
@clear_errors
def xlsform(
    out_file: Path = typer.Option(
        None, "--out", help="Where to write it (default: FORM_ID-VERSION.xlsx here)."
    ),
    form_id: str = typer.Option(service.FORM_ID, help="The form (default: the observation form)."),
) -> None:
    """Write the current version's XLSForm, to adapt in a spreadsheet and upload again."""
    db = open_database()
    with db.writing() as session:
        row = service.current_version(
            session, cli_operator(), form_id, rules=FormRules.of(get_settings())
        )
        name, data = f"{row.form_id}-{row.version}.xlsx", row.xlsform
    target = out_file or Path(name)
    target.write_bytes(data)
    out.print(f"wrote {target} ({len(data)} bytes)", highlight=False)


@forms_app.command("upload")
@clear_errors
def upload(
    file: Path = typer.Argument(..., help="The XLSForm (.xlsx)."),
    as_user: str = typer.Option(..., "--as", help="The admin the upload is recorded as."),
) -> None:
    """Upload a mission's own XLSForm: it becomes the current version of its form_id."""
    if not file.is_file():
        fail(f"no file {file}")
    if file.stat().st_size > MAX_XLSFORM_BYTES:
        fail(f"{file} is larger than {MAX_XLSFORM_BYTES // (1024 * 1024)} MB")
    data = file.read_bytes()
    db = open_database()
    with db.writing() as session:
        who = service.admin_named(session, as_user)
        row, created = service.upload_form(session, who, data, rules=FormRules.of(get_settings()))
        said = "uploaded" if created else "already stored, unchanged:"
        out.print(f"{said} {row.form_id} version {row.version} ({row.title})", highlight=False)


@forms_app.command("close")
@clear_errors
def close(
    form_id: str = typer.Argument(..., help="The form's id."),
    version: str = typer.Argument(..., help="The version to close."),
    as_user: str = typer.Option(..., "--as", help="The admin the closing is recorded as."),
) -> None:
    """Stop a version accepting submissions now."""
    db = open_database()
    with db.writing() as session:
        who = service.admin_named(session, as_user)
        row = service.close_version(session, who, form_id, version)
        out.print(f"closed {row.form_id} version {row.version} at {_when(row.closes_at)}")
