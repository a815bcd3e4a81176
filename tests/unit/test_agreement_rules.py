"""The agreement's rules as pure logic: validation and matching (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigil.domain import agreement_rules as ar
from vigil.errors import VigilError

IN_FORCE = datetime(2020, 11, 9, 21, 0, tzinfo=UTC)
DEADLINE = datetime(2020, 11, 20, 20, 0, tzinfo=UTC)
TIMES = ar.Times(IN_FORCE, DEADLINE)
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [47.0, 39.5], [47.0, 40.0], [46.5, 40.0], [46.5, 39.5]]],
}
LINE = {"type": "LineString", "coordinates": [[46.0, 39.0], [46.0, 40.0]]}
ZONES = {"square": ar.ZoneShape.of("square", SQUARE), "line": ar.ZoneShape.of("line", LINE)}
KNOWN = ar.Known(
    frozenset({"ceasefire_violation", "ceasefire_violation.explosion", "weapons_forces"}),
    {"square": "Polygon", "line": "LineString"},
    frozenset({"AZ", "AM", "RU"}),
)


def spec(**changes) -> ar.RuleSpec:
    base = {
        "label": "Ceasefire violation in the square",
        "effect": "breach",
        "categories": ("ceasefire_violation",),
        "zones": ("square",),
    }
    return ar.RuleSpec(**{**base, **changes})


def seen(**changes) -> ar.Happening:
    base = {
        "category": "ceasefire_violation.explosion.artillery",
        "started_at": datetime(2020, 11, 12, 10, 0, tzinfo=UTC),
        "lat": 39.7,
        "lon": 46.7,
        "party": None,
    }
    return ar.Happening(**{**base, **changes})


def test_a_category_covers_its_sub_categories_only() -> None:
    assert ar.covers("ceasefire_violation", "ceasefire_violation.explosion.artillery")
    assert ar.covers("ceasefire_violation", "ceasefire_violation")
    assert not ar.covers("ceasefire_violation", "ceasefire_violationx")
    assert not ar.covers("ceasefire_violation.explosion", "ceasefire_violation")


def test_inside_a_zone_matches_and_explains() -> None:
    match = ar.evaluate(spec(), TIMES, seen(), ZONES)
    assert match is not None
    assert match["rule_category"] == "ceasefire_violation"
    assert match["zone"] == "square" and match["distance_km"] == 0.0
    assert match["time_basis"] == "in_force" and match["since"] == "2020-11-09T21:00:00Z"
    assert match["party_basis"] == "any party"
    assert "inside square" in ar.describe(match)
    assert ar.evaluate(spec(), TIMES, seen(lat=41.0), ZONES) is None
    assert ar.evaluate(spec(), TIMES, seen(category="weapons_forces"), ZONES) is None


def test_within_km_of_a_line_is_geodesic() -> None:
    # 46.1 E is about 8.6 km east of the 46.0 E meridian at 39.5 N
    near = ar.evaluate(spec(zones=("line",), zone_relation="within", within_km=10),
                       TIMES, seen(lat=39.5, lon=46.1), ZONES)  # fmt: skip
    assert near is not None and near["zone"] == "line"
    assert 8.5 < near["distance_km"] < 8.7
    assert "km from line" in ar.describe(near)
    far = ar.evaluate(spec(zones=("line",), zone_relation="within", within_km=8),
                      TIMES, seen(lat=39.5, lon=46.1), ZONES)  # fmt: skip
    assert far is None


def test_within_picks_the_nearest_zone() -> None:
    rule = spec(zones=("line", "square"), zone_relation="within", within_km=50)
    match = ar.evaluate(rule, TIMES, seen(lat=39.5, lon=46.45), ZONES)
    assert match is not None and match["zone"] == "square"
    assert 4.0 < match["distance_km"] < 4.5


def test_time_bases() -> None:
    before = seen(started_at=datetime(2020, 11, 9, 20, 59, tzinfo=UTC))
    assert ar.evaluate(spec(), TIMES, before, ZONES) is None
    at_start = seen(started_at=IN_FORCE)
    assert ar.evaluate(spec(), TIMES, at_start, ZONES) is not None
    after_deadline = spec(after="deadline")
    assert ar.evaluate(after_deadline, TIMES, seen(), ZONES) is None
    late = seen(started_at=datetime(2020, 11, 21, tzinfo=UTC))
    assert ar.evaluate(after_deadline, TIMES, late, ZONES)["time_basis"] == "deadline"  # type: ignore[index]
    instant = spec(after="instant", after_instant=datetime(2020, 11, 25, 20, tzinfo=UTC))
    assert ar.evaluate(instant, TIMES, late, ZONES) is None
    assert ar.evaluate(instant, TIMES, seen(started_at=datetime(2020, 11, 26, tzinfo=UTC)), ZONES)


def test_party_only_counts_where_attributed() -> None:
    rule = spec(parties=("AM",))
    assert ar.evaluate(rule, TIMES, seen(), ZONES)["party_basis"] == "unattributed"  # type: ignore[index]
    assert ar.evaluate(rule, TIMES, seen(party="AM"), ZONES)["party"] == "AM"  # type: ignore[index]
    assert ar.evaluate(rule, TIMES, seen(party="AZ"), ZONES) is None


def test_no_location_matches_only_rules_without_zones() -> None:
    nowhere = seen(lat=None, lon=None)
    assert ar.evaluate(spec(), TIMES, nowhere, ZONES) is None
    anywhere = ar.evaluate(spec(zones=()), TIMES, nowhere, ZONES)
    assert anywhere is not None and anywhere["zone"] is None
    assert "anywhere" in ar.describe(anywhere)


def test_empty_categories_match_any() -> None:
    match = ar.evaluate(spec(categories=()), TIMES, seen(category="weapons_forces"), ZONES)
    assert match is not None and match["rule_category"] is None


def test_a_valid_rule_is_cleaned() -> None:
    clean = ar.validate(
        spec(label="  x  ", categories=("ceasefire_violation", "ceasefire_violation")),
        TIMES, KNOWN,
    )  # fmt: skip
    assert clean.label == "x" and clean.categories == ("ceasefire_violation",)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"zones": ("nowhere",)}, "zones", "unknown_reference"),
        ({"categories": ("nonsense",)}, "categories", "unknown_category"),
        ({"parties": ("XX",)}, "parties", "unknown_reference"),
        ({"zone_relation": "within"}, "within_km", "validation_failed"),
        ({"zone_relation": "within", "within_km": -1.0}, "within_km", "validation_failed"),
        ({"zone_relation": "within", "within_km": 0.0}, "within_km", "validation_failed"),
        ({"zone_relation": "within", "within_km": 501.0}, "within_km", "validation_failed"),
        ({"within_km": 3.0}, "within_km", "validation_failed"),
        ({"zone_relation": "near"}, "zone_relation", "validation_failed"),
        ({"zones": ("line",)}, "zones", "validation_failed"),
        ({"effect": "maybe"}, "effect", "validation_failed"),
        ({"label": " "}, "label", "validation_failed"),
        ({"after": "later"}, "after", "validation_failed"),
        ({"after": "instant"}, "after_instant", "validation_failed"),
        (
            {"after": "instant", "after_instant": datetime(2020, 11, 25)},
            "after_instant",
            "validation_failed",
        ),
        (
            {"after_instant": datetime(2020, 11, 25, tzinfo=UTC)},
            "after_instant",
            "validation_failed",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_field(changes, field, code) -> None:
    with pytest.raises(VigilError) as caught:
        ar.validate(spec(**changes), TIMES, KNOWN)
    assert caught.value.code == code
    assert [e.field for e in caught.value.errors] == [field]


def test_deadline_rule_needs_a_deadline() -> None:
    with pytest.raises(VigilError) as caught:
        ar.validate(spec(after="deadline"), ar.Times(IN_FORCE, None), KNOWN)
    assert caught.value.errors[0].field == "after"
    assert "no deadline" in caught.value.detail


def test_every_fault_is_named_at_once() -> None:
    with pytest.raises(VigilError) as caught:
        ar.validate(spec(zones=("nowhere",), parties=("XX",)), TIMES, KNOWN)
    assert caught.value.code == "validation_failed"
    assert {e.field for e in caught.value.errors} == {"zones", "parties"}
