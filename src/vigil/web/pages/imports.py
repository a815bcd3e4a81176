"""The import page: upload a file, see the dry run row by row, then import it all or only
the good rows. The bytes stay on the server between the two steps, named by their SHA-256."""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from vigil.config import Settings
from vigil.domain.roles import REPORTERS
from vigil.errors import VigilError
from vigil.formats.import_detect import FORMATS
from vigil.services import import_staging as staging
from vigil.services import imports as service
from vigil.services.access import Principal
from vigil.services.imports import ImportReport
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database, settings
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
MAX_SHOWN = 2000  # rows a page lists; beyond that only the refused and skipped ones
WORDS = {
    True: {"new": "would import", "already": "already there", "refused": "refused"},
    False: {"new": "imported", "already": "already there", "refused": "refused"},
}


def _uploads(cfg: Settings) -> Path:
    return cfg.data_dir / "uploads"


def _shown(report: ImportReport) -> tuple[list[Any], bool]:
    """The rows to list: all of them, or for a long file the refused and skipped ones."""
    if len(report.rows) <= MAX_SHOWN:
        return report.rows, False
    return [r for r in report.rows if r.status in ("refused", "skipped")][:MAX_SHOWN], True


def _page(
    request: Request,
    who: Principal,
    report: ImportReport | None = None,
    error: VigilError | None = None,
    chosen: str = "",
) -> Response:
    rows, cut = _shown(report) if report else ([], False)
    context = {
        "who": who,
        "csrf": who.csrf_token or "",
        "report": report,
        "rows": rows,
        "cut": cut,
        "words": WORDS[report.dry_run] if report else {},
        "error": error,
        "formats": FORMATS,
        "chosen": chosen,
    }
    status = error.status if error else 200
    return templates.TemplateResponse(request, "import.html", context, status_code=status)


def _name(filename: str | None) -> str:
    """The file's own name, without any folders a browser may send."""
    return PurePath((filename or "upload").replace("\\", "/")).name[:255] or "upload"


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, who: Principal = allow(REPORTERS)) -> Response:
    """The upload form."""
    return _page(request, who)


@router.post("/import", response_class=HTMLResponse)
def dry_run(
    request: Request,
    file: UploadFile | None = File(None),
    format: str = Form(""),
    csrf_token: str = Form(""),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Keep the upload, check it row by row, and offer to import it."""
    check_csrf(request, who, csrf_token)
    if file is None or not isinstance(file, StarletteUpload) or not file.filename:
        return _page(request, who, error=VigilError("validation_failed", "choose a file"))
    data, filename = file.file.read(), _name(file.filename)
    try:
        with db.reading() as session:
            report = service.import_observations(
                session,
                who,
                data,
                filename,
                format or None,
                True,
                False,
                limits=service.ImportLimits.of(cfg),
            )
        staging.stage(_uploads(cfg), who, data)
    except VigilError as exc:
        return _page(request, who, error=exc, chosen=format)
    return _page(request, who, report, chosen=format)


@router.post("/import/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    sha256: str = Form(""),
    filename: str = Form(""),
    format: str = Form(""),
    mode: str = Form("all"),
    csrf_token: str = Form(""),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Import the file checked before: all rows or none, or (partial) the good ones."""
    check_csrf(request, who, csrf_token)
    try:
        data = staging.staged(_uploads(cfg), who, sha256)
        with db.writing() as session:
            report = service.import_observations(
                session,
                who,
                data,
                _name(filename),
                format or None,
                False,
                mode == "partial",
                limits=service.ImportLimits.of(cfg),
            )
    except VigilError as exc:
        return _page(request, who, error=exc, chosen=format)
    return _page(request, who, report, chosen=format)


@router.get("/import/refused.csv")
def refused_rows(
    request: Request,
    sha256: str = Query(""),
    filename: str = Query(""),
    format: str = Query(""),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """The refused rows of an uploaded file, with their reasons, as CSV to correct."""
    try:
        data = staging.staged(_uploads(cfg), who, sha256)
        with db.reading() as session:
            report = service.import_observations(
                session,
                who,
                data,
                _name(filename),
                format or None,
                True,
                False,
                limits=service.ImportLimits.of(cfg),
            )
    except VigilError as exc:
        return _page(request, who, error=exc, chosen=format)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePath(report.filename).stem)[:100] or "import"
    return Response(
        report.refused_file(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}-refused.csv"'},
    )
