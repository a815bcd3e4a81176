"""Analysts' standing decisions as fusion constraints (no database: the rows are built here)."""

from __future__ import annotations

import orjson

from vigil.services.fusion import constraints_of
from vigil.store.tables import FusionDecision


def _decision(kind: str, groups: list[list[int]]) -> FusionDecision:
    return FusionDecision(kind=kind, groups=orjson.dumps(groups).decode(), active=True)


def test_a_pin_keeps_its_reports_together() -> None:
    """A pinned incident's grouping is settled: fusion may not take its reports apart."""
    made = constraints_of([_decision("pin", [[3, 7, 9]])])
    assert made.must_link == ((3, 7, 9),) and not made.cannot_link


def test_merge_split_and_detach() -> None:
    made = constraints_of(
        [
            _decision("merge", [[1, 2]]),
            _decision("split", [[4, 5], [6]]),
            _decision("detach", [[8], [10, 11]]),
            _decision("pin", [[12]]),  # a lone report: nothing to hold together
        ]
    )
    assert made.must_link == ((1, 2), (4, 5))
    assert made.cannot_link == {(4, 6), (5, 6), (8, 10), (8, 11)}
