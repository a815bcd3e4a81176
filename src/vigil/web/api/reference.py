"""The mission's reference data, who the caller is, and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from vigil.domain.roles import ALL_ROLES, AUDITORS, INTERNAL
from vigil.services import reference
from vigil.services.access import Principal
from vigil.services.audit_log import read_events
from vigil.store.db import Database
from vigil.web.deps import allow, database, public
from vigil.web.schemas import (
    AuditEventOut,
    CategoryOut,
    MeOut,
    MissionOut,
    PartyOut,
    ProvisionOut,
)

router = APIRouter(prefix="/api/v1", tags=["mission"])


@router.get("/me", response_model=MeOut)
def me(who: Principal = allow(ALL_ROLES), db: Database = Depends(database)) -> MeOut:
    """Who you are signed in as, and the CSRF token a browser sends with writes."""
    party = None
    if who.party_id is not None:
        with db.reading() as session:
            party = reference.party_code(session, who.party_id)
    return MeOut(username=who.username, role=who.role.value, party=party, csrf_token=who.csrf_token)


@router.get("/mission", response_model=MissionOut)
def get_mission(who: Principal = allow(INTERNAL), db: Database = Depends(database)) -> MissionOut:
    """The mission and its mandate."""
    with db.reading() as session:
        return MissionOut.model_validate(reference.mission(session, who), from_attributes=True)


@router.get("/parties", response_model=list[PartyOut])
def list_parties(
    who: Principal | None = public(), db: Database = Depends(database)
) -> list[PartyOut]:
    """The parties to the agreement, with every spelling of their names (public)."""
    with db.reading() as session:
        return [PartyOut.of(p) for p in reference.parties(session)]


@router.get("/provisions", response_model=list[ProvisionOut])
def list_provisions(
    who: Principal | None = public(), db: Database = Depends(database)
) -> list[ProvisionOut]:
    """The agreement's provisions (public)."""
    with db.reading() as session:
        return [ProvisionOut.of(p) for p in reference.provisions(session)]


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(
    who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[CategoryOut]:
    """The observation taxonomy."""
    with db.reading() as session:
        return [
            CategoryOut.model_validate(c, from_attributes=True)
            for c in reference.categories(session, who)
        ]


@router.get("/audit", response_model=list[AuditEventOut])
def list_audit(
    after_seq: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    entity_type: str | None = Query(None, max_length=64),
    entity_id: str | None = Query(None, max_length=200),
    who: Principal = allow(AUDITORS),
    db: Database = Depends(database),
) -> list[AuditEventOut]:
    """Audit events in order, optionally about one entity."""
    with db.reading() as session:
        rows = read_events(session, who, after_seq, limit, entity_type, entity_id)
        return [AuditEventOut.model_validate(r, from_attributes=True) for r in rows]
