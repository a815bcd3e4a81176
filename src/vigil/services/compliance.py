"""The compliance view: who complies with which provision as of an instant, breaches over a
range of days, and the agreement's deadlines; for the mission's internal roles. Read only:
the rules of the status are in domain/compliance.py, documented in docs/compliance.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from vigil.domain import compliance as rules
from vigil.domain import compliance_timeline as over_time
from vigil.domain.roles import INTERNAL
from vigil.errors import FieldError, VigilError, invalid
from vigil.queries import compliance as compliance_q
from vigil.services.access import Principal, require

WINDOW_DAYS = (1, 365)
DEFAULT_WINDOW_DAYS = 7
DEFAULT_RANGE = timedelta(weeks=8)
LONGEST_RANGE = timedelta(days=5 * 365 + 1)  # five years, leap day included


@dataclass(frozen=True)
class Series:
    """Verified breaches of one provision per bucket of the range."""

    provision_id: int
    buckets: list[over_time.Bucket]


@dataclass(frozen=True)
class ComplianceView:
    """What the view shows: statuses, the parties shown, breaches over time, the timeline."""

    as_of: datetime
    window_days: int
    date_from: datetime
    date_to: datetime
    bucket: str  # day, week
    parties: list[str]
    provisions: list[rules.ProvisionStatus]
    series: list[Series]
    timeline: list[over_time.Milestone]


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise invalid(name, "give a time zone, e.g. 2020-11-20T00:00:00Z or +04:00")
    return value.astimezone(UTC) if value is not None else None


def _range(
    as_of: datetime, date_from: datetime | None, date_to: datetime | None
) -> tuple[datetime, datetime]:
    end = _aware("to", date_to) or as_of
    start = _aware("from", date_from) or end - DEFAULT_RANGE
    if start > end:
        raise VigilError(
            "invalid_range", "from is after to", [FieldError("from", "must not be after to")]
        )
    if end - start > LONGEST_RANGE:
        raise VigilError(
            "invalid_range",
            "the range is longer than five years",
            [FieldError("to", "at most five years after from")],
        )
    return start, end


def check_window(window_days: int) -> timedelta:
    """The window in which breaches make a provision breached: 1 to 365 days."""
    low, high = WINDOW_DAYS
    if not low <= window_days <= high:
        raise invalid("window_days", f"a whole number of days from {low} to {high}")
    return timedelta(days=window_days)


def compliance(
    session: Session,
    who: Principal | None,
    as_of: datetime | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    party: str | None = None,
) -> ComplianceView:
    """Every provision's status as of `as_of` (default now) over the last `window_days`, per
    binding party (or only `party`), with verified breaches per day or week over
    [date_from, date_to) (default: the eight weeks up to `as_of`) and the timeline."""
    require(who, INTERNAL)
    at = _aware("as_of", as_of) or datetime.now(UTC)
    window = check_window(window_days)
    start, end = _range(at, date_from, date_to)
    codes = compliance_q.party_codes(session)
    if party is not None and party not in codes:
        raise VigilError("not_found", f"no party {party!r}", [FieldError("party", "unknown")])
    facts = compliance_q.provision_facts(session)
    facts.sort(key=lambda p: _number_key(p.number))
    return ComplianceView(
        as_of=at,
        window_days=window_days,
        date_from=start,
        date_to=end,
        bucket="day" if end - start <= over_time.DAILY_UP_TO else "week",
        parties=[party] if party else _bound(facts, codes),
        provisions=rules.compliance(facts, at, window, party),
        series=[Series(p.id, _series(p, party, start, end)) for p in facts],
        timeline=over_time.timeline(facts, at),
    )


def _series(
    p: rules.ProvisionFacts, party: str | None, start: datetime, end: datetime
) -> list[over_time.Bucket]:
    flags = [f for f in p.flags if party is None or f.party == party]
    return over_time.breach_series(flags, start, end)


def _bound(facts: list[rules.ProvisionFacts], codes: list[str]) -> list[str]:
    """The parties some provision binds, in the party table's order (then any others)."""
    bound = {c for p in facts for c in p.binding}
    return [c for c in codes if c in bound] + sorted(bound - set(codes))


def _number_key(number: str) -> tuple[int, str]:
    head = "".join(ch for ch in number if ch.isdigit())
    return (int(head) if head else 0, number)
