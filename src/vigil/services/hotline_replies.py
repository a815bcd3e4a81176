"""The hotline's replies: the party a message is for acknowledges it, then answers it (the
answer is a message of its own, back through the mission). Both clear the message's
escalations; both are audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain import hotline as rules
from vigil.domain.roles import HOTLINE_WRITERS
from vigil.errors import VigilError
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.hotline_access import load_message, load_thread, walled
from vigil.services.hotline_escalation import clear_for
from vigil.services.hotline_write import MessageDraft, act_time, fail, stamp
from vigil.store.tables import HotlineMessage


def acknowledge(
    session: Session,
    who: Principal | None,
    message_id: int,
    at: datetime | None = None,
    now: datetime | None = None,
) -> HotlineMessage:
    """The party the message is for confirmed receiving it (its liaison, or staff logging a
    phone call)."""
    who = require(who, HOTLINE_WRITERS)
    now = now or datetime.now(UTC)
    row = _addressed_and_relayed(session, who, message_id)
    if row.answers_id is not None:
        raise VigilError("state_conflict", f"message {message_id} is an answer: for information")
    if row.acknowledged_at is not None:
        raise VigilError("state_conflict", f"message {message_id} was acknowledged already")
    when = act_time(at, who, "at", now)
    fail(rules.order_errors("at", when, row.relayed_at or when, "relayed"))
    done = stamp(session, who, row, "acknowledge", {"acknowledged_at": when}, now)
    clear_for(session, who.actor, now, [row.id], ["unacknowledged"], "acknowledged")
    return done


def answer(
    session: Session,
    who: Principal | None,
    message_id: int,
    reply: MessageDraft,
    at: datetime | None = None,
    now: datetime | None = None,
) -> HotlineMessage:
    """The party answered the message: the answer becomes a message of the thread, addressed
    back to whoever raised it (the mission relays it); answering also acknowledges."""
    who = require(who, HOTLINE_WRITERS)
    now = now or datetime.now(UTC)
    row = _addressed_and_relayed(session, who, message_id)
    if row.answers_id is not None:
        raise VigilError("state_conflict", f"message {message_id} is itself an answer")
    if row.answered_at is not None:
        raise VigilError("state_conflict", f"message {message_id} was answered already")
    fail(
        rules.text_errors("body", reply.body, rules.BODY_MAX) + rules.channel_errors(reply.channel)
    )
    when = act_time(at, who, "at", now)
    fail(
        rules.order_errors(
            "at", when, row.acknowledged_at or row.relayed_at or when, "acknowledged"
        )
    )
    stamps = {"answered_at": when, "acknowledged_at": row.acknowledged_at or when}
    thread = load_thread(session, who, row.thread_id)
    if thread.status == "closed":
        raise VigilError("state_conflict", f"hotline thread {thread.id} is closed")
    reply_row = HotlineMessage(
        thread_id=row.thread_id, sender_user_id=who.user_id or None,
        sender_party_id=row.recipient_party_id, recipient_party_id=row.sender_party_id,
        channel="message" if walled(who) else reply.channel, body=reply.body.strip(),
        internal=False, answers_id=row.id, received_at=when, relayed_at=None,
        acknowledged_at=None, answered_at=None,
    )  # fmt: skip
    session.add(reply_row)
    session.flush()
    Auditor(session, who.actor, now).created("hotline.post", reply_row)
    stamp(session, who, row, "answer", stamps, now)
    clear_for(session, who.actor, now, [row.id], list(rules.ESCALATION_KINDS), "answered")
    return reply_row


def _addressed_and_relayed(session: Session, who: Principal, message_id: int) -> HotlineMessage:
    """A message the caller may acknowledge or answer: relayed to a party, and (for a
    liaison) to their own party."""
    row = load_message(session, who, message_id)
    if row.internal or row.recipient_party_id is None:
        raise VigilError("state_conflict", f"message {message_id} is not addressed to a party")
    if walled(who) and row.recipient_party_id != who.party_id:
        raise VigilError("forbidden", "only the party a message is for acknowledges or answers it")
    if row.relayed_at is None:
        raise VigilError("state_conflict", f"message {message_id} has not been relayed yet")
    return row
