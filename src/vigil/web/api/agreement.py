"""The agreement over the wire: a provision with its term and rules, adding and deactivating
rules, the flags rules raise on verified incidents, analysts' decisions on them, a re-scan."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.services import flag_list, provision_flags, provision_rules
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web import cursor
from vigil.web.api.filters import CURSOR, LIMIT
from vigil.web.deps import allow, database
from vigil.web.schemas.agreement import (
    DecisionIn,
    FlagCountsOut,
    FlagOut,
    FlagPage,
    ProvisionDetailOut,
    RuleChangedOut,
    RuleIn,
    RuleOffIn,
    RuleOut,
    ScanIn,
)

router = APIRouter(prefix="/api/v1", tags=["agreement"])


def _flags(lines: list[flag_list.FlagLine]) -> list[FlagOut]:
    return [FlagOut.of(x.flag, x.provision, x.rule_label, x.decided_by) for x in lines]


def _counts(c: provision_flags.Counts) -> FlagCountsOut:
    return FlagCountsOut(
        incidents=c.incidents, raised=c.raised, reopened=c.reopened,
        dismissed=c.dismissed, updated=c.updated,
    )  # fmt: skip


def _detail(session: Session, who: Principal, number: str) -> ProvisionDetailOut:
    view = provision_rules.provision_view(session, who, number)
    p = view.provision
    return ProvisionDetailOut(
        number=p.number, title=p.title, text=p.text, binding=list(p.binding),
        in_force_from=p.in_force_from, deadline=p.deadline, zones=list(p.zones),
        in_force_until=view.term.in_force_until if view.term else None,
        rules=[RuleOut.of(r, p.number) for r in view.rules], flags=view.counts,
    )  # fmt: skip


@router.get("/provisions/{number}", response_model=ProvisionDetailOut)
def get_provision(
    number: str, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> ProvisionDetailOut:
    """A provision with its term, its rules (inactive ones too) and its flags by status."""
    with db.reading() as session:
        return _detail(session, who, number)


@router.get("/provisions/{number}/rules", response_model=list[RuleOut])
def list_rules(
    number: str, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[RuleOut]:
    """A provision's rules, oldest first; inactive ones are kept (flags point at them)."""
    with db.reading() as session:
        return [RuleOut.of(r, number) for r in provision_rules.list_rules(session, who, number)]


@router.post("/provisions/{number}/rules", response_model=RuleChangedOut, status_code=201)
def add_rule(
    number: str, body: RuleIn, who: Principal = allow(ANALYSTS), db: Database = Depends(database)
) -> RuleChangedOut:
    """Add a rule; the verified incidents it matches are flagged at once. A zone, category or
    party that does not exist is a 422 naming the field; nothing is written."""
    with db.writing() as session:
        done = provision_rules.add_rule(session, who, number, body.spec())
        return RuleChangedOut(rule=RuleOut.of(done.rule, number), flags=_counts(done.flags))


@router.delete("/provisions/{number}/rules/{rule_id}", response_model=RuleChangedOut)
def deactivate_rule(
    number: str,
    rule_id: int,
    body: RuleOffIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> RuleChangedOut:
    """Deactivate a rule with a reason (never deleted); its open flags are dismissed."""
    with db.writing() as session:
        done = provision_rules.deactivate_rule(session, who, number, rule_id, body.reason)
        return RuleChangedOut(rule=RuleOut.of(done.rule, number), flags=_counts(done.flags))


@router.get("/flags", response_model=FlagPage)
def list_flags(
    provision: str | None = Query(None, max_length=16, description="A provision's number."),
    status: str | None = Query(None, max_length=16, description="open, confirmed, dismissed"),
    effect: str | None = Query(None, max_length=16, description="breach or compliance"),
    incident: int | None = Query(None, description="An incident's id."),
    limit: int = LIMIT,
    after: str | None = CURSOR,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> FlagPage:
    """Flags, oldest raised first, with filters and cursor paging."""
    q = flag_list.FlagQuery(provision, status, effect, incident)
    position = cursor.decode(after)
    with db.reading() as session:
        lines = flag_list.list_flags(session, who, q, position, limit)
        last = lines[-1].flag if len(lines) == limit else None
        nxt = cursor.encode(last.raised_at, last.id) if last else None
        return FlagPage(items=_flags(lines), next_cursor=nxt)


@router.post("/flags/{flag_id}/decision", response_model=FlagOut)
def decide(
    flag_id: int,
    body: DecisionIn,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> FlagOut:
    """Confirm a flag, or dismiss it with a reason (a decision may be revised). 409 when the
    incident is not verified now."""
    with db.writing() as session:
        flag = provision_flags.decide_flag(session, who, flag_id, body.status, body.reason)
        return _flags(flag_list.lines(session, [flag]))[0]


@router.post("/flags/scan", response_model=FlagCountsOut)
def scan(
    body: ScanIn | None = None, who: Principal = allow(ANALYSTS), db: Database = Depends(database)
) -> FlagCountsOut:
    """Re-evaluate every verified incident against the rules (of one provision, or all)."""
    with db.writing() as session:
        return _counts(provision_flags.scan(session, who, body.provision if body else None))


@router.get("/incidents/{incident_id}/flags", response_model=list[FlagOut])
def incident_flags(
    incident_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[FlagOut]:
    """The provisions an incident may breach (or show kept): its flags, oldest first."""
    with db.reading() as session:
        return _flags(flag_list.incident_flags(session, who, incident_id))
