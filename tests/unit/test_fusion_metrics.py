"""The fusion benchmark's metrics, on small partitions whose answers were worked out by hand."""

from __future__ import annotations

import math

import pytest
from benchmarks.fusion_metrics import (
    CHI2_95_2D,
    Evidence,
    Located,
    bcubed,
    calibration,
    count_breakdown,
    count_by_family,
    count_error,
    family,
    localisation,
    mahalanobis2,
    majority_truth,
    repair_partition,
    summarise,
    summary_links,
)

EX = "ceasefire_violation.explosion."
SA = "ceasefire_violation.small_arms."
# Reports 1-3 heard event A, 4-5 event B, 6 and 7 are false alarms.
TRUTH = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: None, 7: None}


# Counting


def test_count_error_and_naive_overcount() -> None:
    got = count_error(incidents=98, detected=100, reports=250)
    assert got["count_error"] == pytest.approx(0.02)
    assert got["count_bias"] == pytest.approx(-0.02)
    assert got["naive_overcount"] == pytest.approx(1.5)


def test_count_error_of_the_expected_count() -> None:
    got = count_error(incidents=98, detected=100, reports=250, expected=104.5)
    assert got["expected_count_error"] == pytest.approx(0.045)
    assert count_error(98, 100, 250)["expected_count_error"] is None


def test_count_breakdown_adds_up() -> None:
    truth = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: None, 7: None, 8: "C"}
    clusters = [(1, 2), (3,), (4, 8), (5,), (6, 7), (99,)]  # 99: a multi-count summary
    got = count_breakdown(clusters, truth, detected=["A", "B", "C", "D"])
    # (1, 2) matches A, (3,) splits A, (4, 8) has no majority, (5,) matches B,
    # (6, 7) false alarms, (99,) no truth; C and D are nobody's majority
    assert got == {"matched": 2, "split": 1, "false_alarm": 1, "mixed": 2, "missed": 2}
    incidents, detected = len(clusters), 4
    assert incidents - detected == got["split"] + got["false_alarm"] + got["mixed"] - got["missed"]


def test_count_error_needs_detected_events() -> None:
    with pytest.raises(ValueError, match="no detected"):
        count_error(1, 0, 1)


def test_family_is_the_first_two_levels() -> None:
    assert family(EX + "mortar") == "ceasefire_violation.explosion"
    assert family("weapons_forces.military_movement") == "weapons_forces.military_movement"
    assert family("humanitarian") == "humanitarian"


def test_count_by_family() -> None:
    incidents = [EX + "mortar", EX + "artillery", SA + "shots"]
    detected = [EX + "mortar", SA + "bursts", SA + "shots"]
    reports = [EX + "mortar"] * 4 + [SA + "shots"] * 3 + ["humanitarian.returns"]
    got = count_by_family(incidents, detected, reports)
    explosions = got["ceasefire_violation.explosion"]
    small_arms = got["ceasefire_violation.small_arms"]
    assert (explosions["incidents"], explosions["detected"]) == (2, 1)
    assert explosions["count_error"] == pytest.approx(1.0)
    assert explosions["naive_overcount"] == pytest.approx(3.0)
    assert small_arms["count_error"] == pytest.approx(0.5)
    assert small_arms["naive_overcount"] == pytest.approx(0.5)
    assert got["humanitarian.returns"]["count_error"] is None  # nothing true to count against


# B-cubed


def test_bcubed_perfect_partition() -> None:
    got = bcubed([(1, 2, 3), (4, 5), (6,), (7,)], TRUTH)
    assert got == pytest.approx({"precision": 1.0, "recall": 1.0, "f1": 1.0})


def test_bcubed_hand_worked() -> None:
    # Precision per report: 1, 1, 1/3, 2/3, 2/3, 1/2, 1/2 -> 14/3 / 7 = 2/3.
    # Recall per report: 2/3, 2/3, 1/3, 1, 1, 1, 1 -> 17/3 / 7 = 17/21.
    got = bcubed([(1, 2), (3, 4, 5), (6, 7)], TRUTH)
    p, r = 2 / 3, 17 / 21
    assert got["precision"] == pytest.approx(p)
    assert got["recall"] == pytest.approx(r)
    assert got["f1"] == pytest.approx(2 * p * r / (p + r))


def test_bcubed_everything_in_one_cluster() -> None:
    # Precision: A reports 3/7 each, B 2/7, false alarms 1/7 -> (9 + 4 + 2) / 49 = 15/49.
    got = bcubed([tuple(TRUTH)], TRUTH)
    assert got["precision"] == pytest.approx(15 / 49)
    assert got["recall"] == pytest.approx(1.0)


def test_bcubed_leaves_out_members_without_truth() -> None:
    """A multi-count summary (id 99) is in a cluster but scored elsewhere."""
    got = bcubed([(1, 2, 3, 99), (4, 5), (6,), (7,)], TRUTH)
    assert got["f1"] == pytest.approx(1.0)


def test_bcubed_refuses_a_report_in_two_clusters_or_in_none() -> None:
    with pytest.raises(ValueError, match="two clusters"):
        bcubed([(1, 2, 3), (3, 4, 5), (6,), (7,)], TRUTH)
    with pytest.raises(ValueError, match="in no cluster"):
        bcubed([(1, 2, 3), (4, 5)], TRUTH)


def test_repair_partition_places_each_report_once() -> None:
    clusters = [(1, 2), (2, 3), (4,)]
    fixed, contract = repair_partition(clusters, [1, 2, 3, 4, 5, 6])
    assert fixed == [(1, 2), (3,), (4,), (5,), (6,)]
    assert contract == {"unplaced": 2, "duplicated": 1}
    assert repair_partition([(1,), (2,)], [1, 2]) == (
        [(1,), (2,)],
        {"unplaced": 0, "duplicated": 0},
    )


def test_majority_truth() -> None:
    truth = {1: "A", 2: "A", 3: "B", 4: None}
    assert majority_truth([1, 2, 3], truth) == "A"
    assert majority_truth([1, 2, 3, 4], truth) is None  # 2 of 4 is not a majority
    assert majority_truth([1, 3], truth) is None
    assert majority_truth([3], truth) == "B"
    assert majority_truth([4, 99], truth) is None


# Localisation and calibration


def test_mahalanobis2_hand_worked() -> None:
    assert mahalanobis2(2.0, 3.0, (4.0, 0.0, 9.0)) == pytest.approx(2.0)
    # inverse of [[2, 1], [1, 2]] is [[2, -1], [-1, 2]] / 3; (1, 1) gives 2/3
    assert mahalanobis2(1.0, 1.0, (2.0, 1.0, 2.0)) == pytest.approx(2 / 3)
    assert mahalanobis2(1.0, 1.0, None) == math.inf
    assert mahalanobis2(1.0, 1.0, (1.0, 1.0, 1.0)) == math.inf  # singular


def test_localisation_ratio_to_the_bound() -> None:
    located = [
        Located(3, 3.0, 4.0, None, 25.0),  # error 5
        Located(4, 0.0, -10.0, None, 100.0),  # error 10
        Located(1, 1.0, 0.0, None, None),  # error 1, too few reports for the ratio
        Located(5, 6.0, 8.0, None, math.inf),  # error 10, no finite bound
    ]
    got = localisation(located)
    assert got["median_error_m"] == pytest.approx(7.5)  # of 1, 5, 10, 10
    assert got["median_error_3plus_m"] == pytest.approx(10.0)  # of 5, 10, 10
    assert (got["bounded"], got["unbounded"]) == (2, 1)
    # sqrt(mean(25, 100)) / sqrt(mean(25, 100)) = 1
    assert got["rms_error_m"] == pytest.approx(math.sqrt(62.5))
    assert got["crlb_ratio"] == pytest.approx(1.0)


def test_localisation_worse_than_the_bound() -> None:
    located = [Located(3, 3.0, 4.0, None, 10.0), Located(3, 0.0, 10.0, None, 15.0)]
    assert localisation(located)["crlb_ratio"] == pytest.approx(math.sqrt(62.5 / 12.5))


def test_localisation_of_nothing() -> None:
    got = localisation([])
    assert got["median_error_m"] is None and got["crlb_ratio"] is None


def test_calibration_counts_missing_ellipses_as_outside() -> None:
    unit = (1.0, 0.0, 1.0)
    located = [
        Located(3, 1.0, 1.0, unit),  # d² = 2: inside
        Located(3, 2.0, 2.0, unit),  # d² = 8: outside
        Located(1, 0.0, 0.0, None),  # no ellipse: outside
        Located(2, 0.0, 2.4, unit),  # d² = 5.76: inside
    ]
    got = calibration(located)
    assert (got["n"], got["inside"], got["no_ellipse"]) == (4, 2, 1)
    assert got["coverage"] == pytest.approx(0.5)
    assert calibration(located, min_reports=3)["coverage"] == pytest.approx(0.5)
    assert 2.4**2 <= CHI2_95_2D < 2.5**2


def test_summary_links() -> None:
    summaries = {"s1": frozenset({"A", "B"}), "s2": frozenset({"C"})}
    links = [("s1", "A"), ("s1", "D"), ("s2", None), ("not a summary", "A")]
    got = summary_links(summaries, links)
    assert got["links"] == 3
    assert got["precision"] == pytest.approx(1 / 3)
    assert got["recall"] == pytest.approx(1 / 3)  # (s1, A) of (s1, A), (s1, B), (s2, C)


# Pooling


def _scenario(tag: str, clusters: list[tuple[int, ...]]) -> Evidence:
    return Evidence(
        reports=len(TRUTH),
        incident_categories=[EX + "mortar"] * len(clusters),
        detected={f"{tag}A": EX + "mortar", f"{tag}B": EX + "mortar"},
        report_categories=[EX + "mortar"] * len(TRUTH),
        existence=float(len(clusters)),
        truth={(tag, r): None if k is None else f"{tag}{k}" for r, k in TRUTH.items()},
        clusters=[tuple((tag, r) for r in c) for c in clusters],
        located=[Located(3, 3.0, 4.0, (16.0, 0.0, 16.0), 25.0)],
    )


def test_summarise_pools_scenarios() -> None:
    pooled = _scenario("x", [(1, 2, 3), (4, 5), (6,), (7,)])
    pooled.extend(_scenario("y", [(1, 2, 3, 4, 5), (6,), (7,)]))
    got = summarise(pooled)
    # 7 incidents for 4 detected events (false alarms make incidents too); 14 reports
    assert (got["incidents"], got["detected"], got["reports"]) == (7, 4, 14)
    assert got["count_error"] == pytest.approx(0.75)
    assert got["naive_overcount"] == pytest.approx(2.5)
    assert got["expected_count_error"] == pytest.approx(0.75)  # every existence is 1
    # x: A, B matched, two false alarms; y: A matched, B missed, two false alarms
    assert got["breakdown"] == {
        "matched": 3,
        "split": 0,
        "false_alarm": 4,
        "mixed": 0,
        "missed": 1,
    }
    assert got["by_family"]["ceasefire_violation.explosion"]["detected"] == 4
    assert got["contract"] == {"unplaced": 0, "duplicated": 0}
    # y: precision 1, 1, 1, 1, 1, then A 3/5 (x3), B 2/5 (x2), false alarms 1 -> 13/5 + 2
    assert got["bcubed"]["precision"] == pytest.approx((7 + 13 / 5 + 2) / 14)
    assert got["bcubed"]["recall"] == pytest.approx(1.0)
    assert got["localisation"]["crlb_ratio"] == pytest.approx(1.0)
    assert got["calibration"]["coverage"] == pytest.approx(1.0)  # d² = 25/16
    assert got["met"] == {
        "count_error": False,
        "f1": False,
        "crlb_ratio": True,
        "calibration": False,
    }
