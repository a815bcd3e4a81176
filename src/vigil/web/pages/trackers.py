"""The tracked phones page: every phone with its last position, a form to register one to a
person (its identifier and server URL shown once) and to revoke a lost one. Duty officers and
admins only; works without JavaScript."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.config import Settings
from vigil.domain.roles import TRACKER_KEEPERS
from vigil.errors import FieldError, VigilError
from vigil.services import trackers as service
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web.api.devices import public_base
from vigil.web.deps import allow, check_csrf, database, settings
from vigil.web.pages.render import private_page

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, who: Principal, db: Database, status: int = 200, **extra: Any
) -> Response:
    """The list and the form, with whatever the last action showed."""
    with db.reading() as session:
        context = {
            "who": who, "devices": service.list_devices(session, who),
            "users": service.holders(session, who), "tz": mission_zone(session),
            "issued": None, "errors": {}, "message": None,
            "form": {"username": "", "label": "", "identifier": ""}, **extra,
        }  # fmt: skip
        return private_page(request, "trackers.html", context, status)


@router.get("/trackers", response_class=HTMLResponse)
def trackers_page(
    request: Request,
    revoked: int | None = None,
    who: Principal = allow(TRACKER_KEEPERS),
    db: Database = Depends(database),
) -> Response:
    """Every tracked phone and the form to register one."""
    message = f"Device {revoked} was revoked: its reports are refused." if revoked else None
    return _page(request, who, db, message=message)


@router.post("/trackers", response_class=HTMLResponse)
def register(
    request: Request,
    username: str = Form("", max_length=64),
    label: str = Form("", max_length=200),
    identifier: str = Form("", max_length=200),
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(TRACKER_KEEPERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """Register a phone; show its identifier and server URL this once."""
    check_csrf(request, who, csrf_token)
    form = {"username": username, "label": label, "identifier": identifier}
    try:
        base = public_base(request, cfg)
        with db.writing() as session:
            row, ident = service.register(session, who, username, label, identifier or None)
            device_id, shown = row.id, row.label
    except VigilError as exc:
        found = exc.errors or [FieldError("form", exc.detail)]
        errors = {e.field: e.message for e in found}
        return _page(request, who, db, exc.status, errors=errors, form=form)
    issued = {"id": device_id, "label": shown, "username": username.strip(),
              "identifier": ident, "server_url": f"{base}/tracking"}  # fmt: skip
    return _page(request, who, db, issued=issued)


@router.post("/trackers/{device_id}/revoke")
def revoke(
    request: Request,
    device_id: int,
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(TRACKER_KEEPERS),
    db: Database = Depends(database),
) -> Response:
    """Revoke a phone, then show the list again."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            service.revoke(session, who, device_id)
    except VigilError as exc:
        if exc.code == "not_found":
            raise
        return _page(request, who, db, exc.status, errors={"form": exc.detail})
    return RedirectResponse(f"/trackers?revoked={device_id}", status_code=303)
