"""The hotline between the parties: threads a party (through its liaison) or the mission
raises, their messages with every time that counts, and the escalations of late answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class HotlineThread(Base):
    """A concern passed between the parties through the mission: who raised it (a party, or
    the mission when `origin_party_id` is None), the party it is for, and where it stands
    (open, relayed, acknowledged, answered, closed)."""

    __tablename__ = "hotline_thread"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    origin_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    recipient_party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    status: Mapped[str] = mapped_column(String(16))
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_hotline_thread_origin", "origin_party_id"),
        Index("ix_hotline_thread_recipient", "recipient_party_id"),
    )


class HotlineMessage(Base):
    """One message of a thread: who sent it (a party's liaison, or mission staff), for whom,
    by which channel, and when it was received, relayed, acknowledged and answered. An
    internal note is the mission's own and never reaches a liaison."""

    __tablename__ = "hotline_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("hotline_thread.id"))
    sender_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sender_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))  # None: mission
    recipient_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    channel: Mapped[str] = mapped_column(String(16))  # phone, message, in_person
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    # When answering another message of the thread (its id), else None.
    answers_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_message.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_hotline_message_thread", "thread_id"),)


class HotlineEscalation(Base):
    """A message a party has not acknowledged (or answered) within the configured time:
    raised once per message and kind, and shown to the duty officer until cleared."""

    __tablename__ = "hotline_escalation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("hotline_message.id"))
    kind: Mapped[str] = mapped_column(String(16))  # unacknowledged, unanswered
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
