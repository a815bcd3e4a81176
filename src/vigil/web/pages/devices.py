"""The phones page: issue a phone its token and show the ODK Collect QR code once; revoke."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from vigil.config import Settings
from vigil.domain.roles import ADMINS
from vigil.errors import VigilError
from vigil.formats import collect_qr
from vigil.services import devices as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.api.devices import public_base
from vigil.web.deps import allow, check_csrf, database, settings
from vigil.web.pages.render import private_page

router = APIRouter(include_in_schema=False)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}  # addresses no phone can reach


def _page(
    request: Request,
    who: Principal,
    db: Database,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The list of phones and the form, with whatever the last action showed."""
    with db.reading() as session:
        context = {
            "who": who,
            "devices": service.list_devices(session, who),
            "users": service.phone_users(session, who),
            "issued": None,
            "error": None,
            "message": None,
            "form": {"username": "", "label": ""},
            **extra,
        }
        # Rendered while the session is open: the template reads the rows' attributes.
        return private_page(request, "devices.html", context, status)


@router.get("/devices", response_class=HTMLResponse)
def devices_page(
    request: Request,
    revoked: int | None = None,
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
) -> Response:
    """Every phone, and a form to issue one."""
    message = f"Phone {revoked} was revoked: its token no longer works." if revoked else None
    return _page(request, who, db, message=message)


@router.post("/devices", response_class=HTMLResponse)
def issue(
    request: Request,
    username: str = Form("", max_length=64),
    label: str = Form("", max_length=200),
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Issue a token and show its QR code and server URL, this once."""
    check_csrf(request, who, csrf_token)
    form = {"username": username, "label": label}
    try:
        base = public_base(request, cfg)
        with db.writing() as session:
            row, token = service.issue_device(session, who, username, label)
            setup = collect_qr.phone_setup(base, token, service.project_name(session))
            shown = service.describe(session, row)
    except VigilError as exc:
        return _page(request, who, db, exc.status, error=exc.detail, form=form)
    issued = {
        "device": shown,
        "server_url": setup.server_url,
        "qr": Markup(collect_qr.qr_svg(setup.payload)),  # segno's own markup, no user text
        "local": urlsplit(setup.server_url).hostname in LOCAL_HOSTS,
    }
    return _page(request, who, db, issued=issued)


@router.post("/devices/{device_id}/revoke")
def revoke(
    request: Request,
    device_id: int,
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
) -> Response:
    """Revoke a phone's token, then show the list again."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            service.revoke_device(session, who, device_id)
    except VigilError as exc:
        if exc.code == "not_found":
            raise
        return _page(request, who, db, exc.status, error=exc.detail)
    return RedirectResponse(f"/devices?revoked={device_id}", status_code=303)
