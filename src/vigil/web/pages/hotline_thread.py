"""One hotline thread as a page: its messages in order with every time, internal notes marked
(staff only: the service never hands them to a liaison), and the forms each role may use to
post, relay, record an acknowledgement or an answer, and close. A refusal shows the page
again with the errors beside the fields of the form that was sent, its values kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain import hotline as rules
from vigil.domain.roles import ALL_ROLES, HOTLINE_STAFF, HOTLINE_WRITERS
from vigil.errors import FieldError, VigilError
from vigil.services import hotline as service
from vigil.services import hotline_read
from vigil.services.access import Principal
from vigil.services.hotline_access import walled
from vigil.services.map import mission_zone
from vigil.store.db import Database
from vigil.web.deps import allow, check_csrf, database
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Sent:
    """The form that was sent and refused: which one, its values, its errors."""

    form: str = ""  # "post", or "relay-ID", "acknowledge-ID", "answer-ID", "close"
    values: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


def local_time(text: str, name: str, tz: ZoneInfo, errors: list[FieldError]) -> datetime | None:
    """A datetime-local value in mission time (None when blank), or an error beside it."""
    if not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        errors.append(FieldError(name, "a date and time, e.g. 2020-11-20T10:30"))
        return None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def grouped(errors: list[FieldError] | None) -> dict[str, list[str]]:
    """Errors by field, for the template."""
    found: dict[str, list[str]] = {}
    for e in errors or []:
        found.setdefault(e.field.split(".")[0], []).append(e.message)
    return found


def common(who: Principal, session: Any) -> dict[str, Any]:
    """What every hotline page needs: who, the CSRF token, parties, names, labels."""
    parties, users = hotline_read.names(session)
    return {
        "who": who, "csrf": who.csrf_token or "", "tz": mission_zone(session),
        "staff": not walled(who), "can_write": who.role in HOTLINE_WRITERS,
        "can_relay": who.role in HOTLINE_STAFF, "party_list": hotline_read.parties(session),
        "parties": parties, "users": users, "rules": rules,
    }  # fmt: skip


def _may_respond(who: Principal, m: Any) -> bool:
    """Whether the caller may acknowledge or answer this message (the service decides too)."""
    if m.internal or m.recipient_party_id is None or m.relayed_at is None:
        return False
    if walled(who):
        return m.recipient_party_id == who.party_id
    return who.role in HOTLINE_STAFF


def _thread_page(
    request: Request, who: Principal, db: Database, thread_id: int, sent: Sent | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    with db.reading() as session:
        view = service.get_thread(session, who, thread_id)
        context = {
            **common(who, session), "thread": view.thread, "messages": view.messages,
            "escalations": view.escalations, "sent": sent or Sent(),
            "errors": grouped(sent.errors if sent else None),
            "may_respond": lambda m: _may_respond(who, m),
            "done": request.query_params.get("done", "")[:20],
        }  # fmt: skip
        return templates.TemplateResponse(request, "hotline_thread.html", context, status)


@router.get("/hotline/{thread_id}", response_class=HTMLResponse)
def thread_page(
    request: Request,
    thread_id: int,
    who: Principal = allow(ALL_ROLES),
    db: Database = Depends(database),
) -> Response:
    """One thread: its messages and the forms the caller may use."""
    return _thread_page(request, who, db, thread_id)


def _act(
    request: Request, who: Principal, db: Database, thread_id: int, sent: Sent, act: Any
) -> Response:
    """Run one action in a transaction; on refusal show the page again with the errors."""
    errors = list(sent.errors)
    try:
        if errors:
            raise VigilError("validation_failed", errors[0].message, errors)
        with db.writing() as session:
            act(session)
    except VigilError as exc:
        if exc.status == 404:
            raise
        failed = Sent(sent.form, sent.values, exc.errors or [FieldError("form", exc.detail)])
        return _thread_page(request, who, db, thread_id, failed, exc.status)
    return RedirectResponse(f"/hotline/{thread_id}?done={sent.form.split('-')[0]}", 303)


def _tz(db: Database) -> ZoneInfo:
    with db.reading() as session:
        return mission_zone(session)


@router.post("/hotline/{thread_id}/messages", response_class=HTMLResponse)
def post_message(
    request: Request,
    thread_id: int,
    csrf_token: str = Form(""),
    body: str = Form(""),
    internal: str = Form(""),
    sender_party: str = Form(""),
    recipient: str = Form(""),
    channel: str = Form("message"),
    received_at: str = Form(""),
    who: Principal = allow(HOTLINE_WRITERS),
    db: Database = Depends(database),
) -> Response:
    """Post a message (staff: also an internal note or a call logged on a party's behalf)."""
    check_csrf(request, who, csrf_token)
    values = {"body": body, "internal": internal, "sender_party": sender_party,
              "recipient": recipient, "channel": channel, "received_at": received_at}  # fmt: skip
    errors: list[FieldError] = []
    when = local_time(received_at, "received_at", _tz(db), errors)
    staff = not walled(who)
    draft = service.MessageDraft(
        body, channel or "message", bool(internal) and staff, (sender_party or None) if staff
        else None, (recipient or None) if staff else None, when,
    )  # fmt: skip
    sent = Sent("post", values, errors)
    return _act(request, who, db, thread_id, sent,
                lambda s: service.post(s, who, thread_id, draft))  # fmt: skip


@router.post("/hotline/{thread_id}/messages/{message_id}/{action}", response_class=HTMLResponse)
def respond(
    request: Request,
    thread_id: int,
    message_id: int,
    action: str,
    csrf_token: str = Form(""),
    at: str = Form(""),
    body: str = Form(""),
    channel: str = Form("message"),
    who: Principal = allow(HOTLINE_WRITERS),
    db: Database = Depends(database),
) -> Response:
    """Relay (staff), acknowledge or answer a message; staff may log when it happened."""
    check_csrf(request, who, csrf_token)
    if action not in ("relay", "acknowledge", "answer"):
        raise VigilError("not_found", f"no action {action[:20]!r}")
    errors: list[FieldError] = []
    when = local_time(at, "at", _tz(db), errors) if not walled(who) else None
    sent = Sent(f"{action}-{message_id}", {"at": at, "body": body, "channel": channel}, errors)

    def act(session: Any) -> None:
        if service.get_thread(session, who, thread_id).thread.id != thread_id:
            raise VigilError("not_found", f"no hotline thread {thread_id}")
        if action == "relay":
            service.relay(session, who, message_id, when)
        elif action == "acknowledge":
            service.acknowledge(session, who, message_id, when)
        else:
            reply = service.MessageDraft(body, channel or "message")
            service.answer(session, who, message_id, reply, when)

    return _act(request, who, db, thread_id, sent, act)


@router.post("/hotline/{thread_id}/close", response_class=HTMLResponse)
def close(
    request: Request,
    thread_id: int,
    csrf_token: str = Form(""),
    who: Principal = allow(HOTLINE_STAFF),
    db: Database = Depends(database),
) -> Response:
    """Close the thread."""
    check_csrf(request, who, csrf_token)
    sent = Sent("close", {}, [])
    return _act(request, who, db, thread_id, sent, lambda s: service.close(s, who, thread_id))
