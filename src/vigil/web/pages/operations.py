"""The operations room: open alarms on top with an Acknowledge form each, the patrols out
with their last sign of life and when the next is due, a radio check-in form per patrol, and
the check-in button for members of a patrol out. Works without JavaScript; a small script
refreshes the alarms every 15 seconds. A refusal shows its message beside its form."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain.roles import DUTY_OFFICERS, INTERNAL
from vigil.errors import VigilError
from vigil.services import safety as service
from vigil.services.access import Principal
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)
RECENT = 20
MAX_NOTE = 2000


def _ago(now: datetime, then: datetime | None) -> str:
    """How long ago (or, negative, how long until), in words a duty officer scans fast."""
    if then is None:
        return "never"
    s = int((now - then).total_seconds())
    text = (
        f"{abs(s) // 3600} h {abs(s) % 3600 // 60} min" if abs(s) >= 3600 else f"{abs(s) // 60} min"
    )
    return f"{text} ago" if s >= 0 else f"in {text}"


def _page(
    request: Request, who: Principal, db: Database, errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    now = datetime.now(UTC)
    with db.reading() as session:
        tz = mission_zone(session)
        open_alarms = service.alarms(session, who, True, 500)
        recent = [a for a in service.alarms(session, who, False, RECENT) if a.acknowledged_at]
        watch = service.watch(session, who, now)
        ids = {a.patrol_id for a in [*open_alarms, *recent]} | {w.patrol.id for w in watch}
        context = {
            "who": who, "csrf": who.csrf_token or "", "tz": tz, "now": now, "ago": _ago,
            "alarms": open_alarms, "recent": recent, "watch": watch,
            "codes": service.patrol_codes(session, ids), "users": service.usernames(session),
            "own": service.own_patrols(session, who), "can_ack": who.role in DUTY_OFFICERS,
            "errors": errors or {}, "done": request.query_params.get("done", "")[:80],
        }  # fmt: skip
        return templates.TemplateResponse(request, "operations.html", context, status_code=status)


@router.get("/operations", response_class=HTMLResponse)
def operations_page(
    request: Request, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """Open alarms, the patrols out, and the check-in forms."""
    return _page(request, who, db)


@router.post("/operations/alarms/{alarm_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(
    request: Request,
    alarm_id: int,
    csrf_token: str = Form(""),
    note: str = Form(""),
    who: Principal = allow(DUTY_OFFICERS),
    db: Database = Depends(database),
) -> Response:
    """Acknowledge an alarm from its form."""
    check_csrf(request, who, csrf_token)
    try:
        with db.writing() as session:
            service.acknowledge(session, who, alarm_id, note)
    except VigilError as exc:
        return _page(request, who, db, {f"alarm-{alarm_id}": _message(exc)}, exc.status)
    return RedirectResponse(f"/operations?done=alarm+{alarm_id}+acknowledged", status_code=303)


@router.post("/operations/check-ins", response_class=HTMLResponse)
def check_in(
    request: Request,
    csrf_token: str = Form(""),
    patrol_id: str = Form(""),
    kind: str = Form("radio"),
    note: str = Form(""),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """Log a radio call (duty officer) or press the check-in button (a patrol's member)."""
    check_csrf(request, who, csrf_token)
    key = f"{kind}-{patrol_id.strip()[:12]}"
    try:
        if not patrol_id.strip().isdigit():
            raise VigilError("not_found", "choose a patrol")
        with db.writing() as session:
            row = service.check_in(session, who, int(patrol_id), kind, None, note)
            code = service.patrol_codes(session, [row.patrol_id]).get(row.patrol_id, "")
    except VigilError as exc:
        return _page(request, who, db, {key: _message(exc)}, exc.status)
    done = quote_plus(f"check-in logged for {code}")
    return RedirectResponse(f"/operations?done={done}", status_code=303)


def _message(exc: VigilError) -> str:
    """One line for the form: the first field's complaint, or the detail."""
    return f"{exc.errors[0].field}: {exc.errors[0].message}" if exc.errors else exc.detail
