"""The hotline's reads: threads a caller may see (behind the liaison wall for liaisons), one
thread with the messages the caller may see, escalations and response-time statistics for
the mission's staff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vigil.domain import hotline as rules
from vigil.domain.periods import check_range
from vigil.domain.roles import ALL_ROLES, INTERNAL
from vigil.errors import invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import hotline as hotline_q
from vigil.services.access import Principal, require
from vigil.services.hotline_access import load_thread, walled
from vigil.store.tables import HotlineEscalation, HotlineMessage, HotlineThread, Party


@dataclass(frozen=True)
class ThreadView:
    """A thread with the messages the caller may see, and (staff) its escalations."""

    thread: HotlineThread
    messages: Sequence[HotlineMessage]
    escalations: Sequence[HotlineEscalation]


@dataclass(frozen=True)
class EscalationView:
    """An escalation with the message and thread it is about."""

    escalation: HotlineEscalation
    message: HotlineMessage
    thread: HotlineThread


def list_threads(
    session: Session,
    who: Principal | None,
    status: str | None = None,
    party: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
) -> Sequence[HotlineThread]:
    """Threads newest first: a liaison's only behind their wall, staff's all."""
    who = require(who, ALL_ROLES)
    if status and status not in rules.STATUSES:
        raise invalid("status", f"one of {', '.join(rules.STATUSES)}")
    party_id = None
    if party:
        found = hotline_q.party_by_code(session, party.strip())
        if found is None:
            raise invalid("party", f"no party {party!r}", "unknown_reference")
        party_id = found.id
    return hotline_q.threads(
        session, who.party_id, walled(who), status or None, party_id, after, limit
    )


def get_thread(session: Session, who: Principal | None, thread_id: int) -> ThreadView:
    """One thread: to a liaison only if theirs (else 404), never with internal notes."""
    who = require(who, ALL_ROLES)
    thread = load_thread(session, who, thread_id)
    messages = hotline_q.messages(session, thread.id, who.party_id, walled(who))
    escalations = [] if walled(who) else hotline_q.thread_escalations(session, thread.id)
    return ThreadView(thread, messages, escalations)


def list_escalations(
    session: Session, who: Principal | None, include_cleared: bool = False, limit: int = 100
) -> list[EscalationView]:
    """Escalations newest first (open ones only unless asked); internal roles."""
    require(who, INTERNAL)
    return [EscalationView(*r) for r in hotline_q.escalations(session, include_cleared, limit)]


def statistics(
    session: Session, who: Principal | None, time_from: datetime, time_to: datetime
) -> list[rules.PartyStats]:
    """Per party, how it responded to messages relayed to it in [from, to)."""
    require(who, INTERNAL)
    check_range(time_from, time_to, "count")
    timings = [
        rules.Timing(m.id, code, m.answers_id is None, m.relayed_at, m.acknowledged_at,
                     m.answered_at)
        for m, code in hotline_q.relayed_between(session, time_from, time_to)
        if m.relayed_at is not None
    ]  # fmt: skip
    codes = [p.code for p in parties(session)]
    return rules.statistics(codes, timings)


def names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """(party id -> code, user id -> username) for showing threads."""
    codes = {p.id: p.code for p in hotline_q.parties(session)}
    return codes, {u.id: u.username for u in accounts_q.users(session)}


def parties(session: Session) -> list[Party]:
    """The parties a thread may be raised with (role "party"), by code."""
    return [p for p in hotline_q.parties(session) if p.role == "party"]
