"""The hotline's pure rules: statuses and transitions, validation of texts, channels and times,
the liaison wall, escalation decisions and the statistics per party."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.domain import hotline as rules
from vigil.domain.hotline import Stage, Timing

T0 = datetime(2020, 11, 20, 8, 0, tzinfo=UTC)


def stage(relayed=False, ack=False, answered=False, request=True, addressed=True) -> Stage:
    return Stage(request, addressed, relayed, ack, answered)


@pytest.mark.parametrize(
    ("stages", "closed", "expected"),
    [
        ([stage()], False, "open"),
        ([stage(relayed=True)], False, "relayed"),
        ([stage(relayed=True, ack=True)], False, "acknowledged"),
        ([stage(relayed=True, ack=True, answered=True)], False, "answered"),
        ([stage(relayed=True, ack=True, answered=True), stage()], False, "open"),
        ([stage(relayed=True, ack=True), stage(relayed=True)], False, "relayed"),
        ([stage(relayed=True, ack=True, answered=True), stage(request=False)], False, "answered"),
        ([stage(addressed=False)], False, "answered"),
        ([stage()], True, "closed"),
    ],
)
def test_a_threads_status_is_its_least_advanced_request(stages, closed, expected) -> None:
    assert rules.thread_status(stages, closed) == expected


def test_closed_is_final_and_every_status_is_known() -> None:
    assert set(rules.TRANSITIONS) == set(rules.STATUSES)
    assert rules.TRANSITIONS["closed"] == frozenset()
    assert rules.may_move("answered", "open") and rules.may_move("open", "closed")
    assert not rules.may_move("closed", "open") and not rules.may_move("lost", "open")


@pytest.mark.parametrize(
    ("value", "most", "ok"),
    [("x", 300, True), ("", 300, False), ("   ", 300, False), ("x" * 300, 300, True),
     ("x" * 301, 300, False), ("x" * 10_000, 10_000, True), ("x" * 10_001, 10_000, False)],
)  # fmt: skip
def test_texts_are_not_blank_and_not_too_long(value, most, ok) -> None:
    assert (rules.text_errors("body", value, most) == []) is ok


def test_channels() -> None:
    assert all(rules.channel_errors(c) == [] for c in ("phone", "message", "in_person"))
    assert rules.channel_errors("pigeon")[0].field == "channel"
    assert rules.channel_label("in_person") == "In person"


def test_times_need_a_zone_and_no_future_beyond_skew() -> None:
    assert rules.time_errors("at", T0, T0, 300) == []
    assert rules.time_errors("at", T0 + timedelta(seconds=300), T0, 300) == []
    assert "future" in rules.time_errors("at", T0 + timedelta(seconds=301), T0, 300)[0].message
    assert "zone" in rules.time_errors("at", T0.replace(tzinfo=None), T0, 300)[0].message
    assert rules.time_errors("at", datetime(1980, 1, 1, tzinfo=UTC), T0, 300)
    assert rules.order_errors("at", T0, T0, "received") == []
    assert rules.order_errors("at", T0 - timedelta(seconds=1), T0, "relayed")[0].field == "at"


def test_the_liaison_wall() -> None:
    assert rules.liaison_sees(1, False, 1, 2, False), "their own message, even unrelayed"
    assert not rules.liaison_sees(2, False, 1, 2, False), "not before the mission relays it"
    assert rules.liaison_sees(2, False, 1, 2, True)
    assert not rules.liaison_sees(1, True, 1, 2, True), "never an internal note"
    assert not rules.liaison_sees(3, False, 1, 2, True), "never another party's"
    assert not rules.liaison_sees(None, False, None, None, True)
    assert not rules.liaison_sees(1, False, None, None, False), "a note to the mission"


def timing(mid=1, ack_min=None, answer_min=None, request=True, party="AM") -> Timing:
    ack = T0 + timedelta(minutes=ack_min) if ack_min is not None else None
    ans = T0 + timedelta(minutes=answer_min) if answer_min is not None else None
    return Timing(mid, party, request, T0, ack, ans)


def test_escalation_is_due_at_the_limit_and_only_once() -> None:
    due = rules.due_escalations
    assert due([timing()], set(), T0 + timedelta(seconds=899), 900, 86_400) == []
    assert due([timing()], set(), T0 + timedelta(seconds=900), 900, 86_400) == [
        (1, "unacknowledged")
    ]
    assert due([timing()], {(1, "unacknowledged")}, T0 + timedelta(hours=1), 900, 86_400) == []
    late = T0 + timedelta(days=1)
    assert due([timing(ack_min=5)], set(), late, 900, 86_400) == [(1, "unanswered")]
    assert due([timing(ack_min=5, answer_min=60)], set(), late, 900, 86_400) == []
    assert due([timing(request=False)], set(), late, 900, 86_400) == [], "answers have no clock"


def test_statistics_per_party_by_hand() -> None:
    timings = [
        timing(1, 5, 60), timing(2, 10, 180), timing(3, 30), timing(4, request=False),
        timing(5, 2, 20, party="AZ"),
    ]  # fmt: skip
    found = {s.party: s for s in rules.statistics(["AM", "AZ", "XX"], timings)}
    am = found["AM"]
    assert (am.messages, am.acknowledged, am.answered) == (3, 3, 2)
    assert am.median_ack_s == 600 and am.median_answer_s == 7200
    assert am.share_answered == pytest.approx(2 / 3)
    assert found["AZ"].median_ack_s == 120 and found["AZ"].share_answered == 1
    xx = found["XX"]
    assert (xx.messages, xx.median_ack_s, xx.share_answered) == (0, None, None)
    even = rules.party_stats("AM", [timing(1, 4), timing(2, 6)])
    assert even.median_ack_s == 300, "the median of an even count is the mean of the middle two"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (30, "30 s"), (600, "10 min"), (7200, "2 h 00 min"), (90_000, "1 d 1 h")],
)
def test_durations_for_people(seconds, text) -> None:
    assert rules.duration_text(seconds) == text
