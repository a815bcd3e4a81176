"""The incident estimate: mean position, 95 % ellipse, window and count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigil.domain.geodesy import destination, distance_m
from vigil.domain.incident import PointReport, estimate

T0 = datetime(2020, 11, 12, 14, 0, tzinfo=UTC)


def _report(
    lat: float | None,
    lon: float | None,
    error: float | None = 100.0,
    minutes: int = 0,
    count: int = 1,
    category: str = "ceasefire_violation.explosion.artillery",
) -> PointReport:
    return PointReport(lat, lon, error, T0 + timedelta(minutes=minutes), None, category, count)


def test_one_report_gives_its_point_and_error_ellipse() -> None:
    est = estimate([_report(39.8, 46.75, error=200)])
    assert est.lat == pytest.approx(39.8) and est.lon == pytest.approx(46.75)
    assert est.major_m == pytest.approx(200 * 5.991**0.5, rel=1e-6)
    assert est.minor_m == pytest.approx(est.major_m)


def test_spread_along_east_west_gives_east_west_ellipse() -> None:
    west = destination(39.8, 46.75, 270, 1000)
    east = destination(39.8, 46.75, 90, 1000)
    est = estimate(
        [
            _report(*west, error=10),
            _report(*east, error=10, minutes=3, count=5),
            _report(None, None, minutes=1, category="ceasefire_violation.explosion.mortar"),
        ]
    )
    assert distance_m(est.lat or 0, est.lon or 0, 39.8, 46.75) < 5
    assert est.major_m > 5 * (est.minor_m or 1)
    assert est.angle_deg == pytest.approx(90, abs=1)
    assert est.count == 5  # three observers of one event: the largest count, not the sum
    assert est.category == "ceasefire_violation.explosion.artillery"
    assert (est.started_at, est.ended_at) == (T0, T0 + timedelta(minutes=3))


def test_bearing_only_reports_locate_nothing() -> None:
    est = estimate([_report(None, None), _report(None, None, minutes=2)])
    assert est.lat is None and est.major_m is None


def test_no_reports_is_an_error() -> None:
    with pytest.raises(ValueError):
        estimate([])
