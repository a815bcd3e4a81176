"""Response-time timers: escalate a message a party has not acknowledged (or answered) in the
configured time, once per message and kind; clear it when the party responds or the thread
is closed. `escalate_due` is what a scheduler calls; it needs no caller, the mission's own
clock is the actor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain import hotline as rules
from vigil.domain.roles import HOTLINE_STAFF
from vigil.queries import hotline as hotline_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import HotlineEscalation

ACK_S = 900.0  # defaults of VIGIL_HOTLINE_ACK_S and VIGIL_HOTLINE_ANSWER_S
ANSWER_S = 86_400.0
ACTOR = "hotline-timer"


def escalate_due(
    session: Session,
    now: datetime,
    ack_s: float = ACK_S,
    answer_s: float = ANSWER_S,
    actor: str = ACTOR,
) -> list[HotlineEscalation]:
    """Raise every escalation due at `now` and not raised before; audited."""
    found = hotline_q.clocks(session)
    timings = [
        rules.Timing(m.id, code, m.answers_id is None, m.relayed_at, m.acknowledged_at,
                     m.answered_at)
        for m, code in found
        if m.relayed_at is not None
    ]  # fmt: skip
    due = rules.due_escalations(timings, hotline_q.raised(session), now, ack_s, answer_s)
    if not due:
        return []
    party = {m.id: code for m, code in found}
    made = []
    audit = Auditor(session, actor, now)
    for message_id, kind in due:
        limit = ack_s if kind == "unacknowledged" else answer_s
        label = rules.ESCALATION_KINDS[kind].lower()
        note = f"{party[message_id]}: {label} ({rules.duration_text(limit)})"
        row = HotlineEscalation(
            message_id=message_id, kind=kind, raised_at=now.astimezone(UTC), cleared_at=None,
            note=note,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.created("hotline.escalate", row)
        made.append(row)
    return made


def evaluate(
    session: Session,
    who: Principal | None,
    now: datetime | None = None,
    ack_s: float = ACK_S,
    answer_s: float = ANSWER_S,
) -> list[HotlineEscalation]:
    """Escalate what is due now, on a person's request (staff)."""
    who = require(who, HOTLINE_STAFF)
    return escalate_due(session, now or datetime.now(UTC), ack_s, answer_s, who.actor)


def clear_for(
    session: Session,
    actor: str,
    now: datetime,
    message_ids: Sequence[int],
    kinds: Sequence[str],
    why: str,
) -> None:
    """Clear the open escalations of these messages and kinds; audited."""
    rows = hotline_q.open_escalations(session, message_ids, kinds)
    if not rows:
        return
    audit = Auditor(session, actor, now)
    for row in rows:
        before = row_values(row)
        row.cleared_at = now.astimezone(UTC)
        row.note = f"{row.note}; cleared: {why}"[:2000]
        session.flush()
        audit.changed("hotline.clear", row, before)
