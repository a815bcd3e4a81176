"""The hotline over the wire: threads (list, open, one), messages (post, relay, acknowledge,
answer), closing, escalations and response-time statistics. Liaisons reach the thread and
message routes behind their wall: anything not theirs answers 404, the same as nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request

from vigil.domain.roles import ALL_ROLES, HOTLINE_STAFF, HOTLINE_WRITERS, INTERNAL
from vigil.services import hotline as service
from vigil.services import hotline_read
from vigil.services.access import Principal
from vigil.services.hotline_access import walled
from vigil.store.db import Database
from vigil.web import cursor
from vigil.web.api.filters import CURSOR, LIMIT
from vigil.web.deps import allow, database
from vigil.web.schemas.hotline import (
    AnswerIn,
    EscalationOut,
    LiaisonMessageOut,
    LiaisonThreadDetail,
    LiaisonThreadOut,
    MessageIn,
    Names,
    PartyStatsOut,
    StaffMessageOut,
    StaffThreadDetail,
    StaffThreadOut,
    StampIn,
    StatsOut,
    ThreadIn,
    ThreadPage,
)

router = APIRouter(prefix="/api/v1/hotline", tags=["hotline"])
Detail = StaffThreadDetail | LiaisonThreadDetail
MessageOut = StaffMessageOut | LiaisonMessageOut


def _names(session) -> Names:  # type: ignore[no-untyped-def]
    return Names(*hotline_read.names(session))


def _thread(who: Principal, session, thread_id: int) -> Detail:  # type: ignore[no-untyped-def]
    view = service.get_thread(session, who, thread_id)
    cls = LiaisonThreadDetail if walled(who) else StaffThreadDetail
    return cls.of_view(view, _names(session))


def _message(who: Principal, session, row) -> MessageOut:  # type: ignore[no-untyped-def]
    cls = LiaisonMessageOut if walled(who) else StaffMessageOut
    return cls.of(row, _names(session))


@router.get("/threads", response_model=ThreadPage)
def list_threads(
    status: str | None = Query(None, max_length=16, description="open, relayed, ... closed"),
    party: str | None = Query(None, max_length=16, description="Origin or recipient (code)"),
    limit: int = LIMIT,
    after: str | None = CURSOR,
    who: Principal = allow(ALL_ROLES),
    db: Database = Depends(database),
) -> ThreadPage:
    """Threads newest first: a liaison's party's only, every thread for the mission."""
    with db.reading() as session:
        rows = service.list_threads(session, who, status, party, cursor.decode(after), limit)
        names = _names(session)
        cls = LiaisonThreadOut if walled(who) else StaffThreadOut
        items = [cls.of(t, names) for t in rows]
    nxt = cursor.encode(rows[-1].opened_at, rows[-1].id) if len(rows) == limit else None
    return ThreadPage(items=items, next_cursor=nxt)


@router.post("/threads", status_code=201, response_model=Detail)
def open_thread(
    body: ThreadIn, who: Principal = allow(HOTLINE_WRITERS), db: Database = Depends(database)
) -> Detail:
    """Raise a concern with a party; its first message waits for the mission to relay it."""
    first = service.MessageDraft(body.body, body.channel, received_at=body.received_at)
    draft = service.ThreadDraft(body.subject, body.recipient, first, body.origin)
    with db.writing() as session:
        thread = service.open_thread(session, who, draft)
        return _thread(who, session, thread.id)


@router.get("/threads/{thread_id}", response_model=Detail)
def get_thread(
    thread_id: int, who: Principal = allow(ALL_ROLES), db: Database = Depends(database)
) -> Detail:
    """One thread with the messages the caller may see (404 if not theirs)."""
    with db.reading() as session:
        return _thread(who, session, thread_id)


@router.post("/threads/{thread_id}/messages", status_code=201, response_model=MessageOut)
def post_message(
    thread_id: int,
    body: MessageIn,
    who: Principal = allow(HOTLINE_WRITERS),
    db: Database = Depends(database),
) -> MessageOut:
    """Add a message (staff: also an internal note, or a call logged on a party's behalf)."""
    draft = service.MessageDraft(
        body.body, body.channel, body.internal, body.sender_party, body.recipient,
        body.received_at,
    )  # fmt: skip
    with db.writing() as session:
        return _message(who, session, service.post(session, who, thread_id, draft))


@router.post("/threads/{thread_id}/close", response_model=StaffThreadOut)
def close(
    thread_id: int, who: Principal = allow(HOTLINE_STAFF), db: Database = Depends(database)
) -> StaffThreadOut:
    """Close a thread; its open escalations are cleared."""
    with db.writing() as session:
        return StaffThreadOut.of(service.close(session, who, thread_id), _names(session))


@router.post("/messages/{message_id}/relay", response_model=StaffMessageOut)
def relay(
    message_id: int,
    body: StampIn | None = None,
    who: Principal = allow(HOTLINE_STAFF),
    db: Database = Depends(database),
) -> StaffMessageOut:
    """The mission passed the message on to the party it is for; its clock starts."""
    with db.writing() as session:
        row = service.relay(session, who, message_id, body.at if body else None)
        return StaffMessageOut.of(row, _names(session))


@router.post("/messages/{message_id}/acknowledge", response_model=MessageOut)
def acknowledge(
    message_id: int,
    body: StampIn | None = None,
    who: Principal = allow(HOTLINE_WRITERS),
    db: Database = Depends(database),
) -> MessageOut:
    """The party the message is for confirms receiving it."""
    with db.writing() as session:
        row = service.acknowledge(session, who, message_id, body.at if body else None)
        return _message(who, session, row)


@router.post("/messages/{message_id}/answer", status_code=201, response_model=MessageOut)
def answer(
    message_id: int,
    body: AnswerIn,
    who: Principal = allow(HOTLINE_WRITERS),
    db: Database = Depends(database),
) -> MessageOut:
    """The party answers the message; the answer (returned) goes back through the mission."""
    reply = service.MessageDraft(body.body, body.channel)
    with db.writing() as session:
        return _message(who, session, service.answer(session, who, message_id, reply, body.at))


@router.get("/escalations", response_model=list[EscalationOut])
def escalations(
    include_cleared: bool = Query(False, description="Also those already cleared"),
    limit: int = LIMIT,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> list[EscalationOut]:
    """Late acknowledgements and answers, newest first."""
    with db.reading() as session:
        found = service.list_escalations(session, who, include_cleared, limit)
        names = _names(session)
        return [EscalationOut.of(v.escalation, v.message, v.thread, names) for v in found]


@router.post("/escalations/check", response_model=list[EscalationOut])
def check(
    request: Request, who: Principal = allow(HOTLINE_STAFF), db: Database = Depends(database)
) -> list[EscalationOut]:
    """Escalate now whatever is due (the server also does this every minute)."""
    settings = request.app.state.settings
    with db.writing() as session:
        made = service.evaluate(
            session, who, datetime.now(UTC), settings.hotline_ack_s, settings.hotline_answer_s
        )
        made_ids = {e.id for e in made}
        views = service.list_escalations(session, who, False, 1000)
        names = _names(session)
        return [
            EscalationOut.of(v.escalation, v.message, v.thread, names)
            for v in views
            if v.escalation.id in made_ids
        ]


@router.get("/stats", response_model=StatsOut)
def stats(
    time_from: datetime = Query(..., alias="from", description="Relayed at or after (ISO 8601)"),
    time_to: datetime = Query(..., alias="to", description="Relayed before (ISO 8601)"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> StatsOut:
    """Per party: messages relayed to it, median time to acknowledge and to answer, share
    answered."""
    with db.reading() as session:
        found = service.statistics(session, who, time_from, time_to)
    parties = [PartyStatsOut.of(s) for s in found]
    return StatsOut.model_validate({"from": time_from, "to": time_to, "parties": parties})
