"""The safety rules at their edges: missed check-ins, overdue patrols, stops in forbidden zones,
and never the same kind twice while one is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box

from vigil.domain import safety as rules
from vigil.domain.safety import FORBIDDEN, MISSED, OVERDUE, Fix, ForbiddenZone, PatrolFacts

T0 = datetime(2020, 11, 28, 8, 0, tzinfo=UTC)
END = T0 + timedelta(hours=6)
ZONE = ForbiddenZone("no_access Z", box(46.50, 39.50, 46.60, 39.60))


def patrol(status: str = "under_way", **changes) -> PatrolFacts:
    values = {"status": status, "planned_end": END, "interval_s": 600, "started_at": T0,
              "last_sign": None, "acknowledged": {}}  # fmt: skip
    values.update(changes)
    return PatrolFacts(**values)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def kinds(p: PatrolFacts, now: datetime, fixes=(), zones=(ZONE,), open_kinds=()) -> list[str]:
    return [r.kind for r in rules.decide(p, list(fixes), list(zones), set(open_kinds), now).alarms]


def still(start_min: float, end_min: float, lat=39.55, lon=46.55, step_m=0.0) -> list[Fix]:
    """Reports each minute from start to end, drifting north by step_m metres each."""
    n = int(end_min - start_min) + 1
    return [Fix(at(start_min + i), lat + i * step_m / 111_000, lon) for i in range(n)]


# --- missed check-in ---------------------------------------------------------------------------


def test_no_alarm_within_the_interval_and_at_its_very_end() -> None:
    assert kinds(patrol(), at(9)) == []
    assert kinds(patrol(), at(10)) == []  # exactly the interval: not yet missed


def test_alarm_just_past_the_interval_from_the_start() -> None:
    found = rules.decide(patrol(), [], [], set(), at(10) + timedelta(seconds=1))
    assert [r.kind for r in found.alarms] == [MISSED]
    assert found.alarms[0].detail["interval_s"] == 600 and not found.mark_overdue


def test_a_sign_of_life_restarts_the_timer() -> None:
    p = patrol(last_sign=at(8))
    assert kinds(p, at(17)) == []
    assert kinds(p, at(18.5)) == [MISSED]


def test_an_acknowledgement_restarts_the_timer() -> None:
    p = patrol(acknowledged={MISSED: at(15)})
    assert kinds(p, at(24)) == []
    assert kinds(p, at(26)) == [MISSED]


def test_an_overdue_patrol_is_still_timed() -> None:
    assert kinds(patrol("overdue"), at(11)) == [MISSED]


@pytest.mark.parametrize("status", ["planned", "completed", "aborted"])
def test_patrols_not_out_raise_nothing(status: str) -> None:
    assert kinds(patrol(status), END + timedelta(hours=5), still(-600, -590)) == []


def test_no_start_and_no_sign_means_no_timer() -> None:
    assert kinds(patrol(started_at=None), at(60)) == []
    assert rules.next_check_in(patrol(started_at=None)) is None


def test_never_the_same_kind_twice_while_open() -> None:
    assert kinds(patrol(), at(30), open_kinds=[MISSED]) == []


# --- overdue -----------------------------------------------------------------------------------


def test_overdue_only_past_the_grace() -> None:
    p = patrol(last_sign=END)
    assert kinds(p, END + timedelta(minutes=5)) == []
    found = rules.decide(p, [], [], set(), END + timedelta(minutes=5, seconds=1))
    assert [r.kind for r in found.alarms] == [OVERDUE] and found.mark_overdue
    assert found.alarms[0].detail["late_s"] == 301


def test_an_overdue_patrol_is_not_raised_overdue_again() -> None:
    found = rules.decide(patrol("overdue", last_sign=END + timedelta(hours=1)), [], [], set(),
                         END + timedelta(hours=1))  # fmt: skip
    assert found.alarms == [] and not found.mark_overdue


def test_overdue_open_still_marks_the_patrol() -> None:
    found = rules.decide(patrol(last_sign=END + timedelta(minutes=9)), [], [], {OVERDUE},
                         END + timedelta(minutes=10))  # fmt: skip
    assert found.alarms == [] and found.mark_overdue


# --- stopped inside a forbidden zone -----------------------------------------------------------


def test_stopped_inside_for_the_window() -> None:
    p = patrol(last_sign=at(30))
    found = rules.decide(p, still(20, 30), [ZONE], set(), at(30)).alarms
    assert [r.kind for r in found] == [FORBIDDEN]
    assert found[0].detail["zone"] == "no_access Z"


def test_moving_more_than_100_m_is_not_a_stop() -> None:
    p = patrol(last_sign=at(30))
    assert kinds(p, at(30), still(20, 30, step_m=9)) == [FORBIDDEN]  # 90 m in all
    assert kinds(p, at(30), still(20, 30, step_m=11)) == []  # 110 m


def test_one_report_outside_the_zone_is_not_a_stop() -> None:
    fixes = still(20, 30)
    fixes[3] = Fix(fixes[3].at, 39.4999, 46.55)  # 11 m south of the edge, 56 m from the rest
    assert kinds(patrol(last_sign=at(30)), at(30), fixes) == []


def test_just_arrived_is_not_stopped() -> None:
    p = patrol(last_sign=at(30))
    assert kinds(p, at(30), still(26, 30)) == []  # 4 minutes: less than half the window
    assert kinds(p, at(30), still(25, 30)) == [FORBIDDEN]  # half the window


def test_reports_older_than_the_window_do_not_count() -> None:
    p = patrol(last_sign=at(30))
    assert kinds(p, at(45), still(20, 34), zones=[ZONE]) == [MISSED]


def test_outside_every_zone_or_with_no_zones() -> None:
    p = patrol(last_sign=at(30))
    assert kinds(p, at(30), still(20, 30, lat=39.7)) == []
    assert kinds(p, at(30), still(20, 30), zones=[]) == []


def test_acknowledged_stop_waits_a_whole_window() -> None:
    p = patrol(last_sign=at(30), acknowledged={FORBIDDEN: at(25)})
    assert kinds(p, at(30), still(20, 30)) == []
    assert kinds(patrol(last_sign=at(36), acknowledged={FORBIDDEN: at(25)}), at(36),
                 still(20, 36)) == [FORBIDDEN]  # fmt: skip


def test_spread_of_one_point_is_zero() -> None:
    assert rules.spread_m([Fix(T0, 39.5, 46.5)]) == 0.0


def test_forbidden_kinds_setting() -> None:
    assert rules.forbidden_kinds(" no_access, ,buffer_zone ") == ("no_access", "buffer_zone")
