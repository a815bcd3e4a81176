"""The rules of a patrol plan and of a patrol's life, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil.domain import patrols as rules
from vigil.domain.geometry import GeometryError
from vigil.errors import VigilError

T0 = datetime(2020, 11, 20, 4, tzinfo=UTC)


def body(**changes: Any) -> dict[str, Any]:
    made: dict[str, Any] = {
        "code": "PTL-01-20201120",
        "route": {"type": "LineString", "coordinates": [[46.7, 39.8], [46.8, 39.9]]},
        "planned_start": T0,
        "planned_end": T0 + timedelta(hours=7),
        "check_in_interval_s": 1800,
        "members": [{"user": "lead", "role": "leader"}, {"user": "m", "role": "medic"}],
    }
    made.update(changes)
    return made


def test_a_valid_plan() -> None:
    plan = rules.parse_plan(body(code="  PTL-01  ", notified=["AZ", "AM"], vehicles=["AV-1"]))
    assert plan.code == "PTL-01" and plan.notified == ["AZ", "AM"] and plan.vehicles == ["AV-1"]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"code": ""}, "at least 1"),
        ({"code": "a\tb"}, "printable"),
        ({"code": "x" * 65}, "64"),
        ({"route": {"type": "Point", "coordinates": [46.7, 39.8]}}, "LineString or MultiPoint"),
        ({"route": {"type": "LineString", "coordinates": [[46.7, 39.8]]}}, "vertices"),
        ({"route": {"type": "MultiPoint", "coordinates": [[46.7, 39.8]] * 2001}}, "vertices"),
        ({"route": {"type": "MultiPoint", "coordinates": [[46.7, 95], [46.7, 39]]}}, "longitude"),
        ({"route": {"type": "LineString", "coordinates": [[46.7, 39.8], [46.7, 39.8]]}}, "point"),
        ({"route": {"type": "LineString", "coordinates": "x"}}, "vertices"),
        ({"planned_end": T0}, "after planned_start"),
        ({"planned_end": T0 + timedelta(hours=48, seconds=1)}, "48 hours"),
        ({"planned_start": datetime(1980, 1, 1, tzinfo=UTC)}, "plausible"),
        ({"planned_start": datetime(2020, 11, 20, 4)}, "timezone"),
        ({"check_in_interval_s": 59}, "greater than or equal"),
        ({"check_in_interval_s": 86401}, "less than or equal"),
        ({"members": []}, "at least 1"),
        ({"members": [{"user": "a", "role": "member"}]}, "exactly one leader"),
        ({"members": [{"user": "a", "role": "leader"}, {"user": "b", "role": "leader"}]},
         "exactly one leader"),
        ({"members": [{"user": "a", "role": "leader"}, {"user": "a", "role": "driver"}]}, "twice"),
        ({"members": [{"user": "a", "role": "captain"}]}, "role must be one of"),
        ({"vehicles": ["A", "A"]}, "twice"),
        ({"notified": [""]}, "1 to 64"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)  # fmt: skip
def test_bad_plans(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(VigilError) as caught:
        rules.parse_plan(body(**changes))
    assert caught.value.code == "validation_failed"
    assert any(says.lower() in e.message.lower() for e in caught.value.errors), caught.value.errors


def test_whole_plan_errors_name_a_field() -> None:
    with pytest.raises(VigilError) as caught:
        rules.parse_plan(body(planned_end=T0))
    assert caught.value.errors[0].field == "planned_end"
    with pytest.raises(VigilError) as caught:
        rules.parse_plan(body(members=[{"user": "a", "role": "member"}]))
    assert caught.value.errors[0].field == "members"


@pytest.mark.parametrize(
    ("status", "action", "to"),
    [("planned", "start", "under_way"), ("planned", "abort", "aborted"),
     ("under_way", "complete", "completed"), ("under_way", "abort", "aborted"),
     ("under_way", "overdue", "overdue"), ("overdue", "complete", "completed"),
     ("overdue", "abort", "aborted")],
)  # fmt: skip
def test_allowed_steps(status: str, action: str, to: str) -> None:
    assert rules.next_status(status, action, "why") == to


@pytest.mark.parametrize(
    ("status", "action"),
    [("planned", "complete"), ("planned", "overdue"), ("under_way", "start"),
     ("overdue", "start"), ("overdue", "overdue"), ("completed", "abort"),
     ("completed", "start"), ("aborted", "complete"), ("aborted", "start")],
)  # fmt: skip
def test_refused_steps(status: str, action: str) -> None:
    with pytest.raises(VigilError) as caught:
        rules.next_status(status, action, "why")
    assert caught.value.code == "state_conflict" and "cannot" in caught.value.detail


def test_abort_needs_a_reason() -> None:
    with pytest.raises(VigilError) as caught:
        rules.next_status("under_way", "abort", "   ")
    assert caught.value.errors[0].field == "reason"


def test_overlaps() -> None:
    other = rules.Booking("PTL-2", T0, T0 + timedelta(hours=4), "planned")
    assert rules.overlaps(T0 + timedelta(hours=3), T0 + timedelta(hours=6), other)
    assert rules.overlaps(T0 - timedelta(hours=1), T0 + timedelta(hours=9), other)
    assert not rules.overlaps(
        T0 + timedelta(hours=4), T0 + timedelta(hours=6), other
    )  # back to back
    assert not rules.overlaps(T0 - timedelta(hours=2), T0, other)
    for ended in ("completed", "aborted"):
        done = rules.Booking("PTL-2", T0, T0 + timedelta(hours=4), ended)
        assert not rules.overlaps(T0, T0 + timedelta(hours=1), done)


def test_waypoints() -> None:
    got = rules.waypoints_route("39.81 46.75\n\n39.82, 46.76\n")
    assert got == {"type": "MultiPoint", "coordinates": [[46.75, 39.81], [46.76, 39.82]]}
    with pytest.raises(GeometryError, match="line 2"):
        rules.waypoints_route("39.81 46.75\n39.82")


def test_labels() -> None:
    assert rules.status_label("under_way") == "Under way"
    assert rules.status_label("lost_in_fog") == "lost in fog"
