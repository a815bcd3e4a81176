"""Compliance over time: verified breaches counted per day or week for the chart, and the
agreement's timeline of deadlines, rules' own start instants and ends of force. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigil.domain.compliance import BREACH, CONFIRMED, VERIFIED, FlagFact, ProvisionFacts

DAILY_UP_TO = timedelta(days=14)  # ranges up to this long are counted per day, longer per week


@dataclass(frozen=True)
class Bucket:
    """One bar of the chart: [start, end) and the verified breaches (incidents) in it."""

    start: datetime
    end: datetime
    count: int


def buckets(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into days (short ranges) or weeks; the last one may be shorter."""
    step = timedelta(days=1) if end - start <= DAILY_UP_TO else timedelta(weeks=1)
    cuts: list[tuple[datetime, datetime]] = []
    at = start
    while at < end:
        cuts.append((at, min(at + step, end)))
        at += step
    return cuts


def breach_series(flags: Iterable[FlagFact], start: datetime, end: datetime) -> list[Bucket]:
    """Verified breaches (distinct incidents of confirmed breach flags) per bucket."""
    times = {
        f.incident_id: f.started_at
        for f in flags
        if f.incident_status == VERIFIED and f.effect == BREACH and f.status == CONFIRMED
    }
    return [
        Bucket(a, b, sum(1 for t in times.values() if a <= t < b)) for a, b in buckets(start, end)
    ]


@dataclass(frozen=True)
class Milestone:
    """A date on the agreement's timeline: a deadline, a rule's start, an end of force."""

    at: datetime
    kind: str  # deadline, rule, end_of_force
    provision_number: str
    label: str
    passed: bool


def timeline(provisions: Iterable[ProvisionFacts], at: datetime) -> list[Milestone]:
    """Every provision's deadline, active rules' own start instants and end of force, in time
    order, each passed (at or before `at`) or upcoming."""
    found: list[Milestone] = []
    for p in provisions:
        if p.deadline:
            found.append(Milestone(p.deadline, "deadline", p.number, p.title, p.deadline <= at))
        for r in p.rules:
            if r.active and r.after_instant:
                label = r.label or f"rule {r.id}"
                found.append(
                    Milestone(r.after_instant, "rule", p.number, label, r.after_instant <= at)
                )
        if p.in_force_until:
            end = p.in_force_until
            found.append(Milestone(end, "end_of_force", p.number, p.title, end <= at))
    return sorted(found, key=lambda m: (m.at, m.provision_number, m.kind))
