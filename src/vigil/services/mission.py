"""Configuring the mission: its mandate, the parties, the agreement's provisions, taxonomy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.roles import ADMINS
from vigil.domain.taxonomy import DEFAULT_CATEGORIES
from vigil.errors import VigilError
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.tables import Base, Category, Mission, Party, Provision, ProvisionTerm


def _add(session: Session, who: Principal, action: str, rows: Sequence[Base]) -> None:
    session.add_all(rows)
    session.flush()
    audit = Auditor(session, who.actor)
    for row in rows:
        audit.created(action, row)


def seed_taxonomy(session: Session, who: Principal) -> int:
    """Copy the default taxonomy into the category table where codes are missing."""
    require(who, ADMINS)
    have = set(session.scalars(select(Category.code)))
    rows = [
        Category(code=c.code, label=c.label, parent_code=c.parent)
        for c in DEFAULT_CATEGORIES
        if c.code not in have
    ]
    _add(session, who, "category.add", rows)
    return len(rows)


def set_mission(session: Session, who: Principal, data: dict[str, Any]) -> Mission:
    """Create the mission row (there is one mission per database)."""
    require(who, ADMINS)
    if session.get(Mission, 1) is not None:
        raise VigilError("already_exists", "the mission is configured already")
    row = Mission(
        id=1,
        name=data["name"],
        mandate_start=date.fromisoformat(data["mandate_start"]),
        mandate_end=date.fromisoformat(data["mandate_end"]) if data.get("mandate_end") else None,
        renewal_terms=data.get("renewal_terms", ""),
        timezone=data.get("timezone", "UTC"),
    )
    _add(session, who, "mission.set", [row])
    return row


def add_parties(session: Session, who: Principal, items: Sequence[dict[str, Any]]) -> None:
    """Add parties: a code, names in every language, and a role (party or signatory)."""
    require(who, ADMINS)
    rows = [Party(code=p["code"], names=p["names"], role=p.get("role", "party")) for p in items]
    _add(session, who, "party.add", rows)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def add_provisions(session: Session, who: Principal, items: Sequence[dict[str, Any]]) -> None:
    """Add the agreement's provisions as data."""
    require(who, ADMINS)
    rows = [
        Provision(
            number=p["number"],
            title=p["title"],
            text=p["text"],
            binding=p["binding"],
            in_force_from=_time(p.get("in_force_from")),
            deadline=_time(p.get("deadline")),
            zones=p.get("zones", []),
        )
        for p in items
    ]
    _add(session, who, "provision.add", rows)
    terms = [
        ProvisionTerm(provision_id=row.id, in_force_until=_time(p.get("in_force_until")))
        for row, p in zip(rows, items, strict=True)
    ]
    _add(session, who, "provision_term.add", terms)
