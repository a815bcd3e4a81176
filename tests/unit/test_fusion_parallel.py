"""Fusing in parts, cut at quiet moments, gives exactly the clusters of fusing at once."""

from __future__ import annotations

from datetime import UTC, datetime

from vigil.domain.fusion import fuse
from vigil.domain.fusion_model import Constraints, Report
from vigil.domain.fusion_parallel import fuse_in_parts, split

T0 = datetime(2020, 11, 12, tzinfo=UTC).timestamp()


def _report(i: int, observer: str, t: float, bearing: float) -> Report:
    return Report(
        id=i, client_id=f"r{i:04d}", observer=observer, observer_kind="observation_post",
        observer_lat=39.8 if observer == "A" else 39.7, observer_lon=46.7, t0=t, t1=t,
        time_sigma_s=60, category="ceasefire_violation.explosion.artillery", count=1,
        bearing_deg=bearing, bearing_sigma_deg=3.0, reliability="B",
    )  # fmt: skip


def _day() -> list[Report]:
    """Forty explosions an hour apart, each heard from two posts."""
    out = []
    for k in range(40):
        t = T0 + 3600 * k
        out.append(_report(2 * k + 1, "A", t, 150.0))
        out.append(_report(2 * k + 2, "B", t + 5, 60.0))
    return out


def test_parts_give_the_same_clusters_as_the_whole() -> None:
    reports = _day()
    whole = fuse(reports)
    parts = split(reports, Constraints(), workers=3, min_part=10)
    assert len(parts) == 3 and sum(len(p) for p in parts) == len(reports)
    together = fuse_in_parts(reports, workers=3, min_part=10)
    assert [c.members for c in together] == [c.members for c in whole]
    for a, b in zip(together, whole, strict=True):
        assert abs((a.fix.lat or 0) - (b.fix.lat or 0)) < 1e-6  # floating point, ~0.1 m


def test_a_must_link_group_is_never_cut() -> None:
    reports = _day()
    tie = Constraints(must_link=((1, 80),))  # the first and the last report
    assert len(split(reports, tie, workers=2, min_part=10)) == 1


def test_small_inputs_stay_in_one_process() -> None:
    assert len(split(_day(), Constraints(), workers=2)) == 1
