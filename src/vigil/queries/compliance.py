"""SQL of the compliance view: the provisions with their end of force, their rules, and the
flags that can count (on verified incidents, not dismissed) with each incident's start and
current attribution. Four queries, whatever the number of incidents."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.compliance import FlagFact, ProvisionFacts, RuleFact
from vigil.store.tables import (
    Incident,
    Party,
    Provision,
    ProvisionFlag,
    ProvisionRule,
    ProvisionTerm,
)

VERIFIED = "verified"


def party_codes(session: Session) -> list[str]:
    """Every party's code, alphabetically."""
    return list(session.scalars(select(Party.code).order_by(Party.code)))


def _rules(session: Session) -> dict[int, list[RuleFact]]:
    query = select(ProvisionRule).order_by(ProvisionRule.id)
    found: dict[int, list[RuleFact]] = defaultdict(list)
    for r in session.scalars(query):
        fact = RuleFact(r.id, r.effect, r.active, tuple(r.parties or ()), r.label, r.after_instant)
        found[r.provision_id].append(fact)
    return found


def _flags(session: Session) -> dict[int, list[FlagFact]]:
    """Flags on verified incidents, not dismissed: a breach counts against the incident's
    current attribution, evidence of compliance for the flag's own party."""
    query = (
        select(
            ProvisionFlag.id,
            ProvisionFlag.incident_id,
            ProvisionFlag.provision_id,
            ProvisionFlag.effect,
            ProvisionFlag.status,
            ProvisionFlag.party_code,
            Incident.status.label("incident_status"),
            Incident.started_at,
            Party.code.label("attributed_to"),
        )
        .join(Incident, Incident.id == ProvisionFlag.incident_id)
        .outerjoin(Party, Party.id == Incident.attribution_party_id)
        .where(Incident.status == VERIFIED, ProvisionFlag.status != "dismissed")
        .order_by(ProvisionFlag.id)
    )
    found: dict[int, list[FlagFact]] = defaultdict(list)
    for r in session.execute(query):
        party = r.attributed_to if r.effect == "breach" else r.party_code
        fact = FlagFact(
            r.id, r.incident_id, r.effect, r.status, r.incident_status, r.started_at, party
        )
        found[r.provision_id].append(fact)
    return found


def provision_facts(session: Session) -> list[ProvisionFacts]:
    """Every provision with its dates, rules and countable flags (in the order of its id)."""
    rules = _rules(session)
    flags = _flags(session)
    query = (
        select(Provision, ProvisionTerm.in_force_until)
        .outerjoin(ProvisionTerm, ProvisionTerm.provision_id == Provision.id)
        .order_by(Provision.id)
    )
    return [
        ProvisionFacts(
            id=p.id,
            number=p.number,
            title=p.title,
            binding=tuple(p.binding or ()),
            in_force_from=p.in_force_from,
            deadline=p.deadline,
            in_force_until=until,
            rules=tuple(rules.get(p.id, ())),
            flags=tuple(flags.get(p.id, ())),
        )
        for p, until in session.execute(query)
    ]
