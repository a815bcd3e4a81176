"""The hotline's writes: open a thread, post into it, relay a message to the party it is for,
record its acknowledgement and answer, close the thread. Every write is audited in the
caller's transaction (a refusal writes nothing), the thread's status follows its messages,
and the liaison wall (services.hotline_access) holds for every call.

Reads live in services.hotline_read, escalation in services.hotline_escalation; both are
re-exported here (`hotline.escalate_due(session, now)` is what a scheduler calls).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain import hotline as rules
from vigil.domain.roles import HOTLINE_STAFF, HOTLINE_WRITERS
from vigil.errors import FieldError, VigilError
from vigil.queries import hotline as hotline_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.hotline_access import load_message, load_thread, walled
from vigil.services.hotline_escalation import clear_for, escalate_due, evaluate
from vigil.services.hotline_read import get_thread, list_escalations, list_threads, statistics
from vigil.services.hotline_replies import acknowledge, answer
from vigil.services.hotline_write import (
    MessageDraft,
    ThreadDraft,
    act_time,
    fail,
    party_id,
    refresh,
    stamp,
)
from vigil.store.snapshots import row_values
from vigil.store.tables import HotlineMessage, HotlineThread

__all__ = [
    "escalate_due", "evaluate", "get_thread", "list_threads", "list_escalations", "statistics",
    "open_thread", "post", "relay", "acknowledge", "answer", "close", "MessageDraft",
    "ThreadDraft",
]  # fmt: skip


def open_thread(
    session: Session, who: Principal | None, draft: ThreadDraft, now: datetime | None = None
) -> HotlineThread:
    """Raise a concern with a party: a liaison for their own party, staff for the mission or
    on a party's behalf. The first message waits for the mission to relay it."""
    who = require(who, HOTLINE_WRITERS)
    now = now or datetime.now(UTC)
    errors = rules.text_errors("subject", draft.subject, rules.SUBJECT_MAX)
    errors += rules.text_errors("body", draft.message.body, rules.BODY_MAX)
    errors += rules.channel_errors(draft.message.channel)
    fail(errors)
    recipient = party_id(session, draft.recipient, "recipient")
    if recipient is None:
        fail([FieldError("recipient", "name the party the concern is for")])
    if walled(who) and (draft.origin is not None or who.party_id is None):
        raise VigilError("forbidden", "a liaison raises threads for their own party only")
    origin = who.party_id if walled(who) else party_id(session, draft.origin, "origin")
    if origin == recipient:
        fail([FieldError("recipient", "a party raises a concern with another party")])
    received = act_time(draft.message.received_at, who, "received_at", now)
    thread = HotlineThread(
        subject=draft.subject.strip(), origin_party_id=origin, recipient_party_id=recipient,
        status="open", opened_by=who.user_id or None, opened_at=received, closed_at=None,
    )  # fmt: skip
    session.add(thread)
    session.flush()
    audit = Auditor(session, who.actor, now)
    audit.created("hotline.open", thread)
    first = HotlineMessage(
        thread_id=thread.id, sender_user_id=who.user_id or None, sender_party_id=origin,
        recipient_party_id=recipient,
        channel="message" if walled(who) else draft.message.channel,
        body=draft.message.body.strip(), internal=False, answers_id=None, received_at=received,
        relayed_at=None, acknowledged_at=None, answered_at=None,
    )  # fmt: skip
    session.add(first)
    session.flush()
    audit.created("hotline.post", first)
    return thread


def _recipient(
    session: Session, thread: HotlineThread, sender: int | None, draft: MessageDraft
) -> int | None:
    """Whom a message is for: as given (staff), else the other party of the thread."""
    if draft.recipient is not None:
        return party_id(session, draft.recipient, "recipient")
    if sender is not None and sender == thread.recipient_party_id:
        return thread.origin_party_id
    return thread.recipient_party_id


def post(
    session: Session,
    who: Principal | None,
    thread_id: int,
    draft: MessageDraft,
    now: datetime | None = None,
) -> HotlineMessage:
    """Add a message to a thread (staff may add internal notes, which no liaison sees)."""
    who = require(who, HOTLINE_WRITERS)
    now = now or datetime.now(UTC)
    thread = load_thread(session, who, thread_id)
    errors = rules.text_errors("body", draft.body, rules.BODY_MAX) + rules.channel_errors(
        draft.channel
    )
    fail(errors)
    if walled(who) and (draft.internal or draft.sender_party or draft.recipient):
        raise VigilError("forbidden", "a liaison posts as their party, to the other party")
    if thread.status == "closed":
        raise VigilError("state_conflict", f"hotline thread {thread_id} is closed")
    sender = who.party_id if walled(who) else party_id(session, draft.sender_party, "sender_party")
    recipient = None if draft.internal else _recipient(session, thread, sender, draft)
    if recipient is not None and recipient == sender:
        fail([FieldError("recipient", "a party does not write to itself through the mission")])
    row = HotlineMessage(
        thread_id=thread.id, sender_user_id=who.user_id or None, sender_party_id=sender,
        recipient_party_id=recipient, channel="message" if walled(who) else draft.channel,
        body=draft.body.strip(), internal=draft.internal, answers_id=None,
        received_at=act_time(draft.received_at, who, "received_at", now), relayed_at=None,
        acknowledged_at=None, answered_at=None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit = Auditor(session, who.actor, now)
    audit.created("hotline.post", row)
    refresh(session, thread, audit)
    return row


def relay(
    session: Session,
    who: Principal | None,
    message_id: int,
    at: datetime | None = None,
    now: datetime | None = None,
) -> HotlineMessage:
    """The mission passed the message on to the party it is for: its clock starts."""
    who = require(who, HOTLINE_STAFF)
    now = now or datetime.now(UTC)
    row = load_message(session, who, message_id)
    if row.internal or row.recipient_party_id is None:
        raise VigilError("state_conflict", f"message {message_id} is not addressed to a party")
    if row.relayed_at is not None:
        raise VigilError("state_conflict", f"message {message_id} was relayed at {row.relayed_at}")
    when = act_time(at, who, "at", now)
    fail(rules.order_errors("at", when, row.received_at, "received"))
    return stamp(session, who, row, "relay", {"relayed_at": when}, now)


def close(
    session: Session, who: Principal | None, thread_id: int, now: datetime | None = None
) -> HotlineThread:
    """Close a thread: nothing more is posted, its open escalations are cleared."""
    who = require(who, HOTLINE_STAFF)
    now = now or datetime.now(UTC)
    thread = hotline_q.lock_thread(session, thread_id)
    if thread is None:
        raise VigilError("not_found", f"no hotline thread {thread_id}")
    if not rules.may_move(thread.status, "closed"):
        raise VigilError("state_conflict", f"hotline thread {thread_id} is {thread.status}")
    before = row_values(thread)
    thread.status, thread.closed_at = "closed", now.astimezone(UTC)
    session.flush()
    Auditor(session, who.actor, now).changed("hotline.close", thread, before)
    ids = [m.id for m in hotline_q.messages(session, thread.id, None, False)]
    clear_for(session, who.actor, now, ids, list(rules.ESCALATION_KINDS), "thread closed")
    return thread
