"""`vigil zones import` and `vigil places import`."""

from __future__ import annotations

from pathlib import Path

import typer

from vigil.cli.common import clear_errors, cli_operator, fail, open_database, out
from vigil.formats.geography_files import PLACE_PARSERS, parse_zones
from vigil.services import geography

zones_app = typer.Typer(help="Manage zones.", no_args_is_help=True)
places_app = typer.Typer(help="Manage the gazetteer.", no_args_is_help=True)
MAX_FILE_BYTES = 64 * 1024 * 1024


def _read(path: Path) -> bytes:
    if not path.is_file():
        fail(f"no file {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        fail(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return path.read_bytes()


@zones_app.command("import")
@clear_errors
def import_zones(file: Path = typer.Argument(..., help="GeoJSON FeatureCollection.")) -> None:
    """Import zones; an invalid geometry refuses the whole file, with the reason."""
    drafts = parse_zones(_read(file))
    db = open_database()
    with db.writing() as session:
        rows = geography.add_zones(session, cli_operator(), drafts)
    out.print(f"{len(rows)} zones imported from {file}")


@places_app.command("import")
@clear_errors
def import_places(file: Path = typer.Argument(..., help="CSV or GeoJSON file.")) -> None:
    """Import gazetteer places from CSV (name_<lang> columns) or GeoJSON; all or nothing."""
    parser = PLACE_PARSERS.get(file.suffix.lower())
    if parser is None:
        fail(f"{file}: use a .csv, .geojson or .json file")
        return
    drafts = parser(_read(file))
    db = open_database()
    with db.writing() as session:
        rows = geography.add_places(session, cli_operator(), drafts)
    out.print(f"{len(rows)} places imported from {file}")
