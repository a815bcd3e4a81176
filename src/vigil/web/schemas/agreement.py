"""What goes over the wire about the agreement: provisions with their term and rules, rules
in and out, flags and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vigil.domain import agreement_rules as ar
from vigil.store.tables import ProvisionFlag, ProvisionRule
from vigil.web.schemas import ProvisionOut


class RuleIn(BaseModel):
    """A rule to add to a provision (see docs/agreement.md for what each field means)."""

    model_config = {"extra": "forbid"}
    label: str = Field(max_length=200, description="What the rule says, for people.")
    effect: str = Field(max_length=16, description="breach or compliance")
    categories: list[str] = Field(
        default_factory=list, max_length=50, description="Category codes; empty: any."
    )
    zones: list[str] = Field(
        default_factory=list, max_length=50, description="Zone codes; empty: anywhere."
    )
    zone_relation: str = Field("inside", max_length=16, description="inside or within")
    within_km: float | None = Field(None, description="With 'within': more than 0, at most 500.")
    after: str = Field("in_force", max_length=16, description="in_force, deadline or instant")
    after_instant: datetime | None = Field(None, description="With 'instant' (with a zone).")
    parties: list[str] = Field(
        default_factory=list, max_length=20, description="Party codes; empty: any party."
    )

    def spec(self) -> ar.RuleSpec:
        """As the domain checks it."""
        return ar.RuleSpec(
            self.label, self.effect, tuple(self.categories), tuple(self.zones),
            self.zone_relation, self.within_km, self.after, self.after_instant,
            tuple(self.parties),
        )  # fmt: skip


class RuleOut(BaseModel):
    """A rule of a provision (inactive rules are kept: flags point at them)."""

    id: int
    provision: str
    label: str
    effect: str
    categories: list[str]
    zones: list[str]
    zone_relation: str
    within_km: float | None
    after: str
    after_instant: datetime | None
    parties: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, r: ProvisionRule, number: str) -> RuleOut:
        """From a stored rule."""
        return cls(
            id=r.id, provision=number, label=r.label, effect=r.effect,
            categories=list(r.categories), zones=list(r.zones), zone_relation=r.zone_relation,
            within_km=r.within_km, after=r.after, after_instant=r.after_instant,
            parties=list(r.parties), active=r.active, created_at=r.created_at,
        )  # fmt: skip


class FlagCountsOut(BaseModel):
    """What a change to rules did to the flags."""

    incidents: int = 0
    raised: int = 0
    reopened: int = 0
    dismissed: int = 0
    updated: int = 0


class RuleChangedOut(BaseModel):
    """A rule after it was added or deactivated, and what that did to flags."""

    rule: RuleOut
    flags: FlagCountsOut


class RuleOffIn(BaseModel):
    """Why a rule is deactivated."""

    model_config = {"extra": "forbid"}
    reason: str = Field(max_length=2000)


class ProvisionDetailOut(ProvisionOut):
    """A provision with its term, its rules and its flags' counts (verified incidents)."""

    in_force_until: datetime | None
    rules: list[RuleOut]
    flags: dict[str, int] = Field(description="Flags by status, of incidents verified now.")


class FlagOut(BaseModel):
    """An incident a rule says may breach (or show compliance with) a provision."""

    id: int
    incident_id: int
    provision: str
    rule_id: int
    rule_label: str
    effect: str
    party: str | None = Field(description="The party it counts against or for, if any.")
    status: str
    match: dict[str, Any] = Field(description="Why the rule matched, as the flag was raised.")
    why: str = Field(description="The match in one sentence.")
    raised_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str

    @classmethod
    def of(cls, f: ProvisionFlag, number: str, label: str, decided_by: str | None) -> FlagOut:
        """From a stored flag."""
        return cls(
            id=f.id, incident_id=f.incident_id, provision=number, rule_id=f.rule_id,
            rule_label=label, effect=f.effect, party=f.party_code, status=f.status,
            match=f.match, why=ar.describe(f.match), raised_at=f.raised_at,
            decided_by=decided_by, decided_at=f.decided_at, reason=f.reason,
        )  # fmt: skip


class FlagPage(BaseModel):
    """One page of flags, oldest raised first."""

    items: list[FlagOut]
    next_cursor: str | None


class DecisionIn(BaseModel):
    """An analyst's ruling on a flag."""

    model_config = {"extra": "forbid"}
    status: str = Field(max_length=16, description="confirmed or dismissed")
    reason: str = Field("", max_length=2000, description="Required to dismiss.")


class ScanIn(BaseModel):
    """Which provision's rules to re-evaluate (none: all)."""

    model_config = {"extra": "forbid"}
    provision: str | None = Field(None, max_length=16)
