"""`vigil observations import|template|imports`: observations from CSV, GeoJSON, GPX, KML."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out, progress_bar
from vigil.config import get_settings
from vigil.formats.import_csv import template_csv
from vigil.services import imports as service
from vigil.services.imports import ImportReport

imports_app = typer.Typer(no_args_is_help=True)
STATUS = {
    True: {"new": "would import", "already": "already there", "refused": "REFUSED"},
    False: {"new": "imported", "already": "already there", "refused": "REFUSED"},
}


class Format(StrEnum):
    """The import formats (a .kmz is kml)."""

    csv = "csv"
    geojson = "geojson"
    gpx = "gpx"
    kml = "kml"


def _read(path: Path, limit: int) -> bytes:
    if not path.is_file():
        fail(f"no file {path}")
    if path.stat().st_size > limit:
        fail(f"{path} is larger than {limit} bytes (VIGIL_MAX_UPLOAD_BYTES)")
    return path.read_bytes()


def _table(report: ImportReport, only_refused: bool = False) -> Table:
    words = STATUS[report.dry_run]
    table = Table("row", "what", "client id", "result", "why")
    for r in report.rows:
        if only_refused and r.status != "refused":
            continue
        why = r.reason if r.status in ("refused", "skipped") else r.note
        status = words.get(r.status, "not imported")
        table.add_row(r.label, r.what, r.client_id or "", status, why)
    return table


def _counts(report: ImportReport) -> str:
    verb = "would be imported" if report.dry_run else "imported"
    line = (
        f"{report.filename}: {report.total} rows, {report.count('new')} {verb}, "
        f"{report.count('already')} already there, {report.count('refused')} refused"
    )
    if report.count("skipped"):
        line += f", {report.count('skipped')} not imported (not observations)"
    if report.import_id is not None:
        line += f" (import {report.import_id})"
    return line


@imports_app.command("import")
@clear_errors
def import_file(
    file: Path = typer.Argument(..., help="A .csv, .geojson, .gpx, .kml or .kmz file."),
    as_user: str = typer.Option(
        ..., "--as", help="The user the observations are submitted as (one who may report)."
    ),
    format: Format | None = typer.Option(None, "--format", help="Default: from the extension."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, store nothing."),
    partial: bool = typer.Option(False, "--partial", help="Import the good rows, skip the rest."),
    refused: Path | None = typer.Option(
        None, "--refused", help="Write the refused rows with their reasons to this CSV file."
    ),
) -> None:
    """Import observations from a file: every row or none (--partial: the good rows)."""
    if refused is not None and not (partial or dry_run):
        fail("--refused needs --partial or --dry-run (all or nothing stores no row to refuse)")
    settings = get_settings()
    data = _read(file, settings.max_upload_bytes)
    limits = service.ImportLimits.of(settings)
    db = open_database()
    opened = db.reading() if dry_run else db.writing()
    with opened as session, progress_bar("import", None) as tick:
        who = service.importer(session, as_user)
        fmt = format.value if format else None
        report = service.import_observations(
            session, who, data, file.name, fmt, dry_run, partial, limits=limits, tick=tick
        )
    _show(report, refused)
    if dry_run and report.count("refused") and not partial:
        raise typer.Exit(1)  # the real run would be refused


def _show(report: ImportReport, refused: Path | None) -> None:
    """The dry run row by row; a real run as counts and its refused rows."""
    if report.dry_run:
        out.print(_table(report))
    elif report.count("refused"):
        out.print(_table(report, only_refused=True))
    out.print(_counts(report), highlight=False)
    if refused is not None:
        refused.write_bytes(report.refused_file())
        out.print(f"{report.count('refused')} refused rows written to {refused}", highlight=False)


@imports_app.command("template")
@clear_errors
def template(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write it to this file."),
) -> None:
    """Print (or write) the CSV template: every column, two example rows to replace."""
    data = template_csv()
    if output is None:
        out.print(data.decode("utf-8"), end="", highlight=False, markup=False, soft_wrap=True)
        return
    output.write_bytes(data)
    out.print(f"template written to {output}", highlight=False)


@imports_app.command("imports")
@clear_errors
def list_imports(
    limit: int = typer.Option(20, min=1, max=1000, help="How many, newest first."),
) -> None:
    """List past imports: file, who, when, rows imported, already there and refused."""
    db = open_database()
    table = Table("id", "file", "format", "by", "at", "rows", "imported", "already", "refused")
    with db.reading() as session:
        for f, name in service.list_imports(session, cli_operator(), limit):
            table.add_row(
                str(f.id),
                f.filename,
                f.format,
                name,
                f.imported_at.isoformat(timespec="seconds"),
                *(str(n) for n in (f.rows, f.imported, f.already, f.refused)),
            )
    out.print(table)
