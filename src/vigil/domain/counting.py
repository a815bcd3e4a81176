"""Counting distinct events: the numbers reports quote, with an interval.

Each fused incident is one distinct event. The count's interval says how far that number
could be off for the two reasons fusion knows of: an incident may be a false alarm (its
existence probability is below 1: the lower end is the 2.5 % quantile of the number of
real events, a sum of independent Bernoulli trials, approximated as normal), and a grouping
may be doubtful (an incident whose runner-up grouping has more events adds those to the
upper end). The naive count, one per report, is kept beside it: the number a mission gets
when three posts hearing one explosion make three.
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

    events: int
    expected: float
    low: int
    high: int
    naive: int


def tally(incidents: Iterable[Counted], naive: int) -> Tally:
    """The count of distinct events with its 95 % interval."""
    items = list(incidents)
    n = len(items)
    mean = sum(i.existence_p for i in items)
    var = sum(i.existence_p * (1.0 - i.existence_p) for i in items)
    low = max(0, math.floor(mean - Z_95 * math.sqrt(var)))
    high = n + sum(max(i.alt_events, 1) - 1 for i in items)
    return Tally(n, round(mean, 2), min(low, n), high, naive)
