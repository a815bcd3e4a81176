"""The hotline between the parties, as pure rules: a thread's statuses, the channels a message
comes by, what a valid message and its times look like, who of a party may see what, when a
late acknowledgement or answer is escalated, and the response-time statistics per party.

A message addressed to a party waits for the mission to relay it; from then on its clock
runs: the party acknowledges it, then answers it (an answer is itself a message, which the
mission relays back). A message that answers another expects no answer of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from vigil.errors import FieldError

# Where a thread stands: the least advanced stage among its pending requests.
STATUSES: dict[str, str] = {
    "open": "Open: waiting for the mission to relay",
    "relayed": "Relayed: waiting for acknowledgement",
    "acknowledged": "Acknowledged: waiting for an answer",
    "answered": "Answered",
    "closed": "Closed",
}
# Which status may follow which: a thread moves as its messages do (a follow-up reopens the
# cycle), until it is closed; closed is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"open", "relayed", "acknowledged", "answered", "closed"}),
    "relayed": frozenset({"open", "relayed", "acknowledged", "answered", "closed"}),
    "acknowledged": frozenset({"open", "relayed", "acknowledged", "answered", "closed"}),
    "answered": frozenset({"open", "relayed", "acknowledged", "answered", "closed"}),
    "closed": frozenset(),
}
CHANNELS: dict[str, str] = {"phone": "Phone", "message": "Message", "in_person": "In person"}
ESCALATION_KINDS: dict[str, str] = {
    "unacknowledged": "Not acknowledged in time",
    "unanswered": "Not answered in time",
}
SUBJECT_MAX = 300
BODY_MAX = 10_000
EARLIEST_YEAR = 1990


def status_label(status: str) -> str:
    """A status in words."""
    return STATUSES.get(status, status)


def channel_label(channel: str) -> str:
    """A channel in words."""
    return CHANNELS.get(channel, channel.replace("_", " "))


def may_move(old: str, new: str) -> bool:
    """True when a thread in `old` may move to `new`."""
    return new in TRANSITIONS.get(old, frozenset())


def text_errors(field: str, value: str, most: int) -> list[FieldError]:
    """A subject or body: not blank, at most `most` characters."""
    if not value.strip():
        return [FieldError(field, "fill this in")]
    if len(value) > most:
        return [FieldError(field, f"at most {most} characters, not {len(value)}")]
    return []


def channel_errors(channel: str) -> list[FieldError]:
    """A channel must be one the hotline knows."""
    if channel not in CHANNELS:
        return [FieldError("channel", f"one of {', '.join(CHANNELS)}")]
    return []


def time_errors(field: str, when: datetime, now: datetime, skew_s: int) -> list[FieldError]:
    """A time must carry its zone, be plausible and not lie in the future beyond clock skew."""
    if when.tzinfo is None:
        return [FieldError(field, "give a time zone, e.g. 2020-11-20T10:30:00+04:00")]
    if when.year < EARLIEST_YEAR:
        return [FieldError(field, f"not a plausible time: before {EARLIEST_YEAR}")]
    if when > now + timedelta(seconds=skew_s):
        return [FieldError(field, "lies in the future")]
    return []


def order_errors(
    field: str, when: datetime, earlier: datetime, earlier_name: str
) -> list[FieldError]:
    """received <= relayed <= acknowledged <= answered."""
    if when < earlier:
        return [FieldError(field, f"before the message was {earlier_name}")]
    return []


@dataclass(frozen=True)
class Stage:
    """What the status of a thread is worked out from: one non-internal message."""

    expects_answer: bool  # a request, not an answer to another message
    addressed: bool  # to a party (not to the mission itself)
    relayed: bool
    acknowledged: bool
    answered: bool


def thread_status(messages: Iterable[Stage], closed: bool) -> str:
    """The least advanced stage among the requests to a party still pending (answered when
    none are). Answers do not move it: relaying them back shows on each message."""
    if closed:
        return "closed"
    status = "answered"
    rank = list(STATUSES)
    for m in messages:
        if not m.addressed or not m.expects_answer:
            continue
        if not m.relayed:
            stage = "open"
        elif not m.acknowledged:
            stage = "relayed"
        elif not m.answered:
            stage = "acknowledged"
        else:
            continue
        status = min(status, stage, key=rank.index)
    return status


def liaison_sees(
    party_id: int | None,
    internal: bool,
    sender_party_id: int | None,
    recipient_party_id: int | None,
    relayed: bool,
) -> bool:
    """The wall: a liaison sees their party's own messages, and those relayed to their party;
    never an internal note, never a message still waiting for the mission."""
    if party_id is None or internal:
        return False
    return sender_party_id == party_id or (recipient_party_id == party_id and relayed)


@dataclass(frozen=True)
class Timing:
    """One relayed message's clock, for escalation and statistics."""

    message_id: int
    recipient: str  # the party's code
    expects_answer: bool
    relayed_at: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None


def due_escalations(
    timings: Iterable[Timing],
    raised: set[tuple[int, str]],
    now: datetime,
    ack_s: float,
    answer_s: float,
) -> list[tuple[int, str]]:
    """(message id, kind) of every escalation due now and not raised before: a relayed
    request not acknowledged within ack_s, or not answered within answer_s."""
    due = []
    for t in timings:
        if not t.expects_answer:  # an answer relayed back is for information: no clock
            continue
        waited = (now - t.relayed_at).total_seconds()
        if t.acknowledged_at is None and waited >= ack_s:
            due.append((t.message_id, "unacknowledged"))
        if t.answered_at is None and waited >= answer_s:
            due.append((t.message_id, "unanswered"))
    return [d for d in due if d not in raised]


@dataclass(frozen=True)
class PartyStats:
    """How one party responded to the requests the mission relayed to it (answers relayed
    back are for information and not counted)."""

    party: str
    messages: int  # requests relayed to the party
    acknowledged: int
    median_ack_s: float | None
    answered: int
    median_answer_s: float | None

    @property
    def share_answered(self) -> float | None:
        """Answered requests as a share of those relayed (None when there were none)."""
        return self.answered / self.messages if self.messages else None


def party_stats(party: str, timings: Sequence[Timing]) -> PartyStats:
    """The statistics of one party from its requests' clocks."""
    requests = [t for t in timings if t.expects_answer]
    acks = [
        (t.acknowledged_at - t.relayed_at).total_seconds() for t in requests if t.acknowledged_at
    ]
    answers = [(t.answered_at - t.relayed_at).total_seconds() for t in requests if t.answered_at]
    return PartyStats(
        party,
        len(requests),
        len(acks),
        float(median(acks)) if acks else None,
        len(answers),
        float(median(answers)) if answers else None,
    )


def statistics(parties: Iterable[str], timings: Iterable[Timing]) -> list[PartyStats]:
    """Per party (every party given, in that order, also those that received nothing)."""
    by_party: dict[str, list[Timing]] = {p: [] for p in parties}
    for t in timings:
        by_party.setdefault(t.recipient, []).append(t)
    return [party_stats(p, ts) for p, ts in by_party.items()]


def duration_text(seconds: float | None) -> str:
    """A response time for people: 4 min, 2 h 05 min, 3 d 4 h."""
    if seconds is None:
        return "—"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min" if minutes else f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
