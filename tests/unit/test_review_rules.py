"""The review states, the transition table and the policy's rules (pure, no database)."""

from __future__ import annotations

import pytest

from vigil.domain import review as r
from vigil.domain.sources import source_of
from vigil.errors import VigilError


def _s(i: int, kind: str, post: int | None = None, name: str | None = None, loc: bool = False):
    code = f"OP-{post}" if post is not None else None
    return r.Sighting(i, kind, source_of(kind, code, "observation_post", name), has_location=loc)


def test_forward_moves_need_no_reason() -> None:
    assert not r.check_move("reported", "under_review", "").back
    r.check_move("under_review", "verified", "")
    r.check_move("corroborated", "verified", "")


@pytest.mark.parametrize(
    ("source", "target"),
    [("under_review", "refuted"), ("verified", "under_review"), ("refuted", "under_review"),
     ("under_review", "reported")],
)  # fmt: skip
def test_back_and_refuted_need_a_reason(source: str, target: str) -> None:
    with pytest.raises(VigilError) as refused:
        r.check_move(source, target, "   ")
    assert refused.value.code == "validation_failed" and refused.value.errors[0].field == "reason"
    r.check_move(source, target, "the crater was older")


@pytest.mark.parametrize(
    ("source", "target"),
    [("refuted", "verified"), ("reported", "verified"), ("verified", "refuted"),
     ("reported", "refuted"), ("verified", "verified")],
)  # fmt: skip
def test_illegal_moves_are_refused(source: str, target: str) -> None:
    with pytest.raises(VigilError) as refused:
        r.check_move(source, target, "because")
    assert refused.value.code == "state_conflict"


@pytest.mark.parametrize("target", ["published", "", "VERIFIED"])
def test_unknown_states_are_refused(target: str) -> None:
    with pytest.raises(VigilError) as refused:
        r.check_move("verified", target, "because")
    assert (
        refused.value.code == "validation_failed" and "not a review state" in refused.value.detail
    )


def test_independence_counts_each_observer_once() -> None:
    sightings = [
        _s(1, "post", post=3), _s(2, "post", post=3), _s(3, "patrol", name="Patrol 2"),
        _s(4, "patrol", name=" patrol  2 "), _s(5, "monitor", name="Patrol 2"),
        _s(6, "third_party"),
    ]  # fmt: skip
    sources = r.independent_sources(sightings)
    assert sources == {
        "post:OP-3": [1, 2],
        "patrol:patrol 2": [3, 4],
        "monitor:patrol 2": [5],
        "third_party:(unnamed)": [6],
    }


def test_default_policy_two_sources_verify() -> None:
    one_post_twice = [_s(1, "post", post=3), _s(2, "post", post=3)]
    check = r.evaluate(r.DEFAULT_POLICY, "verified", one_post_twice)
    assert not check["met"] and len(check["why"]) == 2
    assert "1 independent source(s) of 2 needed" in check["why"][0]["why"]
    two = [*one_post_twice, _s(3, "post", post=4)]
    check = r.evaluate(r.DEFAULT_POLICY, "verified", two)
    assert check["met"] and check["rule"] == 0 and check["rule_text"] == "2 independent sources"


def test_a_monitors_located_sighting_verifies_but_a_bearing_does_not() -> None:
    bearing_only = [_s(1, "monitor", name="M1", loc=False)]
    assert not r.evaluate(r.DEFAULT_POLICY, "verified", bearing_only)["met"]
    located = [_s(1, "monitor", name="M1", loc=True)]
    check = r.evaluate(r.DEFAULT_POLICY, "verified", located)
    assert check["met"] and check["rule"] == 1 and "observation(s) [1]" in check["why"][0]
    # a third party's located report is not a direct sighting by the mission
    assert not r.evaluate(r.DEFAULT_POLICY, "verified", [_s(2, "third_party", loc=True)])["met"]
    # corroborated asks only for two sources
    assert not r.evaluate(r.DEFAULT_POLICY, "corroborated", located)["met"]


def test_statuses_without_rules_need_nothing() -> None:
    check = r.evaluate(r.DEFAULT_POLICY, "under_review", [])
    assert check["met"] and check["rule"] is None


def test_a_rule_with_two_conditions_needs_both() -> None:
    policy = {"verified": {"any_of": [{"independent_sources": 2, "direct_sighting": ["post"]}]}}
    r.validate_policy(policy)
    assert not r.evaluate(policy, "verified", [_s(1, "post", post=1, loc=True)])["met"]
    both = [_s(1, "post", post=1, loc=True), _s(2, "patrol", name="P")]
    assert r.evaluate(policy, "verified", both)["met"]


@pytest.mark.parametrize(
    ("policy", "path"),
    [
        ([], "rules"),
        ({"published": {"any_of": [{"independent_sources": 2}]}}, "rules.published"),
        ({"reported": {"any_of": [{"independent_sources": 2}]}}, "rules.reported"),
        ({"verified": {"all_of": []}}, "rules.verified"),
        ({"verified": {"any_of": []}}, "rules.verified.any_of"),
        ({"verified": {"any_of": [{}]}}, "rules.verified.any_of[0]"),
        ({"verified": {"any_of": [{"votes": 2}]}}, "rules.verified.any_of[0].votes"),
        (
            {"verified": {"any_of": [{"independent_sources": 2}, {"independent_sources": 0}]}},
            "rules.verified.any_of[1].independent_sources",
        ),
        ({"verified": {"any_of": [{"independent_sources": 1.5}]}},
         "rules.verified.any_of[0].independent_sources"),
        ({"verified": {"any_of": [{"independent_sources": True}]}},
         "rules.verified.any_of[0].independent_sources"),
        ({"verified": {"any_of": [{"direct_sighting": ["drone"]}]}},
         "rules.verified.any_of[0].direct_sighting"),
        ({"verified": {"any_of": [{"direct_sighting": "post"}]}},
         "rules.verified.any_of[0].direct_sighting"),
    ],
)  # fmt: skip
def test_bad_policies_name_the_path(policy: object, path: str) -> None:
    with pytest.raises(VigilError) as refused:
        r.validate_policy(policy)
    assert refused.value.code == "validation_failed"
    assert refused.value.errors[0].field == path


def test_the_default_policy_is_valid() -> None:
    assert r.validate_policy(r.DEFAULT_POLICY) == r.DEFAULT_POLICY
