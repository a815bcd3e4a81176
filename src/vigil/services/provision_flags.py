"""Flags: incidents that a provision's rules say may breach it (or show it kept).

An incident is flagged as it is verified: every active rule of every provision in force at
its start is evaluated, and each rule that matches raises one open flag. Flags are kept in
step with the incident: an open flag whose rule no longer matches (the attribution changed,
the incident left `verified`) is dismissed with the reason, never deleted; an analyst
confirms or dismisses each flag. Every write is audited in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import agreement_rules as ar
from vigil.domain.review import VERIFIED
from vigil.domain.roles import ANALYSTS
from vigil.errors import VigilError, invalid
from vigil.queries import flags as flags_q
from vigil.queries import provisions as provisions_q
from vigil.queries import reviews as reviews_q
from vigil.services import reference
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Incident, Provision, ProvisionFlag, ProvisionRule

DECISIONS: tuple[str, ...] = ("confirmed", "dismissed")
MAX_REASON = 2000
_CONTEXT = "vigil.provision_flags.context"


@dataclass(frozen=True)
class Context:
    """What evaluating rules needs, loaded once: provisions, active rules, zones, parties."""

    provisions: dict[int, Provision]
    until: dict[int, datetime | None]
    rules: list[tuple[ProvisionRule, ar.RuleSpec]]
    zones: dict[str, ar.ZoneShape]
    parties: dict[int, str]

    def in_force(self, provision_id: int, at: datetime) -> bool:
        """Whether the provision binds at that instant."""
        p, until = self.provisions[provision_id], self.until.get(provision_id)
        return (p.in_force_from is None or at >= p.in_force_from) and (until is None or at < until)


@dataclass
class Counts:
    """What a re-evaluation changed."""

    incidents: int = 0
    raised: int = 0
    reopened: int = 0
    dismissed: int = 0
    updated: int = 0
    new: list[ProvisionFlag] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        """Sum another incident's counts into these."""
        self.incidents += other.incidents
        self.raised += other.raised
        self.reopened += other.reopened
        self.dismissed += other.dismissed
        self.updated += other.updated


def spec_of(rule: ProvisionRule) -> ar.RuleSpec:
    """A stored rule as the domain evaluates it."""
    return ar.RuleSpec(
        rule.label, rule.effect, tuple(rule.categories), tuple(rule.zones), rule.zone_relation,
        rule.within_km, rule.after, rule.after_instant, tuple(rule.parties),
    )  # fmt: skip


def times_of(provision: Provision) -> ar.Times:
    """A provision's times as rules count from them."""
    return ar.Times(provision.in_force_from, provision.deadline)


def load_context(session: Session, provision_id: int | None = None) -> Context:
    """The active rules (of one provision, or all) with what they name."""
    provisions = {p.id: p for p in _provisions(session)}
    rules = [(r, spec_of(r)) for r in provisions_q.rules(session, provision_id, active_only=True)]
    codes = sorted({z for _, s in rules for z in s.zones})
    zones = {
        c: ar.ZoneShape.of(c, g) for c, g in provisions_q.zone_geometries(session, codes).items()
    }
    until = {pid: t.in_force_until for pid, t in provisions_q.terms(session).items()}
    return Context(provisions, until, rules, zones, provisions_q.party_codes(session))


def cached_context(session: Session) -> Context:
    """The context, loaded once per transaction (a bulk review verifies hundreds at once)."""
    ctx = session.info.get(_CONTEXT)
    if not isinstance(ctx, Context):
        ctx = session.info[_CONTEXT] = load_context(session)
    return ctx


def forget_context(session: Session) -> None:
    """Rules changed in this transaction: load them afresh next time."""
    session.info.pop(_CONTEXT, None)


def _provisions(session: Session) -> list[Provision]:
    return list(reference.provisions(session))


def happening(incident: Incident, parties: dict[int, str]) -> ar.Happening:
    """An incident as rules see it."""
    party = parties.get(incident.attribution_party_id or 0)
    return ar.Happening(incident.category, incident.started_at, incident.lat, incident.lon, party)


def flag_incident(
    session: Session, who: Principal | None, incident: Incident
) -> list[ProvisionFlag]:
    """Evaluate every active rule against a verified incident: raise the flags that are new,
    dismiss open ones that no longer match, keep open ones' party in step. Idempotent; does
    nothing for an incident that is not verified (call it after any change, e.g. attribution)."""
    who = require(who, ANALYSTS)
    if incident.status != VERIFIED:
        return []
    counts = reflag(session, Auditor(session, who.actor), incident, cached_context(session))
    return counts.new


def reflag(session: Session, audit: Auditor, incident: Incident, ctx: Context) -> Counts:
    """Bring one incident's flags in step with the rules in `ctx`."""
    seen = happening(incident, ctx.parties)
    flags = {f.rule_id: f for f in flags_q.of_incident(session, incident.id)}
    counts = Counts(incidents=1)
    for rule, spec in ctx.rules:
        match = None
        if ctx.in_force(rule.provision_id, incident.started_at):
            match = ar.evaluate(spec, times_of(ctx.provisions[rule.provision_id]), seen, ctx.zones)
        _step(session, audit, incident, rule, spec, match, flags.get(rule.id), counts)
    return counts


def _step(
    session: Session,
    audit: Auditor,
    incident: Incident,
    rule: ProvisionRule,
    spec: ar.RuleSpec,
    match: dict[str, Any] | None,
    flag: ProvisionFlag | None,
    counts: Counts,
) -> None:
    """One (incident, rule): raise, reopen, update, dismiss, or leave as it is."""
    if match is None:
        if flag is not None and flag.status == "open":
            dismiss_open(session, audit, flag, f"no longer matches: {_why_not(incident)}")
            counts.dismissed += 1
        return
    party = match.get("party") or (spec.parties[0] if len(spec.parties) == 1 else None)
    if flag is None:
        counts.new.append(_raise(session, audit, incident, rule, match, party))
        counts.raised += 1
    elif flag.status == "dismissed" and flag.decided_by is None:
        _set(audit, flag, "provision_flag.reopen", status="open", reason="", decided_at=None,
             party_code=party, match=match)  # fmt: skip
        counts.reopened += 1
    elif flag.status == "open" and (flag.party_code != party or flag.match != match):
        _set(audit, flag, "provision_flag.update", party_code=party, match=match)
        counts.updated += 1


def _why_not(incident: Incident) -> str:
    if incident.status != VERIFIED:
        return f"the incident is {incident.status.replace('_', ' ')}"
    return "the incident's category, place, time or attribution changed, or the rule did"


def _raise(
    session: Session,
    audit: Auditor,
    incident: Incident,
    rule: ProvisionRule,
    match: dict[str, Any],
    party: str | None,
) -> ProvisionFlag:
    flag = ProvisionFlag(
        incident_id=incident.id, provision_id=rule.provision_id, rule_id=rule.id,
        effect=rule.effect, party_code=party, status="open", match=match,
        raised_at=datetime.now(UTC), decided_by=None, decided_at=None, reason="",
    )  # fmt: skip
    session.add(flag)
    session.flush()
    audit.created("provision_flag.raise", flag)
    return flag


def _set(audit: Auditor, flag: ProvisionFlag, action: str, **values: Any) -> None:
    before = row_values(flag)
    for key, value in values.items():
        setattr(flag, key, value)
    audit.session.flush()
    audit.changed(action, flag, before)


def dismiss_open(session: Session, audit: Auditor, flag: ProvisionFlag, reason: str) -> None:
    """Dismiss an open flag automatically (no analyst: decided_by stays empty)."""
    _set(audit, flag, "provision_flag.dismiss", status="dismissed",
         reason=reason[:MAX_REASON], decided_at=datetime.now(UTC), decided_by=None)  # fmt: skip


def on_review(
    session: Session, who: Principal, incident: Incident, source: str, target: str, reason: str
) -> None:
    """The review hook: reaching `verified` flags; leaving it dismisses the open flags."""
    if target == VERIFIED:
        flag_incident(session, who, incident)
    elif source == VERIFIED:
        audit = Auditor(session, who.actor)
        why = f"no longer matches: the incident went back to {target.replace('_', ' ')}"
        for flag in flags_q.of_incident(session, incident.id):
            if flag.status == "open":
                dismiss_open(session, audit, flag, f"{why}: {reason}" if reason else why)


def decide_flag(
    session: Session, who: Principal | None, flag_id: int, status: str, reason: str
) -> ProvisionFlag:
    """An analyst's ruling on a flag: confirmed, or dismissed with a reason (may be revised)."""
    who = require(who, ANALYSTS)
    reason = (reason or "").strip()
    if status not in DECISIONS:
        raise invalid("status", f"one of {', '.join(DECISIONS)}")
    if status == "dismissed" and not reason:
        raise invalid("reason", "say why the flag is dismissed")
    if len(reason) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters")
    flag = flags_q.lock(session, flag_id)
    if flag is None:
        raise VigilError("not_found", f"no flag {flag_id}")
    incident = session.get(Incident, flag.incident_id)
    if incident is None or incident.status != VERIFIED:
        now = incident.status.replace("_", " ") if incident else "gone"
        raise VigilError(
            "state_conflict", f"incident {flag.incident_id} is {now}: only flags of verified "
            "incidents are decided",
        )  # fmt: skip
    if flag.status == status and flag.reason == reason:
        return flag
    _set(Auditor(session, who.actor), flag, "provision_flag.decide", status=status,
         reason=reason, decided_by=who.user_id or None, decided_at=datetime.now(UTC))  # fmt: skip
    return flag


def scan(
    session: Session,
    who: Principal | None,
    provision_number: str | None = None,
    tick: Callable[[str, int], None] | None = None,
) -> Counts:
    """Re-evaluate every verified incident against the rules (of one provision, or all)."""
    who = require(who, ANALYSTS)
    provision_id = None
    if provision_number is not None:
        provision_id = provision_or_404(session, provision_number).id
    ctx = load_context(session, provision_id)
    audit = Auditor(session, who.actor)
    total = Counts()
    for incident_id in flags_q.verified_incident_ids(session):
        # Locked as a review locks it, so a scan and a verification never flag it twice.
        incident = reviews_q.lock_incident(session, incident_id)
        if incident is not None and incident.status == VERIFIED:
            total.add(reflag(session, audit, incident, ctx))
        if tick is not None:
            tick("incidents", 1)
    return total


def provision_or_404(session: Session, number: str) -> Provision:
    """The provision with this number (404 when there is none)."""
    row = provisions_q.by_number(session, number)
    if row is None:
        raise VigilError("not_found", f"no provision {number}")
    return row


def scan_total(session: Session) -> int:
    """How many incidents a scan walks (for a progress bar)."""
    return len(flags_q.verified_incident_ids(session))
