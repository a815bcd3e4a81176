"""The agreement as something to check: rules saying which incidents may breach (or show
compliance with) a provision, provisions' end dates, and the flags rules raise on incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class ProvisionTerm(Base):
    """When a provision stops being in force (None: open-ended). A table of its own so the
    provision rows written before it keep verifying."""

    __tablename__ = "provision_term"
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"), primary_key=True)
    in_force_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProvisionRule(Base):
    """Which incidents may breach a provision, or show that it is being kept.

    All conditions must hold: category (a code covers its sub-categories), zones (inside, or
    within `within_km` of, any of them), time (from the provision's entry into force, its
    deadline, or a given instant), and party, which only counts where an incident is attributed:
    an incident attributed to another party does not match, an unattributed one does."""

    __tablename__ = "provision_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"))
    label: Mapped[str] = mapped_column(String(200))
    effect: Mapped[str] = mapped_column(String(16))  # breach, compliance
    categories: Mapped[list[str]] = mapped_column(JSON)  # empty: any category
    zones: Mapped[list[str]] = mapped_column(JSON)  # zone codes; empty: anywhere
    zone_relation: Mapped[str] = mapped_column(String(16))  # inside, within
    within_km: Mapped[float | None] = mapped_column(Float)
    after: Mapped[str] = mapped_column(String(16))  # in_force, deadline, instant
    after_instant: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parties: Mapped[list[str]] = mapped_column(JSON)  # party codes; empty: any party
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_provision_rule_provision", "provision_id"),)


class ProvisionFlag(Base):
    """An incident a rule says may breach (or show compliance with) a provision, and the
    analyst's ruling on it: open, confirmed or dismissed."""

    __tablename__ = "provision_flag"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("provision_rule.id"))
    effect: Mapped[str] = mapped_column(String(16))  # breach, compliance (the rule's)
    # The party it counts against or for: the incident's attribution when it matched, if any.
    party_code: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open, confirmed, dismissed
    # Why the rule matched (category, zone, distance, time), as the flag was raised.
    match: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_provision_flag_incident", "incident_id"),
        Index("ix_provision_flag_provision", "provision_id", "status"),
    )
