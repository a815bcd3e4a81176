"""What goes over the wire about the hotline. Two audiences: a party liaison gets the Liaison*
models, which name no internal field (no staff usernames, no internal flag, no escalations);
mission staff get the Staff* models."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from vigil.domain import hotline as rules
from vigil.services import hotline_read
from vigil.store.tables import HotlineEscalation, HotlineMessage, HotlineThread

MISSION = "mission"


class Names:
    """Party and user names for showing hotline rows."""

    def __init__(self, parties: dict[int, str], users: dict[int, str]) -> None:
        self.parties = parties
        self.users = users

    def party(self, party_id: int | None) -> str:
        """A party's code; the mission when there is none."""
        return self.parties.get(party_id, "?") if party_id is not None else MISSION

    def user(self, user_id: int | None) -> str | None:
        """A username, if any."""
        return self.users.get(user_id) if user_id is not None else None


# --- in ---------------------------------------------------------------------------------------


class MessageIn(BaseModel):
    """A message into a thread. A liaison gives only `body`; staff may say on whose behalf
    it came, for whom, by which channel and when, or write an internal note."""

    model_config = {"extra": "forbid"}
    body: str = Field(max_length=rules.BODY_MAX)
    channel: str = Field("message", description=", ".join(rules.CHANNELS))
    internal: bool = Field(False, description="Staff only: a note no liaison ever sees.")
    sender_party: str | None = Field(
        None, max_length=16, description="Staff only: on whose behalf."
    )
    recipient: str | None = Field(None, max_length=16, description="Staff only: party code.")
    received_at: AwareDatetime | None = Field(None, description="Staff only: default now.")


class ThreadIn(BaseModel):
    """A new thread and its first message."""

    model_config = {"extra": "forbid"}
    subject: str = Field(max_length=rules.SUBJECT_MAX)
    recipient: str = Field(max_length=16, description="The party the concern is for (code).")
    body: str = Field(max_length=rules.BODY_MAX)
    origin: str | None = Field(
        None,
        max_length=16,
        description="Staff only: the party it is raised for; none: the mission.",
    )
    channel: str = Field("message", description=", ".join(rules.CHANNELS))
    received_at: AwareDatetime | None = Field(None, description="Staff only: default now.")


class StampIn(BaseModel):
    """When it happened; staff log it (a phone call), a liaison's act is now."""

    model_config = {"extra": "forbid"}
    at: AwareDatetime | None = None


class AnswerIn(BaseModel):
    """A party's answer to a message."""

    model_config = {"extra": "forbid"}
    body: str = Field(max_length=rules.BODY_MAX)
    channel: str = Field("message", description=", ".join(rules.CHANNELS))
    at: AwareDatetime | None = Field(None, description="Staff only: when it was answered.")


# --- out --------------------------------------------------------------------------------------


class LiaisonMessageOut(BaseModel):
    """A message as a party's liaison sees it."""

    id: int
    thread_id: int
    sender: str = Field(description="Party code, or mission.")
    recipient: str = Field(description="Party code, or mission.")
    channel: str
    body: str
    answers_id: int | None
    received_at: datetime
    relayed_at: datetime | None
    acknowledged_at: datetime | None
    answered_at: datetime | None

    @classmethod
    def fields_of(cls, m: HotlineMessage, n: Names) -> dict[str, object]:
        """The fields a liaison may see."""
        return {
            "id": m.id, "thread_id": m.thread_id, "sender": n.party(m.sender_party_id),
            "recipient": n.party(m.recipient_party_id), "channel": m.channel, "body": m.body,
            "answers_id": m.answers_id, "received_at": m.received_at, "relayed_at": m.relayed_at,
            "acknowledged_at": m.acknowledged_at, "answered_at": m.answered_at,
        }  # fmt: skip

    @classmethod
    def of(cls, m: HotlineMessage, n: Names) -> LiaisonMessageOut:
        """From the stored row."""
        return cls(**cls.fields_of(m, n))  # type: ignore[arg-type]


class StaffMessageOut(LiaisonMessageOut):
    """A message as mission staff see it: who wrote it, and whether it is an internal note."""

    sender_user: str | None
    internal: bool

    @classmethod
    def of(cls, m: HotlineMessage, n: Names) -> StaffMessageOut:
        """From the stored row."""
        extra = {"sender_user": n.user(m.sender_user_id), "internal": m.internal}
        return cls(**cls.fields_of(m, n), **extra)  # type: ignore[arg-type]


class LiaisonThreadOut(BaseModel):
    """A thread as a party's liaison sees it."""

    id: int
    subject: str
    origin: str = Field(description="The party that raised it, or mission.")
    recipient: str
    status: str
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def fields_of(cls, t: HotlineThread, n: Names) -> dict[str, object]:
        """The fields a liaison may see."""
        return {
            "id": t.id, "subject": t.subject, "origin": n.party(t.origin_party_id),
            "recipient": n.party(t.recipient_party_id), "status": t.status,
            "opened_at": t.opened_at, "closed_at": t.closed_at,
        }  # fmt: skip

    @classmethod
    def of(cls, t: HotlineThread, n: Names) -> LiaisonThreadOut:
        """From the stored row."""
        return cls(**cls.fields_of(t, n))  # type: ignore[arg-type]


class StaffThreadOut(LiaisonThreadOut):
    """A thread as mission staff see it: who opened it."""

    opened_by: str | None

    @classmethod
    def of(cls, t: HotlineThread, n: Names) -> StaffThreadOut:
        """From the stored row."""
        return cls(**cls.fields_of(t, n), opened_by=n.user(t.opened_by))  # type: ignore[arg-type]


class EscalationOut(BaseModel):
    """A late acknowledgement or answer, raised once per message and kind."""

    id: int
    message_id: int
    thread_id: int
    subject: str
    party: str = Field(description="The party that is late.")
    kind: str
    raised_at: datetime
    cleared_at: datetime | None
    note: str

    @classmethod
    def of(
        cls, e: HotlineEscalation, m: HotlineMessage, t: HotlineThread, n: Names
    ) -> EscalationOut:
        """From the stored rows."""
        return cls(
            id=e.id, message_id=m.id, thread_id=t.id, subject=t.subject,
            party=n.party(m.recipient_party_id), kind=e.kind, raised_at=e.raised_at,
            cleared_at=e.cleared_at, note=e.note,
        )  # fmt: skip


class LiaisonThreadDetail(LiaisonThreadOut):
    """A thread and the messages a liaison may see."""

    messages: list[LiaisonMessageOut]

    @classmethod
    def of_view(cls, v: hotline_read.ThreadView, n: Names) -> LiaisonThreadDetail:
        """From the service's view."""
        msgs = [LiaisonMessageOut.of(m, n) for m in v.messages]
        return cls(**LiaisonThreadOut.fields_of(v.thread, n), messages=msgs)  # type: ignore[arg-type]


class StaffThreadDetail(StaffThreadOut):
    """A thread with all its messages (internal notes included) and its escalations."""

    messages: list[StaffMessageOut]
    escalations: list[EscalationOut]

    @classmethod
    def of_view(cls, v: hotline_read.ThreadView, n: Names) -> StaffThreadDetail:
        """From the service's view."""
        t = v.thread
        by_id = {m.id: m for m in v.messages}
        return cls(
            **LiaisonThreadOut.fields_of(t, n),  # type: ignore[arg-type]
            opened_by=n.user(t.opened_by),
            messages=[StaffMessageOut.of(m, n) for m in v.messages],
            escalations=[EscalationOut.of(e, by_id[e.message_id], t, n) for e in v.escalations],
        )


class ThreadPage(BaseModel):
    """A page of threads, newest first; follow next_cursor for more."""

    items: list[StaffThreadOut | LiaisonThreadOut]
    next_cursor: str | None


class PartyStatsOut(BaseModel):
    """How one party responded to what the mission relayed to it in the period."""

    party: str
    messages: int = Field(description="Requests relayed to the party (answers not counted).")
    acknowledged: int
    median_ack_s: float | None = Field(description="Median seconds from relayed to acknowledged.")
    answered: int
    median_answer_s: float | None = Field(description="Median seconds from relayed to answered.")
    share_answered: float | None = Field(description="answered / messages.")

    @classmethod
    def of(cls, s: rules.PartyStats) -> PartyStatsOut:
        """From the domain's statistics."""
        return cls(
            party=s.party, messages=s.messages, acknowledged=s.acknowledged,
            median_ack_s=s.median_ack_s, answered=s.answered,
            median_answer_s=s.median_answer_s, share_answered=s.share_answered,
        )  # fmt: skip


class StatsOut(BaseModel):
    """Response times per party for messages relayed in [from, to)."""

    model_config = {"populate_by_name": True}
    time_from: datetime = Field(alias="from")
    time_to: datetime = Field(alias="to")
    parties: list[PartyStatsOut]
