"""Counting distinct events: the numbers reports quote, with an interval.

Fusion makes one incident per event it believes distinct; some are lone reports that may be
false alarms, so each incident carries the probability that it is a real event
(`existence_p`, see `fusion_existence`). The published count is the expected number of real
distinct events, the sum of those probabilities, rounded; its 95 % interval treats them as
independent Bernoulli trials (normal approximation: the sum ± 1.96 √Σ p(1 − p)), and its
upper end also adds, for each doubtful grouping, the extra events of its runner-up. The
number of incident records and the naive count, one per report — what a mission gets when
three posts hearing one explosion make three — are given beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = 1.96


@dataclass(frozen=True)
class Counted:
    """One incident as counting sees it."""

    existence_p: float
    alt_events: int


@dataclass(frozen=True)
class Tally:
    """Distinct events in one cell (period, zone, category), and the naive count."""

    events: int  # the published count: expected real distinct events, rounded
    incidents: int  # incident records, lone reports included
    expected: float
    low: int
    high: int
    naive: int


def tally(incidents: Iterable[Counted], naive: int) -> Tally:
    """The count of distinct events with its 95 % interval."""
    items = list(incidents)
    n = len(items)
    mean = sum(i.existence_p for i in items)
    spread = Z_95 * math.sqrt(sum(i.existence_p * (1.0 - i.existence_p) for i in items))
    low = max(0, math.floor(mean - spread))
    extra = sum(max(i.alt_events, 1) - 1 for i in items)
    high = min(n, math.ceil(mean + spread)) + extra
    events = round(mean)
    return Tally(events, n, round(mean, 2), min(low, events), max(high, events), naive)
