"""Who complies with what: the status of each provision, as a whole and per binding party, as of
an instant, from the flags analysts confirmed on verified incidents; breaches counted over time;
the agreement's deadlines. Pure: the facts come in as small dataclasses, statuses go out, each
with the incidents and flags behind it and a one-line reason (docs/compliance.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

COMPLIED = "complied"
PARTIALLY = "partially"
BREACHED = "breached"
NOT_YET_DUE = "not_yet_due"
UNKNOWN = "unknown"
STATUSES: tuple[str, ...] = (BREACHED, PARTIALLY, UNKNOWN, NOT_YET_DUE, COMPLIED)
BREACH, COMPLIANCE = "breach", "compliance"
OPEN, CONFIRMED = "open", "confirmed"
VERIFIED = "verified"


@dataclass(frozen=True)
class RuleFact:
    """A provision's rule, as far as the status needs it."""

    id: int
    effect: str  # breach, compliance
    active: bool = True
    parties: tuple[str, ...] = ()  # empty: any party
    label: str = ""
    after_instant: datetime | None = None


@dataclass(frozen=True)
class FlagFact:
    """A flag with its incident: the incident's status and start, and the party it counts
    against (a breach: the incident's current attribution) or for (compliance: the flag's)."""

    id: int
    incident_id: int
    effect: str
    status: str  # open, confirmed, dismissed
    incident_status: str
    started_at: datetime
    party: str | None = None


@dataclass(frozen=True)
class ProvisionFacts:
    """A provision with its dates, binding parties, rules and flags."""

    id: int
    number: str
    title: str
    binding: tuple[str, ...]
    in_force_from: datetime | None = None
    deadline: datetime | None = None
    in_force_until: datetime | None = None
    rules: tuple[RuleFact, ...] = ()
    flags: tuple[FlagFact, ...] = ()


@dataclass(frozen=True)
class Status:
    """A status with its evidence: the incidents and flags behind it, and why, in one line."""

    status: str
    reason: str
    incident_ids: tuple[int, ...] = ()
    flag_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Counts:
    """Verified breaches (incidents), open flags and confirmed evidence of compliance."""

    verified_breaches: int = 0
    open_flags: int = 0
    evidence: int = 0


@dataclass(frozen=True)
class ProvisionStatus:
    """One provision's status as a whole and per binding party, with counts."""

    provision: ProvisionFacts
    overall: Status
    counts: Counts
    parties: dict[str, Status] = field(default_factory=dict)
    party_counts: dict[str, Counts] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """The flags one status is computed over (the provision's, or those bearing on a party)."""

    breaches: list[FlagFact]  # confirmed breaches up to the instant
    unattributed: list[FlagFact]  # of the provision's breaches: no party (party scope only)
    open_breaches: list[FlagFact]
    evidence: list[FlagFact]
    rules: list[RuleFact]  # active ones


def counting(flags: Iterable[FlagFact], until: datetime) -> list[FlagFact]:
    """The flags that count at `until`: on incidents verified now, started by then, not
    dismissed."""
    return [
        f
        for f in flags
        if f.incident_status == VERIFIED and f.started_at <= until and f.status in (OPEN, CONFIRMED)
    ]


def _of(flags: Iterable[FlagFact], effect: str, status: str) -> list[FlagFact]:
    return [f for f in flags if f.effect == effect and f.status == status]


def _ids(flags: Iterable[FlagFact]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    flags = list(flags)
    return tuple(sorted({f.incident_id for f in flags})), tuple(sorted(f.id for f in flags))


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _breaches(n: int, kind: str = "") -> str:
    return _n(n, f"{kind}verified breach", f"{kind}verified breaches")


def _span(window: timedelta) -> str:
    days = round(window / timedelta(days=1))
    return "day" if days == 1 else f"{days} days"


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def effective_instant(p: ProvisionFacts, at: datetime) -> datetime:
    """The instant the status is taken at: `at`, or the end of force when that came first."""
    return p.in_force_until if p.in_force_until and p.in_force_until < at else at


def status_of(p: ProvisionFacts, scope: Scope, at: datetime, window: timedelta) -> Status:
    """The status of one scope of a provision at `at` (already the effective instant)."""
    if p.in_force_from and at < p.in_force_from:
        return Status(NOT_YET_DUE, f"in force from {_day(p.in_force_from)}")
    anything = scope.breaches or scope.unattributed
    if p.deadline and at < p.deadline and not anything:
        return Status(NOT_YET_DUE, f"deadline {_day(p.deadline)}; no verified breach yet")
    span = _span(window)
    recent = [f for f in scope.breaches if f.started_at > at - window]
    if recent:
        n = len({f.incident_id for f in recent})
        reason = f"{_breaches(n)} in the last {span}"
        return Status(BREACHED, reason, *_ids(recent))
    if scope.breaches:
        n = len({f.incident_id for f in scope.breaches})
        reason = f"{_breaches(n)} before the last {span}, none within it"
        return Status(PARTIALLY, reason, *_ids(scope.breaches))
    return _without_breaches(scope)


def _without_breaches(scope: Scope) -> Status:
    if scope.unattributed:
        n = len({f.incident_id for f in scope.unattributed})
        reason = f"{_breaches(n, 'unattributed ')}; none attributed to this party"
        return Status(UNKNOWN, reason, *_ids(scope.unattributed))
    if scope.open_breaches:
        n = len(scope.open_breaches)
        reason = f"{_n(n, 'open breach flag awaits', 'open breach flags await')} an analyst"
        return Status(UNKNOWN, reason, *_ids(scope.open_breaches))
    if not scope.rules:
        return Status(UNKNOWN, "no active rules: nothing can be checked")
    only_compliance = all(r.effect == COMPLIANCE for r in scope.rules)
    if only_compliance and not scope.evidence:
        return Status(UNKNOWN, "only rules of compliance, and no evidence of it yet")
    if scope.evidence:
        n = len(scope.evidence)
        pieces = _n(n, "confirmed piece", "confirmed pieces")
        reason = f"no verified breach; {pieces} of evidence of compliance"
        return Status(COMPLIED, reason, *_ids(scope.evidence))
    return Status(COMPLIED, "no verified breach and no open breach flag")


def _counts(flags: Sequence[FlagFact]) -> Counts:
    return Counts(
        verified_breaches=len({f.incident_id for f in _of(flags, BREACH, CONFIRMED)}),
        open_flags=len([f for f in flags if f.status == OPEN]),
        evidence=len(_of(flags, COMPLIANCE, CONFIRMED)),
    )


def _party_counts(flags: Sequence[FlagFact], code: str) -> Counts:
    """A party's counts as its status reads them: its own verified breaches; open flags and
    evidence against or for it, or for nobody in particular."""
    mine = _counts([f for f in flags if f.party == code])
    bearing = _counts([f for f in flags if f.party in (code, None)])
    return Counts(mine.verified_breaches, bearing.open_flags, bearing.evidence)


def provision_status(
    p: ProvisionFacts, at: datetime, window: timedelta, party: str | None = None
) -> ProvisionStatus:
    """The status of a provision as a whole and per binding party (or only `party`)."""
    until = effective_instant(p, at)
    flags = counting(p.flags, until)
    active = [r for r in p.rules if r.active]
    whole = Scope(
        breaches=_of(flags, BREACH, CONFIRMED),
        unattributed=[],
        open_breaches=_of(flags, BREACH, OPEN),
        evidence=_of(flags, COMPLIANCE, CONFIRMED),
        rules=active,
    )
    overall = _ended(p, at, status_of(p, whole, until, window))
    parties = [c for c in p.binding if party is None or c == party]
    statuses = {
        c: _ended(p, at, status_of(p, party_scope(flags, active, c), until, window))
        for c in parties
    }
    counts = {c: _party_counts(flags, c) for c in parties}
    return ProvisionStatus(p, overall, _counts(flags), statuses, counts)


def party_scope(flags: Sequence[FlagFact], rules: Sequence[RuleFact], code: str) -> Scope:
    """What bears on one party: its own breaches; unattributed ones (which may be its own, so
    they neither blame nor clear it); open breach flags against it or nobody; evidence for it
    or for the provision as a whole; and the active rules that can concern it."""
    breaches = _of(flags, BREACH, CONFIRMED)
    return Scope(
        breaches=[f for f in breaches if f.party == code],
        unattributed=[f for f in breaches if f.party is None],
        open_breaches=[f for f in _of(flags, BREACH, OPEN) if f.party in (code, None)],
        evidence=[f for f in _of(flags, COMPLIANCE, CONFIRMED) if f.party in (code, None)],
        rules=[r for r in rules if not r.parties or code in r.parties],
    )


def _ended(p: ProvisionFacts, at: datetime, s: Status) -> Status:
    """Past its end of force, a status says it is the one it stood at then."""
    if p.in_force_until and p.in_force_until < at:
        reason = f"{s.reason} (as it stood at the end of force, {_day(p.in_force_until)})"
        return Status(s.status, reason, s.incident_ids, s.flag_ids)
    return s


def compliance(
    provisions: Iterable[ProvisionFacts],
    at: datetime,
    window: timedelta,
    party: str | None = None,
) -> list[ProvisionStatus]:
    """Every provision's status at `at` (with `party`, only that party's column)."""
    return [provision_status(p, at, window, party) for p in provisions]
