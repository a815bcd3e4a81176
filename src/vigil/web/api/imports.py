"""Imports of observations from files: upload (dry run, all-or-nothing or partial), past
imports, and the CSV template."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from starlette.datastructures import UploadFile as StarletteUpload

from vigil.config import Settings
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.errors import invalid
from vigil.formats.import_csv import template_csv
from vigil.services import imports as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, database, settings
from vigil.web.schemas.imports import ImportList, ImportOut, ImportReportOut

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
FORMAT = "csv, geojson, gpx or kml (a .kmz is kml); default: from the file name's extension."
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
TEMPLATE_NAME = "vigil-observations-template.csv"


def flag(name: str, *given: str | None) -> bool:
    """A yes/no option from the form or the query (the first given wins); default no."""
    for value in given:
        if value is None or not value.strip():
            continue
        if value.strip().lower() in TRUE:
            return True
        if value.strip().lower() in FALSE:
            return False
        raise invalid(name, f"{value!r} is not true or false")
    return False


def _file(file: UploadFile | None) -> tuple[bytes, str]:
    if file is None or not isinstance(file, StarletteUpload):
        raise invalid("file", "send the file as the multipart/form-data field 'file'")
    return file.file.read(), file.filename or "upload"


@router.post(
    "",
    status_code=201,
    response_model=ImportReportOut,
    responses={
        200: {"description": "A dry run, or a real run that found every row stored already"},
        422: {"description": "import_refused: errors name each refused row; nothing stored"},
    },
)
def import_file(
    response: Response,
    file: UploadFile | None = File(None, description="The CSV, GeoJSON, GPX, KML or KMZ file."),
    format_field: str | None = Form(None, alias="format", description=FORMAT),
    dry_run_field: str | None = Form(None, alias="dry_run", description="Only check: true."),
    partial_field: str | None = Form(None, alias="partial", description="Good rows: true."),
    format: str | None = Query(None, description=FORMAT),
    dry_run: str | None = Query(None, description="Only check, store nothing."),
    partial: str | None = Query(None, description="Import the good rows, list the refused ones."),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> ImportReportOut:
    """Import observations from a file: all rows or none, or with partial the good ones.
    Options as query parameters or form fields."""
    data, filename = _file(file)
    check = flag("dry_run", dry_run_field, dry_run)
    some = flag("partial", partial_field, partial)
    fmt = format_field or format
    limits = service.ImportLimits.of(cfg)
    with db.reading() if check else db.writing() as session:
        report = service.import_observations(
            session, who, data, filename, fmt, check, some, limits=limits
        )
    if check or report.count("new") == 0:
        response.status_code = 200
    return ImportReportOut.of(report)


@router.get("", response_model=ImportList)
def list_imports(
    limit: int = Query(100, ge=1, le=1000, description="How many, newest first."),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> ImportList:
    """Past imports: file, format, who, when, and rows imported, already there and refused."""
    with db.reading() as session:
        found = service.list_imports(session, who, limit)
        return ImportList(items=[ImportOut.of(f, name) for f, name in found])


@router.get(
    "/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The CSV template"}},
)
def template(who: Principal = allow(REPORTERS)) -> Response:
    """The CSV template: every column, with two example rows to delete before importing."""
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"'},
    )
