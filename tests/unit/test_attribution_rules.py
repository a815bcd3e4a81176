"""Attribution rules: confidence order, evidence items, what reports show (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.domain import attribution as rules
from vigil.errors import VigilError

CRATER = {"kind": "crater_analysis", "note": "fuze and crater point to the north-east"}


def _fields(exc: pytest.ExceptionInfo[VigilError]) -> list[str]:
    return [e.field for e in exc.value.errors]


def test_confidence_levels_are_ordered() -> None:
    assert rules.CONFIDENCES == ("low", "medium", "high")
    assert rules.rank("low") < rules.rank("medium") < rules.rank("high")
    assert rules.DEFAULT_MIN_PUBLISHED == "high"


@pytest.mark.parametrize(
    ("confidence", "minimum", "shown"),
    [
        ("high", "high", True),
        ("medium", "high", False),
        ("low", "medium", False),
        ("medium", "medium", True),
        ("high", "low", True),
        ("low", "low", True),
        (None, "low", False),
        ("certain", "low", False),
        ("high", "bogus", False),
    ],
)
def test_shown_in_reports(confidence: str | None, minimum: str, shown: bool) -> None:
    assert rules.shown_in_reports(confidence, minimum) is shown


def test_a_complete_attribution_is_accepted() -> None:
    draft = rules.check_attribution(
        " AZ ", "Medium", [{"kind": "observation", "observation_id": 12}, CRATER], " why "
    )
    assert (draft.party, draft.confidence, draft.reason) == ("AZ", "medium", "why")
    assert draft.observation_ids == [12]
    assert [e.label for e in draft.evidence] == ["Observation", "Crater analysis"]


def test_every_missing_part_is_named_at_once() -> None:
    with pytest.raises(VigilError) as exc:
        rules.check_attribution("", None, [])
    assert exc.value.status == 422
    assert _fields(exc) == ["party", "confidence", "evidence"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"kind": "observation"}, "evidence[0].observation_id"),
        ({"kind": "observation", "observation_id": "12"}, "evidence[0].observation_id"),
        ({"kind": "observation", "observation_id": True}, "evidence[0].observation_id"),
        ({"kind": "observation", "observation_id": 0}, "evidence[0].observation_id"),
        ({"kind": "observation", "observation_id": 2**63}, "evidence[0].observation_id"),
        ({"kind": "crater_analysis"}, "evidence[0].note"),
        ({"kind": "bearing", "note": "   "}, "evidence[0].note"),
        ({"kind": "document", "note": "x" * 2001}, "evidence[0].note"),
        ({"kind": "bearing", "note": "n", "observation_id": 3}, "evidence[0].observation_id"),
        ({"kind": "rumour", "note": "n"}, "evidence[0].kind"),
        ({"note": "n"}, "evidence[0].kind"),
        ("observation:12", "evidence[0]"),
    ],
)
def test_bad_evidence_items_are_named(item: object, field: str) -> None:
    with pytest.raises(VigilError) as exc:
        rules.check_attribution("AZ", "low", [item])
    assert _fields(exc) == [field]


def test_limits() -> None:
    assert rules.check_item({"kind": "document", "note": "x" * 2000}).note == "x" * 2000
    with pytest.raises(VigilError) as exc:
        rules.check_attribution("AZ", "low", [CRATER] * 51)
    assert _fields(exc) == ["evidence"]
    assert len(rules.check_attribution("AZ", "low", [CRATER] * 50).evidence) == 50
    with pytest.raises(VigilError) as exc:
        rules.check_attribution("X" * 17, "low", [CRATER])
    assert _fields(exc) == ["party"]
    with pytest.raises(VigilError) as exc:
        rules.check_attribution("AZ", "low", [CRATER], "r" * 2001)
    assert _fields(exc) == ["reason"]


def test_an_observation_named_twice_is_refused() -> None:
    twice = [{"kind": "observation", "observation_id": 5}] * 2
    with pytest.raises(VigilError) as exc:
        rules.check_attribution("AZ", "low", twice)
    assert _fields(exc) == ["evidence[1]"]


def test_reasons() -> None:
    assert rules.check_reason("  ", required=False) == ""
    with pytest.raises(VigilError) as exc:
        rules.check_reason("  ", required=True)
    assert _fields(exc) == ["reason"]
    assert rules.check_reason(" misread ", required=True) == "misread"


def test_command_line_items() -> None:
    assert rules.parse_item("observation:123") == rules.EvidenceItem("observation", 123)
    assert rules.parse_item("observation:7 the bearing from P2").note == "the bearing from P2"
    crater = rules.parse_item("crater_analysis: fuze points north-east")
    assert crater == rules.EvidenceItem("crater_analysis", None, "fuze points north-east")
    for bad in (
        "observation:abc",
        "observation:²",
        "crater_analysis",
        "crater_analysis:",
        "rumour:x",
    ):
        with pytest.raises(VigilError):
            rules.parse_item(bad)


def test_summary_is_short() -> None:
    items = [
        rules.EvidenceItem("observation", 12),
        rules.EvidenceItem("observation", 14),
        rules.EvidenceItem("crater_analysis", None, "x"),
        rules.EvidenceItem("bearing", None, "a"),
        rules.EvidenceItem("bearing", None, "b"),
    ]
    assert rules.summary(items) == "observations #12, #14; crater analysis; bearing ×2"
    assert rules.summary([rules.EvidenceItem("observation", 3)]) == "observation #3"
    many = [rules.EvidenceItem("observation", 10_000 + n) for n in range(50)]
    assert len(rules.summary(many)) <= rules.MAX_SUMMARY


def test_no_party_is_named_in_code() -> None:
    """Parties are data: the rules know none of them."""
    text = Path(rules.__file__).read_text(encoding="utf-8")
    for code in ('"AZ"', '"AM"', '"RU"', "Azerbaijan", "Armenia"):
        assert code not in text
