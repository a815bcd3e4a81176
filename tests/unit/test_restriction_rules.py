"""Restrictions of movement, the pure part: what a valid report is, which zone it is counted
in, and the counting per area, stated party and kind with durations."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigil.domain import restrictions as rules
from vigil.domain.restrictions import Fact, ZoneShape
from vigil.errors import VigilError

T0 = datetime(2020, 11, 20, 10, 0, tzinfo=UTC)
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [47, 39.5], [47, 40], [46.5, 40], [46.5, 39.5]]],
}
SMALL = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [46.6, 39.5], [46.6, 39.6], [46.5, 39.6], [46.5, 39.5]]],
}


def body(**changes: Any) -> dict[str, Any]:
    made: dict[str, Any] = {
        "client_id": "r-1",
        "kind": "denied",
        "occurred_at": T0,
        "lat": 39.55,
        "lon": 46.55,
    }
    made.update(changes)
    return made


def ring(n: int, lat: float = 39.55, lon: float = 46.55, r: float = 0.01) -> dict[str, Any]:
    pts = [
        [lon + r * math.cos(2 * math.pi * k / n), lat + r * math.sin(2 * math.pi * k / n)]
        for k in range(n)
    ]
    return {"type": "Polygon", "coordinates": [pts + [pts[0]]]}


def test_every_kind_has_a_label() -> None:
    assert set(rules.KINDS) == {
        "denied",
        "delayed",
        "conditional_access",
        "threat",
        "mines",
        "drone_jamming",
    }
    assert rules.kind_label("drone_jamming") == "Drone jammed"
    assert rules.kind_label("something_new") == "something new"


def test_a_valid_draft_is_trimmed_and_keeps_no_party() -> None:
    d = rules.parse_draft(body(place="  bridge ", stated_party=" "))
    assert d.place == "bridge" and d.stated_party is None


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"lat": 90.5}, "lat", "validation_failed"),
        ({"lon": 180.5}, "lon", "validation_failed"),
        ({"lat": float("nan")}, "lat", "validation_failed"),
        ({"kind": "blocked"}, "kind", "validation_failed"),
        ({"ended_at": T0}, "ended_at", "validation_failed"),
        ({"ended_at": T0 - timedelta(hours=1)}, "ended_at", "validation_failed"),
        ({"occurred_at": "2020-11-20T10:00:00"}, "occurred_at", "validation_failed"),
        ({"client_id": " "}, "client_id", "validation_failed"),
        ({"occurred_at": "0001-01-01T00:00:00+04:00"}, "occurred_at", "validation_failed"),
        (
            {"area": {"type": "LineString", "coordinates": [[46.5, 39.5], [46.6, 39.6]]}},
            "area",
            "invalid_geometry",
        ),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [
                        [[46.5, 39.5], [46.6, 39.6], [46.6, 39.5], [46.5, 39.6], [46.5, 39.5]]
                    ],
                }
            },
            "area",
            "invalid_geometry",
        ),
        ({"area": ring(rules.MAX_VERTICES + 10)}, "area", "invalid_geometry"),
        ({"area": ring(8, lat=41.0, lon=45.0)}, "area", "invalid_geometry"),
        (
            {
                "area": {
                    "type": "Polygon",
                    "coordinates": [[[500, 39.5], [501, 39.5], [501, 40], [500, 39.5]]],
                }
            },
            "area",
            "invalid_geometry",
        ),
        ({"area": "a polygon"}, "area", "validation_failed"),
    ],
)
def test_bad_drafts_name_their_field(changes: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(VigilError) as caught:
        rules.parse_draft(body(**changes))
    assert caught.value.code == code
    assert field in [e.field for e in caught.value.errors]


def test_an_area_near_the_point_is_accepted() -> None:
    close = ring(8, lat=39.60, lon=46.55, r=0.01)  # about 4.5 km north of the point
    assert rules.parse_draft(body(area=close)).area == close
    assert rules.parse_draft(body(area=ring(rules.MAX_VERTICES - 10))).area is not None


def test_future_times_beyond_skew_are_refused() -> None:
    now = T0
    assert rules.time_errors(now + timedelta(seconds=200), None, now, 300) == []
    late = rules.time_errors(now + timedelta(hours=1), now + timedelta(hours=2), now, 300)
    assert [e.field for e in late] == ["occurred_at", "ended_at"]
    assert [e.field for e in rules.end_errors(T0, T0, now, 300)] == ["ended_at"]
    assert [e.field for e in rules.end_errors(T0, datetime(2020, 11, 21), now, 300)] == ["ended_at"]


def test_the_most_specific_zone_wins() -> None:
    zones = [
        ZoneShape("aor", "area_of_responsibility", SQUARE),
        ZoneShape("corridor", "corridor", SMALL),
        ZoneShape("country", "outline", SQUARE),
        ZoneShape(
            "loc", "line_of_contact", {"type": "LineString", "coordinates": [[46, 39], [47, 40]]}
        ),
    ]
    assert rules.zone_for(39.55, 46.55, zones) == "corridor"
    assert rules.zone_for(39.9, 46.9, zones) == "aor"
    assert rules.zone_for(41.0, 45.0, zones) is None
    assert rules.zone_for(39.9, 46.9, [ZoneShape("country", "outline", SQUARE)]) is None


def test_counts_per_area_party_and_kind() -> None:
    hour = timedelta(hours=1)
    facts = [
        Fact("denied", T0, T0 + 2 * hour, "corridor", "P1"),
        Fact("denied", T0, None, "corridor", None),
        Fact("mines", T0, T0 + 24 * hour, None, None),
    ]
    c = rules.count(facts)
    assert (c.total.count, c.total.open, c.total.duration_s) == (3, 1, 26 * 3600)
    assert list(c.by_area) == ["corridor", rules.OUTSIDE]
    assert c.by_area["corridor"].duration_s == 2 * 3600 and c.by_area["corridor"].open == 1
    assert {k: t.count for k, t in c.by_party.items()} == {rules.NOT_STATED: 2, "P1": 1}
    assert {k: t.count for k, t in c.by_kind.items()} == {"denied": 2, "mines": 1}
    assert rules.count([]).total.count == 0


def test_durations_for_people() -> None:
    assert rules.duration_s(T0, None) is None
    assert rules.duration_s(T0, T0 + timedelta(minutes=90)) == 5400
    assert rules.duration_text(None) == "open"
    assert rules.duration_text(5400) == "1 h 30 min"
    assert rules.duration_text(2 * 86400 + 3 * 3600) == "2 d 3 h"
    assert rules.duration_text(86400) == "1 d"
    assert rules.duration_text(600) == "10 min"


def test_active_in_a_window() -> None:
    day = (T0, T0 + timedelta(days=1))
    assert rules.is_active(T0 - timedelta(days=2), None, *day)
    assert not rules.is_active(T0 - timedelta(days=2), T0 - timedelta(days=1), *day)
    assert not rules.is_active(T0 + timedelta(days=2), None, *day)
