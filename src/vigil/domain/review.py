"""The review of incidents: its states, the moves between them, and the mission's rules.

An incident is `reported` by fusion; an analyst takes it `under_review` and finds it
`corroborated`, `verified` or `refuted`, or sends it back with a reason. The moves are data
(`TRANSITIONS`); what a status needs is the mission's policy (JSON, `DEFAULT_POLICY` when
none is stored), evaluated here against the incident's observations. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vigil.domain.sources import SourceKey
from vigil.errors import VigilError, invalid

REPORTED = "reported"
UNDER_REVIEW = "under_review"
CORROBORATED = "corroborated"
VERIFIED = "verified"
REFUTED = "refuted"
STATES: tuple[str, ...] = (REPORTED, UNDER_REVIEW, CORROBORATED, VERIFIED, REFUTED)
# The statuses that state a finding: fusion must not regroup such an incident silently.
FINDINGS: frozenset[str] = frozenset({CORROBORATED, VERIFIED, REFUTED})
OBSERVER_KINDS: tuple[str, ...] = ("post", "patrol", "monitor", "third_party")
MAX_REASON = 2000


@dataclass(frozen=True)
class Move:
    """One allowed move: forward (a finding or taking up the review) or back (needs a reason)."""

    source: str
    target: str
    back: bool = False


TRANSITIONS: tuple[Move, ...] = (
    Move(REPORTED, UNDER_REVIEW),
    Move(UNDER_REVIEW, CORROBORATED),
    Move(UNDER_REVIEW, VERIFIED),
    Move(UNDER_REVIEW, REFUTED),
    Move(CORROBORATED, VERIFIED),
    Move(UNDER_REVIEW, REPORTED, back=True),
    Move(CORROBORATED, UNDER_REVIEW, back=True),
    Move(VERIFIED, UNDER_REVIEW, back=True),
    Move(REFUTED, UNDER_REVIEW, back=True),
)
_MOVES = {(m.source, m.target): m for m in TRANSITIONS}

DEFAULT_POLICY: dict[str, Any] = {
    VERIFIED: {
        "any_of": [
            {"independent_sources": 2},
            {"direct_sighting": ["monitor", "patrol", "post"]},
        ]
    },
    CORROBORATED: {"any_of": [{"independent_sources": 2}]},
}


def reason_needed(source: str, target: str) -> bool:
    """Every move back, and every move to refuted, must say why."""
    move = _MOVES.get((source, target))
    return target == REFUTED or (move is not None and move.back)


def is_forward(source: str, target: str) -> bool:
    """True when the table has a forward move (no reason needed) from source to target."""
    move = _MOVES.get((source, target))
    return move is not None and not move.back


def check_move(source: str, target: str, reason: str) -> Move:
    """The move from `source` to `target`, if the table allows it and its reason is given."""
    if target not in STATES:
        known = ", ".join(STATES)
        raise invalid("status", f"{target!r} is not a review state ({known})")
    move = _MOVES.get((source, target))
    if move is None:
        allowed = ", ".join(m.target for m in TRANSITIONS if m.source == source) or "none"
        raise VigilError(
            "state_conflict",
            f"{source} -> {target} is not allowed (from {source}: {allowed})",
            extra={"from_status": source, "to_status": target},
        )
    if reason_needed(source, target) and not reason.strip():
        raise invalid("reason", f"{source} -> {target} needs a reason")
    if len(reason) > MAX_REASON:
        raise invalid("reason", f"at most {MAX_REASON} characters")
    return move


@dataclass(frozen=True)
class Sighting:
    """What the policy needs to know of one observation of the incident: who it comes from
    (domain.sources.source_of: the one notion of a source, shared with confidence) and
    whether it gives the event's own location."""

    observation_id: int
    observer_kind: str
    source: SourceKey
    has_location: bool


def source_key(s: Sighting) -> str:
    """Who an observation comes from, e.g. post:OP-1 or patrol:patrol 2 (reports naming no
    one are one source of their kind, never independent of each other)."""
    return s.source.identity


def independent_sources(sightings: Iterable[Sighting]) -> dict[str, list[int]]:
    """Distinct observers -> the observations each made (the same observer twice counts once)."""
    out: dict[str, list[int]] = {}
    for s in sightings:
        out.setdefault(source_key(s), []).append(s.observation_id)
    return out


def direct_sightings(sightings: Iterable[Sighting], kinds: Sequence[str]) -> list[int]:
    """Observations by an observer of one of `kinds` that give the event's own location
    (a bearing alone, or a bearing and a distance, is not a sighting of the place)."""
    return [s.observation_id for s in sightings if s.observer_kind in kinds and s.has_location]


def _rule_met(rule: Mapping[str, Any], sightings: Sequence[Sighting]) -> tuple[bool, list[str]]:
    """Whether every condition of one rule holds, and what was found for each."""
    ok = True
    found: list[str] = []
    for kind, value in sorted(rule.items()):
        if kind == "independent_sources":
            sources = independent_sources(sightings)
            good = len(sources) >= int(value)
            found.append(f"{len(sources)} independent source(s) of {int(value)} needed")
        else:
            seen = direct_sightings(sightings, list(value))
            good = bool(seen)
            who = "/".join(value)
            found.append(
                f"direct sighting by {who}: observation(s) {seen}"
                if seen
                else f"no direct sighting (a location, not only a bearing) by {who}"
            )
        ok = ok and good
    return ok, found


def evaluate(
    policy: Mapping[str, Any], target: str, sightings: Sequence[Sighting]
) -> dict[str, Any]:
    """Which rule of the policy for `target` is met, or why none is (JSON for the analyst)."""
    sources = independent_sources(sightings)
    base: dict[str, Any] = {
        "status": target,
        "independent_sources": sorted(sources),
        "observations": len(sightings),
    }
    rules = policy.get(target)
    if not rules:
        return {**base, "met": True, "rule": None, "why": f"the policy sets no rule for {target}"}
    tried = []
    for index, rule in enumerate(rules.get("any_of", [])):
        ok, found = _rule_met(rule, sightings)
        if ok:
            return {**base, "met": True, "rule": index, "rule_text": describe(rule), "why": found}
        tried.append({"rule": index, "rule_text": describe(rule), "why": found})
    return {**base, "met": False, "rule": None, "why": tried}


def describe(rule: Mapping[str, Any]) -> str:
    """A rule in words, e.g. '2 independent sources' or 'a direct sighting by monitor/post'."""
    parts = []
    for kind, value in sorted(rule.items()):
        if kind == "independent_sources":
            parts.append(f"{value} independent sources")
        else:
            parts.append("a direct sighting by " + "/".join(value))
    return " and ".join(parts)


def validate_policy(rules: Any) -> dict[str, Any]:
    """The policy if well-formed; else 422 naming the path of the first fault."""
    if not isinstance(rules, dict):
        raise invalid("rules", "the policy is an object: status -> rules")
    for status, spec in rules.items():
        path = f"rules.{status}"
        if status not in STATES or status == REPORTED:
            targets = ", ".join(s for s in STATES if s != REPORTED)
            raise invalid(path, f"unknown status (one of {targets})")
        if not isinstance(spec, dict) or set(spec) != {"any_of"}:
            raise invalid(path, 'give {"any_of": [rule, ...]}')
        alternatives = spec["any_of"]
        if not isinstance(alternatives, list) or not alternatives:
            raise invalid(f"{path}.any_of", "a non-empty list of rules")
        for index, rule in enumerate(alternatives):
            _validate_rule(rule, f"{path}.any_of[{index}]")
    return dict(rules)


def _validate_rule(rule: Any, path: str) -> None:
    if not isinstance(rule, dict) or not rule:
        raise invalid(path, "a rule is a non-empty object")
    for kind, value in rule.items():
        where = f"{path}.{kind}"
        if kind == "independent_sources":
            good = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100
            if not good:
                raise invalid(where, "a whole number from 1 to 100")
        elif kind == "direct_sighting":
            if not isinstance(value, list) or not value:
                raise invalid(where, "a non-empty list of observer kinds")
            for kind_name in value:
                if kind_name not in OBSERVER_KINDS:
                    known = ", ".join(OBSERVER_KINDS)
                    raise invalid(where, f"unknown observer kind {kind_name!r} ({known})")
        else:
            raise invalid(where, "unknown rule (independent_sources, direct_sighting)")
