"""Comparing a photo's EXIF with its report: distances, time gaps and flags (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.domain.evidence import (
    FAR_FROM_REPORT,
    TIME_MISMATCH,
    Reported,
    Taken,
    compare,
    outside_period,
)
from vigil.domain.geodesy import destination

AT = datetime(2020, 11, 12, 14, 5, tzinfo=UTC)
POST = (39.8, 46.75)
TARGET = destination(*POST, 120.0, 4000.0)  # what the post saw, 4 km south-east
REPORT = Reported(AT, None, [POST, TARGET])


def test_photo_40_km_from_the_report_is_flagged() -> None:
    far = destination(*POST, 0.0, 40_000.0)
    result = compare(Taken(AT, *far), REPORT, 5000, 3 * 3600)
    assert result.flags == [FAR_FROM_REPORT]
    assert result.distance_m == pytest.approx(40_000, abs=1)
    assert result.time_gap_s == 0


def test_the_nearer_of_observer_and_target_counts() -> None:
    at_target = destination(*TARGET, 45.0, 300.0)
    result = compare(Taken(AT, *at_target), REPORT, 250, 3600)
    assert result.distance_m == pytest.approx(300, abs=0.5)
    assert result.flags == [FAR_FROM_REPORT]  # 300 m > 250 m
    assert compare(Taken(AT, *at_target), REPORT, 5000, 3600).flags == []
    at_post = compare(Taken(AT, *POST), REPORT, 5000, 3600)
    assert at_post.distance_m == pytest.approx(0, abs=1e-6) and at_post.flags == []


def test_time_gap_is_exif_minus_report_and_flagged_beyond_the_threshold() -> None:
    late = compare(Taken(AT + timedelta(hours=5), None, None), REPORT, 5000, 3 * 3600)
    assert late.time_gap_s == 5 * 3600 and late.flags == [TIME_MISMATCH]
    early = compare(Taken(AT - timedelta(hours=2), None, None), REPORT, 5000, 3 * 3600)
    assert early.time_gap_s == -2 * 3600 and early.flags == []
    assert late.distance_m is None  # no position in the file: nothing measured


def test_a_time_inside_a_reported_period_is_no_mismatch() -> None:
    period = Reported(AT, AT + timedelta(hours=6), [POST])
    inside = Taken(AT + timedelta(hours=5), *POST)
    assert outside_period(inside.at, period) == 0  # type: ignore[arg-type]
    assert compare(inside, period, 5000, 3600).flags == []
    after = AT + timedelta(hours=8)
    assert outside_period(after, period) == 2 * 3600
    assert compare(Taken(after, *POST), period, 5000, 3600).flags == [TIME_MISMATCH]


def test_both_flags_and_nothing_to_compare() -> None:
    far = destination(*POST, 200.0, 60_000.0)
    both = compare(Taken(AT + timedelta(days=2), *far), REPORT, 5000, 3600)
    assert both.flags == [FAR_FROM_REPORT, TIME_MISMATCH]
    blank = compare(Taken(None, None, None), REPORT, 5000, 3600)
    assert (blank.distance_m, blank.time_gap_s, blank.flags) == (None, None, [])
    nowhere = compare(Taken(AT, *far), Reported(AT, None, []), 5000, 3600)
    assert nowhere.distance_m is None and nowhere.flags == []
