"""A provision's rules: list them, add one (checked against the taxonomy, zones and parties),
deactivate one with a reason. Rules are never deleted, so every flag keeps the rule that
raised it; adding or deactivating a rule brings the verified incidents' flags in step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import agreement_rules as ar
from vigil.domain.roles import ADMINS, ANALYSTS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.queries import flags as flags_q
from vigil.queries import provisions as provisions_q
from vigil.services import provision_flags
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Provision, ProvisionRule, ProvisionTerm

MAX_REASON = 2000
RULE_FIELDS = frozenset(
    {"provision", "label", "effect", "categories", "zones", "zone_relation", "within_km",
     "after", "after_instant", "parties"}
)  # fmt: skip


@dataclass(frozen=True)
class ProvisionView:
    """A provision with its term, its rules (inactive ones too) and its flags' counts."""

    provision: Provision
    term: ProvisionTerm | None
    rules: list[ProvisionRule]
    counts: dict[str, int]


@dataclass(frozen=True)
class RuleChange:
    """A rule after it was added or deactivated, and what that did to the flags."""

    rule: ProvisionRule
    flags: provision_flags.Counts


def provision_view(session: Session, who: Principal | None, number: str) -> ProvisionView:
    """One provision for internal readers (404 when there is none)."""
    require(who, INTERNAL)
    p = provision_flags.provision_or_404(session, number)
    rules = list(provisions_q.rules(session, p.id))
    counts = flags_q.counts(session).get(p.id, {})
    return ProvisionView(p, provisions_q.term(session, p.id), rules, counts)


def list_rules(session: Session, who: Principal | None, number: str) -> list[ProvisionRule]:
    """A provision's rules, oldest first, inactive ones included."""
    return provision_view(session, who, number).rules


def known(session: Session) -> ar.Known:
    """What rules may name: the taxonomy, the zones (with their geometry types), the parties."""
    return ar.Known(
        provisions_q.category_codes(session),
        provisions_q.zone_types(session),
        frozenset(provisions_q.party_codes(session).values()),
    )


def add_rule(session: Session, who: Principal | None, number: str, spec: ar.RuleSpec) -> RuleChange:
    """Add a rule to a provision and flag the verified incidents it matches."""
    who = require(who, ANALYSTS)
    provision = provision_flags.provision_or_404(session, number)
    rule = _insert(session, Auditor(session, who.actor), who, provision, spec, known(session))
    counts = provision_flags.scan(session, who, number)
    return RuleChange(rule, counts)


def _insert(
    session: Session,
    audit: Auditor,
    who: Principal,
    provision: Provision,
    spec: ar.RuleSpec,
    names: ar.Known,
) -> ProvisionRule:
    clean = ar.validate(spec, provision_flags.times_of(provision), names)
    rule = ProvisionRule(
        provision_id=provision.id, label=clean.label, effect=clean.effect,
        categories=list(clean.categories), zones=list(clean.zones),
        zone_relation=clean.zone_relation, within_km=clean.within_km, after=clean.after,
        after_instant=clean.after_instant, parties=list(clean.parties), active=True,
        created_by=who.user_id or None, created_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(rule)
    session.flush()
    audit.created("provision_rule.add", rule)
    provision_flags.forget_context(session)
    return rule


def deactivate_rule(
    session: Session, who: Principal | None, number: str, rule_id: int, reason: str
) -> RuleChange:
    """Stop a rule from flagging; its open flags are dismissed with the reason."""
    who = require(who, ANALYSTS)
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "say why the rule is deactivated")
    if len(reason) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters")
    provision = provision_flags.provision_or_404(session, number)
    rule = provisions_q.rule(session, rule_id)
    if rule is None or rule.provision_id != provision.id:
        raise VigilError("not_found", f"provision {number} has no rule {rule_id}")
    if not rule.active:
        raise VigilError("state_conflict", f"rule {rule_id} is deactivated already")
    audit = Auditor(session, who.actor)
    before = row_values(rule)
    rule.active = False
    session.flush()
    provision_flags.forget_context(session)
    audit.changed("provision_rule.deactivate", rule, before)
    # The rule row has no column for the reason: the audit log keeps it beside the change.
    audit.noted("provision_rule.deactivate", "provision_rule_reason", str(rule.id),
                {"rule_id": rule.id, "reason": reason})  # fmt: skip
    open_flags = flags_q.open_of_rule(session, rule.id)
    for flag in open_flags:
        provision_flags.dismiss_open(session, audit, flag, f"rule deactivated: {reason}")
    return RuleChange(rule, provision_flags.Counts(dismissed=len(open_flags)))


def load_rules(session: Session, who: Principal | None, items: Sequence[Mapping[str, Any]]) -> int:
    """Configure rules from data (the demo's provision_rules.json): all of them, or none."""
    who = require(who, ADMINS | ANALYSTS)
    names = known(session)
    audit = Auditor(session, who.actor)
    for index, item in enumerate(items):
        try:
            number, spec = spec_from_data(item)
            provision = provision_flags.provision_or_404(session, number)
            _insert(session, audit, who, provision, spec, names)
        except VigilError as exc:
            raise VigilError(exc.code, f"rule {index + 1}: {exc.detail}", exc.errors) from exc
    return len(items)


def spec_from_data(item: Mapping[str, Any]) -> tuple[str, ar.RuleSpec]:
    """(provision number, rule) from a JSON object; wrong types are named by field."""
    if not isinstance(item, Mapping):
        raise invalid("rule", "an object")
    extra = sorted(set(item) - RULE_FIELDS)
    if extra:
        raise invalid(extra[0], "not a field of a rule")
    km = item.get("within_km")
    if km is not None and (isinstance(km, bool) or not isinstance(km, int | float)):
        raise invalid("within_km", "a number of km")
    return _text(item, "provision"), ar.RuleSpec(
        label=_text(item, "label"), effect=_text(item, "effect"),
        categories=_codes(item, "categories"), zones=_codes(item, "zones"),
        zone_relation=str(item.get("zone_relation") or "inside"),
        within_km=float(km) if km is not None else None,
        after=str(item.get("after") or "in_force"),
        after_instant=_instant(item.get("after_instant")), parties=_codes(item, "parties"),
    )  # fmt: skip


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise invalid(key, "a non-empty string")
    return value.strip()


def _codes(item: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(key, "a list of codes")
    return tuple(v.strip() for v in value)


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid("after_instant", "an ISO 8601 time with its zone") from exc
