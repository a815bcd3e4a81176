"""The demo's hotline: threads between the parties through the mission over the demo month,
logged by the duty officer with the times they happened (so the statistics show something),
and the escalations due at the month's end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.services import hotline
from vigil.services.access import Principal
from vigil.services.hotline import MessageDraft, ThreadDraft


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_threads(
    session: Session, duty: Principal, items: Sequence[dict[str, Any]], end: datetime
) -> int:
    """Log each thread as the duty officer did at the time; returns threads loaded."""
    for item in items:
        received = _at(item["received_at"])
        assert received is not None
        first = MessageDraft(item["body"], item["channel"], received_at=received)
        draft = ThreadDraft(item["subject"], item["recipient"], first, item.get("origin"))
        thread = hotline.open_thread(session, duty, draft, now=received)
        mid = hotline.get_thread(session, duty, thread.id).messages[0].id
        for note in item.get("notes", []):
            at = _at(note["at"])
            note_draft = MessageDraft(note["body"], internal=True, received_at=at)
            hotline.post(session, duty, thread.id, note_draft, now=at)
        _progress(session, duty, mid, item)
        if item.get("closed_at"):
            hotline.close(session, duty, thread.id, now=_at(item["closed_at"]))
    hotline.escalate_due(session, end)
    return len(items)


def _progress(session: Session, duty: Principal, mid: int, item: dict[str, Any]) -> None:
    """Relay, acknowledgement and answer (relayed back) of the first message, as given."""
    if item.get("relayed_at"):
        hotline.relay(session, duty, mid, _at(item["relayed_at"]), now=_at(item["relayed_at"]))
    if item.get("acknowledged_at"):
        at = _at(item["acknowledged_at"])
        hotline.acknowledge(session, duty, mid, at, now=at)
    answer = item.get("answer")
    if answer:
        at = _at(answer["at"])
        reply = MessageDraft(answer["body"], answer["channel"])
        made = hotline.answer(session, duty, mid, reply, at, now=at)
        back = _at(answer.get("relayed_at"))
        if back is not None:
            hotline.relay(session, duty, made.id, back, now=back)
