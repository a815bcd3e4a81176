"""An incident's confidence from its reports' Admiralty grades and independence (pure)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.domain.confidence import (
    CREDIBILITY_P,
    RELIABILITY_P,
    Report,
    confidence,
    level_of,
    report_p,
)
from vigil.domain.sources import SourceKey, check_profile, default_profiles, source_of
from vigil.errors import VigilError

OP1 = SourceKey("post", "OP-1")
OP2 = SourceKey("post", "OP-2")


def rep(i: int, source: SourceKey, grade: str) -> Report:
    return Report(i, f"c{i}", source, grade[0], grade[1])


def test_the_grade_tables() -> None:
    assert RELIABILITY_P == {"A": 0.95, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.5}
    assert CREDIBILITY_P == {"1": 0.95, "2": 0.85, "3": 0.7, "4": 0.5, "5": 0.3, "6": 0.5}


@pytest.mark.parametrize(
    ("grade", "p"),
    [
        ("F6", 0.5),  # nothing can be judged: even odds
        ("A6", 0.95),  # a credibility that cannot be judged leaves the reliability alone
        ("F2", 0.85),
        ("D4", 0.5),
        ("A1", 0.9025 / 0.905),
        ("B2", 0.7225 / 0.745),
        ("C3", 0.49 / 0.58),
        ("E5", 0.09 / 0.58),
    ],
)
def test_a_report_combines_reliability_and_credibility(grade: str, p: float) -> None:
    assert report_p(grade[0], grade[1]) == pytest.approx(p)


def test_the_same_post_twice_counts_once_with_its_best_report() -> None:
    c = confidence([rep(1, OP1, "B3"), rep(2, OP1, "B2")], {})
    assert len(c.sources) == 1
    line = c.sources[0]
    assert [g.report.observation_id for g in line.reports] == [1, 2]
    assert line.best.report.observation_id == 2
    assert c.p == pytest.approx(report_p("B", "2"))


def test_two_posts_combine_as_independent_sources() -> None:
    c = confidence([rep(1, OP1, "B2"), rep(2, OP2, "B2")], {})
    p = report_p("B", "2")
    assert c.p == pytest.approx(1 - (1 - p) ** 2)
    assert c.strong_sources == 2 and c.level == "confirmed"
    assert [s.source.identity for s in c.sources] == ["post:OP-1", "post:OP-2"]


def test_f_falls_back_to_the_profile_then_the_kind_default_then_f() -> None:
    report = rep(1, OP1, "F2")
    own = confidence([report], {("post", "OP-1"): "A", ("post", "*"): "C"}).sources[0].best
    assert (own.reliability, own.reliability_from, own.grade) == ("A", "profile", "A2")
    kind = confidence([report], {("post", "*"): "C"}).sources[0].best
    assert (kind.reliability, kind.reliability_from) == ("C", "kind default")
    none = confidence([report], {("patrol", "*"): "A"}).sources[0].best
    assert (none.reliability, none.reliability_from, none.p) == ("F", "ungraded", 0.85)


def test_a_graded_report_keeps_its_own_reliability() -> None:
    g = confidence([rep(1, OP1, "D2")], {("post", "OP-1"): "A"}).sources[0].best
    assert (g.reliability, g.reliability_from) == ("D", "report")


@pytest.mark.parametrize(
    ("p", "strong", "a1", "level"),
    [
        (0.95, 2, False, "confirmed"),
        (0.95, 1, True, "confirmed"),
        (0.95, 1, False, "high"),  # sure enough, but not from two strong sources
        (0.9499, 2, False, "high"),
        (0.85, 0, False, "high"),
        (0.8499, 0, False, "medium"),
        (0.6, 0, False, "medium"),
        (0.5999, 0, False, "low"),
        (0.0, 0, False, "low"),
        (1 - 0.05 * (1 + 1e-12), 2, False, "confirmed"),  # float error on the threshold
    ],
)
def test_levels_at_the_thresholds(p: float, strong: int, a1: bool, level: str) -> None:
    assert level_of(p, strong, a1) == level


def test_one_a1_report_is_confirmed_and_no_report_is_low() -> None:
    assert confidence([rep(1, OP1, "A1")], {}).level == "confirmed"
    empty = confidence([], {})
    assert (empty.p, empty.level, empty.sources) == (0.0, "low", ())


def test_the_derivation_as_data() -> None:
    data = confidence([rep(1, OP1, "F2"), rep(2, OP1, "B3")], {("post", "*"): "B"}).as_data()
    assert data["level"] == "high" and "1 - prod" in data["formula"]
    (source,) = data["sources"]
    assert source["identity"] == "post:OP-1"
    first, second = source["reports"]
    assert first["grade_reported"] == "F2" and first["grade_used"] == "B2"
    assert first["reliability_from"] == "kind default" and first["counted"]
    assert not second["counted"]


def test_source_identity() -> None:
    assert source_of("post", "OP-1", "observation_post", None) == OP1
    assert source_of("post", "CAM-1", "camera", None) == SourceKey("sensor", "CAM-1")
    assert source_of("post", "AC-1", "acoustic_sensor", "x") == SourceKey("sensor", "AC-1")
    patrol = source_of("patrol", None, None, "  Patrol  2 ")
    assert patrol == source_of("patrol", None, None, "patrol 2") == SourceKey("patrol", "patrol 2")
    assert source_of("third_party", None, None, "BBC").identity == "third_party:bbc"
    assert source_of("monitor", None, None, None) == source_of("monitor", None, None, " ")


def test_profiles_are_checked() -> None:
    assert check_profile(" patrol ", " Patrol 2 ", "b").key == "patrol 2"
    assert check_profile("patrol", "x", "b").reliability == "B"
    with pytest.raises(VigilError) as bad:
        check_profile("satellite", " ", "G")
    assert {e.field for e in bad.value.errors} == {"kind", "key", "reliability"}
    assert {p.kind for p in default_profiles()} == {
        "post",
        "patrol",
        "monitor",
        "sensor",
        "third_party",
    }


SOURCES = st.sampled_from([OP1, OP2, SourceKey("patrol", "p"), SourceKey("third_party", "x")])
GRADES = st.tuples(st.sampled_from("ABCDEF"), st.sampled_from("123456"))
REPORTS = st.lists(st.tuples(SOURCES, GRADES), max_size=12).map(
    lambda items: [Report(i, f"c{i}", s, r, c) for i, (s, (r, c)) in enumerate(items)]
)
PROFILES = {("post", "*"): "B", ("patrol", "p"): "A", ("third_party", "*"): "E"}


@given(REPORTS, st.randoms(use_true_random=False))
def test_the_order_of_reports_does_not_matter(reports: list[Report], rnd) -> None:
    shuffled = list(reports)
    rnd.shuffle(shuffled)
    a, b = confidence(reports, PROFILES), confidence(shuffled, PROFILES)
    assert a == b


@given(REPORTS)
def test_a_source_counts_once_and_probability_stays_in_range(reports: list[Report]) -> None:
    c = confidence(reports, PROFILES)
    assert 0 <= c.p <= 1 and not math.isnan(c.p)
    assert len(c.sources) == len({r.source for r in reports})
    doubled = confidence(
        reports
        + [
            Report(r.observation_id + 100, "d", r.source, r.reliability, r.credibility)
            for r in reports
        ],
        PROFILES,
    )
    assert doubled.p == pytest.approx(c.p)
