"""The hotline pages: the threads the caller may see with a form to open one (this module),
and one thread with its messages and the forms to act on them (hotline_thread). Liaisons use
the same pages behind their wall, which the service enforces. No JavaScript: a refusal shows
the form again with each error beside its field and the values kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain.roles import ALL_ROLES, HOTLINE_WRITERS
from vigil.errors import FieldError, VigilError
from vigil.services import hotline as service
from vigil.services.access import Principal
from vigil.services.hotline_access import walled
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web import cursor
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages import hotline_thread
from vigil.web.pages.hotline_thread import common, grouped, local_time
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


@dataclass(frozen=True)
class OpenForm:
    """What was typed into the form to open a thread, kept as text."""

    subject: str = ""
    recipient: str = ""
    body: str = ""
    origin: str = ""
    channel: str = "message"
    received_at: str = ""


def _list_page(
    request: Request,
    who: Principal,
    db: Database,
    form: OpenForm | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    status_filter = request.query_params.get("status", "")[:16]
    after = request.query_params.get("after", "")[:200]
    error = None
    with db.reading() as session:
        rows: list[Any] = []
        try:
            rows = list(service.list_threads(
                session, who, status_filter or None, None, cursor.decode(after), PAGE_SIZE
            ))  # fmt: skip
        except VigilError as exc:
            error, status = exc, max(status, exc.status)
        more = rows[-1] if len(rows) == PAGE_SIZE else None
        late = [] if walled(who) else service.list_escalations(session, who, False, 50)
        context = {
            **common(who, session), "rows": rows, "status_filter": status_filter, "error": error,
            "form": form or OpenForm(), "errors": grouped(errors), "late": late,
            "next": cursor.encode(more.opened_at, more.id) if more else "",
        }  # fmt: skip
        return templates.TemplateResponse(request, "hotline.html", context, status_code=status)


@router.get("/hotline", response_class=HTMLResponse)
def hotline_page(
    request: Request, who: Principal = allow(ALL_ROLES), db: Database = Depends(database)
) -> Response:
    """The threads the caller may see, and the form to open one."""
    return _list_page(request, who, db)


@router.post("/hotline", response_class=HTMLResponse)
def open_thread(
    request: Request,
    csrf_token: str = Form(""),
    subject: str = Form(""),
    recipient: str = Form(""),
    body: str = Form(""),
    origin: str = Form(""),
    channel: str = Form("message"),
    received_at: str = Form(""),
    who: Principal = allow(HOTLINE_WRITERS),
    db: Database = Depends(database),
) -> Response:
    """Open a thread from the form; a refusal shows the form again with why."""
    check_csrf(request, who, csrf_token)
    form = OpenForm(subject, recipient, body, origin, channel, received_at)
    errors: list[FieldError] = []
    with db.reading() as session:
        tz = mission_zone(session)
    when = local_time(received_at, "received_at", tz, errors)
    try:
        if errors:
            raise VigilError("validation_failed", errors[0].message, errors)
        first = service.MessageDraft(body, channel or "message", received_at=when)
        staff_origin = None if walled(who) else (origin or None)
        draft = service.ThreadDraft(subject, recipient, first, staff_origin)
        with db.writing() as session:
            thread = service.open_thread(session, who, draft)
            thread_id = thread.id
    except VigilError as exc:
        found = exc.errors or [FieldError("form", exc.detail)]
        return _list_page(request, who, db, form, found, exc.status)
    return RedirectResponse(f"/hotline/{thread_id}?done=opened", status_code=303)


router.include_router(hotline_thread.router)
