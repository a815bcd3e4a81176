"""The forms page (admin): the versions phones download, their XLSForm and XForm, a mission's
own XLSForm uploaded, a version closed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.config import Settings
from vigil.domain.roles import ADMINS
from vigil.errors import VigilError
from vigil.services import forms as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.api.forms import read_xlsform
from vigil.web.deps import allow, check_csrf, database, settings
from vigil.web.pages.render import private_page
from vigil.web.schemas.forms import FormVersionOut

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    who: Principal,
    db: Database,
    cfg: Settings,
    status: int = 200,
    **extra: Any,
) -> Response:
    """Every version, the upload form, and what the last action said."""
    now = datetime.now(UTC)
    with db.writing() as session:  # asking for the forms may generate the current version
        views = service.list_versions(session, who, now, service.FormRules.of(cfg))
        versions = [FormVersionOut.of(v, now) for v in views]
    context = {
        "who": who,
        "versions": versions,
        "grace_days": cfg.form_grace_days,
        "error": None,
        "errors": [],
        "message": None,
        **extra,
    }
    return private_page(request, "forms.html", context, status)


@router.get("/forms", response_class=HTMLResponse)
def forms_page(
    request: Request,
    done: str | None = None,
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Every version of every form, and the upload form."""
    message = {"uploaded": "The form was uploaded.", "closed": "The version was closed."}
    return _page(request, who, db, cfg, message=message.get(done or ""))


@router.post("/forms", response_class=HTMLResponse)
def upload(
    request: Request,
    file: UploadFile | None = File(None),
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Upload a mission's own XLSForm; a refusal shows pyxform's words or the missing fields."""
    check_csrf(request, who, csrf_token)
    try:
        if file is None or not file.filename:
            raise VigilError("invalid_form", "choose an XLSForm (.xlsx) file to upload")
        data = read_xlsform(file.file)
        with db.writing() as session:
            service.upload_form(session, who, data, rules=service.FormRules.of(cfg))
    except VigilError as exc:
        return _page(request, who, db, cfg, exc.status, error=exc.detail, errors=exc.errors)
    return RedirectResponse("/forms?done=uploaded", status_code=303)


@router.post("/forms/close")
def close(
    request: Request,
    form_id: str = Form("", max_length=64),
    version: str = Form("", max_length=32),
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Close a version now, then show the list again."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            service.close_version(session, who, form_id, version)
    except VigilError as exc:
        return _page(request, who, db, cfg, exc.status, error=exc.detail)
    return RedirectResponse("/forms?done=closed", status_code=303)
