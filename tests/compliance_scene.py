"""A small agreement whose compliance is known: six provisions between parties P1 and P2, with
rules added and flags confirmed through the agreement's services (incidents are written as
audited rows already verified, so `vigil verify` passes), one provision per status. As of
AS_OF with a 7-day window:

1 ceasefire   P1, P2  breach rule; A (P1, 25 Nov) and B (unattributed, 12 Nov) confirmed
                      -> breached; P1 breached; P2 unknown (B may be P2's)
2 withdrawal  P2      deadline 5 Dec, breach rule from 20 Nov          -> not yet due
3 peacekeeper P1      compliance rule only; C confirmed evidence        -> complied
4 corridor    P1, P2  breach rule; D open, E confirmed but refuted     -> unknown (open flag)
5 prisoners   P1, P2  no rule; ended 26 Nov                            -> unknown
6 heavy arms  P1, P2  breach rule; F (P2, 14 Nov) confirmed            -> partially; P1 complied
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.domain.agreement_rules import RuleSpec
from vigil.services.access import Principal
from vigil.services.audit import Auditor
from vigil.services.mission import add_provisions
from vigil.services.provision_flags import decide_flag
from vigil.services.provision_rules import add_rule
from vigil.services.review_queue import acting_user
from vigil.store.tables import (
    Base,
    Incident,
    Party,
    Provision,
    ProvisionFlag,
    ProvisionRule,
)

AS_OF = "2020-11-28T00:00:00Z"
SHELLING = "ceasefire_violation.explosion.artillery"
DEPLOYED = "implementation.peacekeeper_deployment"
BLOCKED = "implementation.obstruction"
HEAVY = "weapons_forces.heavy_weapons_in_zone"
PROVISIONS = [
    ("1", "Ceasefire", ["P1", "P2"], None),
    ("2", "Withdrawal from the district", ["P2"], "2020-12-05T00:00:00Z"),
    ("3", "Peacekeepers deploy", ["P1"], None),
    ("4", "The corridor stays open", ["P1", "P2"], None),
    ("5", "Exchange of prisoners", ["P1", "P2"], None),
    ("6", "No heavy weapons", ["P1", "P2"], None),
]


def at(text: str) -> datetime:
    """An instant from ISO text."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass
class Scene:
    """The ids a test asserts on: provision id by number, incident id by letter."""

    provisions: dict[str, int]
    incidents: dict[str, int]
    flags: dict[str, int]


def _insert(session: Session, audit: Auditor, action: str, row: Base) -> Any:
    session.add(row)
    session.flush()
    audit.created(action, row)
    return row


def _incident(
    session: Session, audit: Auditor, started: str, status: str, party: str | None, category: str
) -> int:
    party_id = session.scalar(select(Party.id).where(Party.code == party)) if party else None
    row = Incident(
        category=category,
        status=status,
        started_at=at(started),
        ended_at=at(started),
        count=1,
        attribution_party_id=party_id,
        attribution_confidence="high" if party else None,
        created_at=at(started),
    )
    return int(_insert(session, audit, "incident.create", row).id)


def _rule(session: Session, analyst: Principal, number: str, effect: str, category: str,
          **changes: Any) -> int:  # fmt: skip
    """A rule through the agreement service, which flags the verified incidents it matches."""
    spec = RuleSpec(label=f"{effect}: {category}", effect=effect, categories=(category,), **changes)
    return int(add_rule(session, analyst, number, spec).rule.id)


def _confirm(session: Session, analyst: Principal, incident_id: int) -> int:
    """Confirm the (one) flag the rules raised on an incident."""
    found = session.scalars(select(ProvisionFlag).where(ProvisionFlag.incident_id == incident_id))
    (flag,) = found.all()
    return int(decide_flag(session, analyst, flag.id, "confirmed", "").id)


def _flag(
    session: Session,
    audit: Auditor,
    incident_id: int,
    rule_id: int,
    status: str,
    party: str | None = None,
) -> int:
    rule = session.get(ProvisionRule, rule_id)
    assert rule is not None
    row = ProvisionFlag(
        incident_id=incident_id,
        provision_id=rule.provision_id,
        rule_id=rule_id,
        effect=rule.effect,
        party_code=party,
        status=status,
        match={"test": True},
        raised_at=at("2020-11-27T00:00:00Z"),
        reason="",
    )
    return int(_insert(session, audit, "provision_flag.raise", row).id)


def build(session: Session, who: Principal) -> Scene:
    """Write the scene (parties P1 and P2 and the user `analyst` must exist: the `users`
    fixture adds them)."""
    add_provisions(
        session,
        who,
        [
            {"number": n, "title": t, "text": t, "binding": b, "deadline": d,
             "in_force_from": "2020-11-10T00:00:00Z",
             "in_force_until": "2020-11-26T00:00:00Z" if n == "5" else None}
            for n, t, b, d in PROVISIONS
        ],
    )  # fmt: skip
    audit = Auditor(session, who.actor)
    analyst = acting_user(session, "analyst")
    ids = {p.number: p.id for p in session.scalars(select(Provision))}
    incidents = {
        "A": _incident(session, audit, "2020-11-25T10:00:00Z", "verified", "P1", SHELLING),
        "B": _incident(session, audit, "2020-11-12T10:00:00Z", "verified", None, SHELLING),
        "C": _incident(session, audit, "2020-11-20T10:00:00Z", "verified", None, DEPLOYED),
        "D": _incident(session, audit, "2020-11-26T10:00:00Z", "verified", None, BLOCKED),
        "E": _incident(session, audit, "2020-11-26T11:00:00Z", "refuted", "P1", BLOCKED),
        "F": _incident(session, audit, "2020-11-14T10:00:00Z", "verified", "P2", HEAVY),
    }
    _rule(session, analyst, "1", "breach", "ceasefire_violation")
    _rule(session, analyst, "2", "breach", "weapons_forces.military_movement", after="instant",
          after_instant=at("2020-11-20T00:00:00Z"))  # fmt: skip
    _rule(session, analyst, "3", "compliance", DEPLOYED)
    r4 = _rule(session, analyst, "4", "breach", BLOCKED)
    _rule(session, analyst, "6", "breach", HEAVY)
    flags = {k: _confirm(session, analyst, incidents[k]) for k in "ABCF"}
    (open_flag,) = session.scalars(
        select(ProvisionFlag.id).where(ProvisionFlag.incident_id == incidents["D"])
    ).all()
    flags["D"] = int(open_flag)
    # A flag confirmed while E was verified, the incident refuted since: it no longer counts.
    later = Auditor(session, who.actor)  # an Auditor keeps the chain head: a new one after others
    flags["E"] = _flag(session, later, incidents["E"], r4, "confirmed", "P1")
    return Scene(ids, incidents, flags)
