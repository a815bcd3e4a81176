"""The source profiles page: the default reliability of each source the mission hears from
(posts, patrols, monitors, sensors, third parties), set by the head of mission or an admin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain.admiralty import RELIABILITY
from vigil.domain.roles import INTERNAL, SOURCE_GRADERS
from vigil.domain.sources import DEFAULT_KEY, SOURCE_KINDS
from vigil.errors import VigilError
from vigil.services import sources as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
EMPTY_FORM = {"kind": "", "key": "", "reliability": "", "label": "", "notes": ""}


def _page(
    request: Request, who: Principal, db: Database, status: int = 200, **extra: Any
) -> Response:
    """The profiles and, for graders, the form (kept as sent when it was refused)."""
    with db.reading() as session:
        context = {
            "who": who,
            "profiles": service.list_profiles(session, who),
            "kinds": SOURCE_KINDS,
            "grades": RELIABILITY,
            "default_key": DEFAULT_KEY,
            "can_grade": who.role in SOURCE_GRADERS,
            "form": EMPTY_FORM,
            "error": None,
            "message": None,
            **extra,
        }
        return templates.TemplateResponse(request, "sources.html", context, status_code=status)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(
    request: Request,
    done: str = "",
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """Every source profile; the head of mission and admins may change them."""
    message = {"set": "Profile saved.", "removed": "Profile removed."}.get(done)
    return _page(request, who, db, message=message)


@router.post("/sources", response_class=HTMLResponse)
def set_profile(
    request: Request,
    kind: str = Form("", max_length=32),
    key: str = Form("", max_length=200),
    reliability: str = Form("", max_length=4),
    label: str = Form("", max_length=200),
    notes: str = Form("", max_length=2000),
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(SOURCE_GRADERS),
    db: Database = Depends(database),
) -> Response:
    """Create or change a profile (kind + key); errors come back with the values kept."""
    check_csrf(request, who, csrf_token)
    form = {"kind": kind, "key": key, "reliability": reliability, "label": label, "notes": notes}
    try:
        with db.writing() as session:
            service.set_profile(session, who, kind, key.strip(), reliability, label, notes)
    except VigilError as exc:
        return _page(request, who, db, exc.status, error=exc, form=form)
    return RedirectResponse("/sources?done=set", status_code=303)


@router.post("/sources/{profile_id}/remove")
def remove_profile(
    request: Request,
    profile_id: int,
    csrf_token: str = Form("", max_length=100),
    who: Principal = allow(SOURCE_GRADERS),
    db: Database = Depends(database),
) -> Response:
    """Remove a profile: its source falls back to its kind's default."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            service.remove_profile(session, who, profile_id)
    except VigilError as exc:
        if exc.code == "not_found":
            raise
        return _page(request, who, db, exc.status, error=exc)
    return RedirectResponse("/sources?done=removed", status_code=303)
