"""What the hotline's writes share: the drafts as given, checks that collect every error,
the time of an act (a liaison's is now), and setting a message's times with the thread's
status following them, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain import hotline as rules
from vigil.errors import FieldError, VigilError
from vigil.queries import hotline as hotline_q
from vigil.services.access import Principal
from vigil.services.audit import Auditor
from vigil.services.hotline_access import load_thread, walled
from vigil.store.snapshots import row_values
from vigil.store.tables import HotlineMessage, HotlineThread

SKEW_S = 300  # how far ahead a clock may run before a time counts as "in the future"


@dataclass(frozen=True)
class MessageDraft:
    """A message as given. Staff may say on whose behalf it came (sender_party), for whom
    (recipient), by which channel and when it was received; a liaison's come from their
    party, now, by message, and go to the other party of the thread."""

    body: str
    channel: str = "message"
    internal: bool = False
    sender_party: str | None = None
    recipient: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class ThreadDraft:
    """A new thread and its first message. `origin` (staff only): the party on whose behalf
    it is raised, None for the mission itself."""

    subject: str
    recipient: str
    message: MessageDraft
    origin: str | None = None


def fail(errors: list[FieldError]) -> None:
    """Refuse with every error at once (nothing is written)."""
    if errors:
        raise VigilError("validation_failed", f"{errors[0].field}: {errors[0].message}", errors)


def party_id(session: Session, code: str | None, field: str) -> int | None:
    """A party's id from its code (None for none); an unknown code is refused."""
    if code is None or not code.strip():
        return None
    party = hotline_q.party_by_code(session, code.strip())
    if party is None:
        raise VigilError(
            "unknown_reference",
            f"{field}: no party {code!r}",
            [FieldError(field, f"no party {code!r}")],
        )
    return party.id


def act_time(at: datetime | None, who: Principal, field: str, now: datetime) -> datetime:
    """The time of an act: a liaison's is now; staff may log an earlier one (a phone call)."""
    if at is None:
        return now
    if walled(who):
        raise VigilError(
            "validation_failed", f"{field}: the time of a liaison's act is when it is sent",
            [FieldError(field, "only mission staff log times")],
        )  # fmt: skip
    fail(rules.time_errors(field, at, now, SKEW_S))
    return at.astimezone(UTC)


def stamp(
    session: Session,
    who: Principal,
    row: HotlineMessage,
    action: str,
    stamps: dict[str, datetime],
    now: datetime,
) -> HotlineMessage:
    """Set a message's times, audited, and let its thread's status follow."""
    thread = load_thread(session, who, row.thread_id)
    if thread.status == "closed":
        raise VigilError("state_conflict", f"hotline thread {thread.id} is closed")
    before = row_values(row)
    for name, value in stamps.items():
        setattr(row, name, value)
    session.flush()
    audit = Auditor(session, who.actor, now)
    audit.changed(f"hotline.{action}", row, before)
    refresh(session, thread, audit)
    return row


def refresh(session: Session, thread: HotlineThread, audit: Auditor) -> None:
    """Set the thread's status from its messages (audited when it changes)."""
    stages = [
        rules.Stage(m.answers_id is None, m.recipient_party_id is not None,
                    m.relayed_at is not None, m.acknowledged_at is not None,
                    m.answered_at is not None)
        for m in hotline_q.messages(session, thread.id, None, False)
        if not m.internal
    ]  # fmt: skip
    status = rules.thread_status(stages, thread.status == "closed")
    if status == thread.status:
        return
    if not rules.may_move(thread.status, status):
        raise VigilError("state_conflict", f"hotline thread {thread.id} is {thread.status}")
    before = row_values(thread)
    thread.status = status
    session.flush()
    audit.changed("hotline.status", thread, before)
