"""SQL of the agreement as something to check: provisions by number, their terms, their rules,
the zones and parties rules name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store.tables import Category, Party, Provision, ProvisionRule, ProvisionTerm, Zone


def by_number(session: Session, number: str) -> Provision | None:
    """The provision with this number."""
    return session.scalars(select(Provision).where(Provision.number == number).limit(1)).first()


def term(session: Session, provision_id: int) -> ProvisionTerm | None:
    """When a provision stops being in force, if recorded."""
    return session.get(ProvisionTerm, provision_id)


def terms(session: Session) -> dict[int, ProvisionTerm]:
    """Provision id -> its term row."""
    return {t.provision_id: t for t in session.scalars(select(ProvisionTerm))}


def rules(
    session: Session, provision_id: int | None = None, active_only: bool = False
) -> Sequence[ProvisionRule]:
    """Rules of one provision (or all), oldest first."""
    query = select(ProvisionRule)
    if provision_id is not None:
        query = query.where(ProvisionRule.provision_id == provision_id)
    if active_only:
        query = query.where(ProvisionRule.active.is_(True))
    return session.scalars(query.order_by(ProvisionRule.id)).all()


def rule(session: Session, rule_id: int) -> ProvisionRule | None:
    """One rule by id."""
    return session.get(ProvisionRule, rule_id)


def category_codes(session: Session) -> frozenset[str]:
    """Every code of the taxonomy."""
    return frozenset(session.scalars(select(Category.code)))


def party_codes(session: Session) -> dict[int, str]:
    """Party id -> code."""
    return {int(i): str(c) for i, c in session.execute(select(Party.id, Party.code))}


def zone_geometries(session: Session, codes: Sequence[str] | None = None) -> dict[str, Any]:
    """Zone code -> GeoJSON geometry (of the named zones, or all)."""
    query = select(Zone.code, Zone.geometry)
    if codes is not None:
        if not codes:
            return {}
        query = query.where(Zone.code.in_(list(codes)))
    return {str(c): g for c, g in session.execute(query)}


def zone_types(session: Session) -> dict[str, str]:
    """Zone code -> its GeoJSON geometry type."""
    return {c: str(g.get("type")) for c, g in zone_geometries(session).items()}
