"""Localisation geometry: exact answers, symmetry, wedges, degenerate rays and the bound."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.domain.fusion import fuse
from vigil.domain.fusion_model import SPEED_OF_SOUND_M_S, Fix, Report
from vigil.domain.geodesy import bearing_deg, destination, distance_m
from vigil.domain.localisation import crlb, locate, offset_m

CENTRE = (39.9, 46.6)  # the demo's line of contact runs near here
T = 1_600_000_000.0
EXPLOSION = "ceasefire_violation.explosion.artillery"
FAST = settings(max_examples=25, deadline=None)


def _at(az: float, dist: float, centre: tuple[float, float] = CENTRE) -> tuple[float, float]:
    """A point `dist` metres from the centre along azimuth `az`."""
    return destination(centre[0], centre[1], az % 360.0, dist)


def _bearing_report(
    rid: int,
    post: tuple[float, float],
    bearing: float,
    sigma: float = 3.0,
    distance: float | None = None,
    observer: str | None = None,
    t: float = T,
) -> Report:
    return Report(
        id=rid,
        client_id=f"r{rid:03d}",
        observer=observer or f"OP-{rid}",
        observer_kind="observation_post",
        observer_lat=post[0],
        observer_lon=post[1],
        t0=t,
        t1=t,
        time_sigma_s=60.0,
        category=EXPLOSION,
        count=1,
        bearing_deg=bearing % 360.0,
        bearing_sigma_deg=sigma,
        distance_m=distance,
        distance_sigma_m=None if distance is None else 0.3 * distance,
    )


def _exact(rid: int, post: tuple[float, float], target: tuple[float, float]) -> Report:
    """A report whose bearing points exactly at the target, heard when the sound arrives."""
    heard = T + distance_m(*post, *target) / SPEED_OF_SOUND_M_S
    return _bearing_report(rid, post, bearing_deg(*post, *target), t=heard)


def _polar(fix: Fix, centre: tuple[float, float] = CENTRE) -> tuple[float, float]:
    """Azimuth and distance of a fix's point from the centre."""
    assert fix.lat is not None and fix.lon is not None
    return bearing_deg(*centre, fix.lat, fix.lon), distance_m(*centre, fix.lat, fix.lon)


def _angle_apart(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


posts_apart = st.tuples(
    st.floats(0, 360), st.floats(2000, 12000), st.floats(30, 150), st.floats(2000, 12000)
)


@FAST
@given(target_az=st.floats(0, 360), target_r=st.floats(0, 3000), posts=posts_apart)
def test_exact_bearings_from_two_posts_give_the_exact_point(
    target_az: float, target_r: float, posts: tuple[float, float, float, float]
) -> None:
    target = _at(target_az, target_r)
    az1, r1, spread, r2 = posts
    first, second = _at(az1, r1, target), _at(az1 + spread, r2, target)
    fix = locate([_exact(1, first, target), _exact(2, second, target)])
    assert fix.kind == "point"
    assert fix.lat is not None and fix.lon is not None
    assert distance_m(fix.lat, fix.lon, *target) < 0.05
    assert fix.chi2 < 1e-6


@FAST
@given(target_az=st.floats(0, 360), target_r=st.floats(0, 3000), posts=posts_apart)
def test_exact_bearings_from_three_posts_give_the_exact_point(
    target_az: float, target_r: float, posts: tuple[float, float, float, float]
) -> None:
    target = _at(target_az, target_r)
    az1, r1, spread, r2 = posts
    places = [_at(az1, r1, target), _at(az1 + spread, r2, target), _at(az1 - 100, 6000, target)]
    fix = locate([_exact(k, p, target) for k, p in enumerate(places, start=1)])
    assert fix.lat is not None and fix.lon is not None
    assert distance_m(fix.lat, fix.lon, *target) < 0.05


def _noisy_scene(noise: Sequence[float], rotation: float = 0.0) -> list[Report]:
    """Three posts around a target, bearings off by `noise`, the whole scene rotated."""
    target = _at(40.0 + rotation, 1500.0)
    reports = []
    for k, (az, r, dist) in enumerate(((200, 6000, None), (300, 8000, 7000.0), (100, 4000, None))):
        post = _at(az + rotation, r)
        true = bearing_deg(*post, *target)
        reports.append(_bearing_report(k + 1, post, true + noise[k], distance=dist))
    return reports


noise3 = st.lists(st.floats(-6, 6), min_size=3, max_size=3)


@FAST
@given(noise=noise3, order=st.permutations(range(3)))
def test_input_order_never_changes_the_fix(noise: list[float], order: list[int]) -> None:
    reports = _noisy_scene(noise)
    a = locate(reports)
    b = locate([reports[k] for k in order])
    assert a.kind == b.kind
    assert a.lat is not None and b.lat is not None and a.lon is not None and b.lon is not None
    assert distance_m(a.lat, a.lon, b.lat, b.lon) < 0.01
    assert a.chi2 == pytest.approx(b.chi2, abs=1e-3)


@FAST
@given(noise=noise3, order=st.permutations(range(6)))
def test_input_order_never_changes_fusion(noise: list[float], order: list[int]) -> None:
    first = _noisy_scene(noise)
    later = [
        _bearing_report(
            r.id + 3,
            (r.observer_lat or 0, r.observer_lon or 0),
            r.bearing_deg or 0,
            observer=r.observer,
            t=T + 600,
        )  # fmt: skip
        for r in _noisy_scene([-x for x in noise], rotation=120)
    ]
    reports = first + later
    assert fuse([reports[k] for k in order]) == fuse(reports)


@FAST
@given(noise=noise3, rotation=st.floats(-180, 180))
def test_rotating_the_scene_rotates_the_answer(noise: list[float], rotation: float) -> None:
    az0, r0 = _polar(locate(_noisy_scene(noise)))
    az1, r1 = _polar(locate(_noisy_scene(noise, rotation)))
    assert r1 == pytest.approx(r0, abs=0.05)
    assert _angle_apart(az1, az0 + rotation) * math.pi / 180 * r0 < 0.05


def test_a_lone_bearing_gives_a_wedge_not_a_point() -> None:
    fix = locate([_bearing_report(1, _at(180, 5000), 10.0)])
    assert fix.kind == "wedge"
    assert fix.lat is None and fix.lon is None and fix.cov is None
    assert fix.wedge is not None and fix.wedge[0] == fix.wedge[-1]


@FAST
@given(bearing=st.floats(0, 360), apart=st.floats(300, 1500), crossing=st.floats(0.1, 2.5))
def test_near_parallel_rays_are_degenerate(bearing: float, apart: float, crossing: float) -> None:
    first = _at(bearing - 90, apart / 2)
    second = _at(bearing + 90, apart / 2)
    fix = locate(
        [_bearing_report(1, first, bearing), _bearing_report(2, second, bearing - crossing)]
    )
    assert fix.kind == "degenerate"


def test_rays_crossing_at_a_good_angle_are_a_point() -> None:
    target = _at(0, 0)
    fix = locate([_exact(1, _at(200, 5000), target), _exact(2, _at(280, 5000), target)])
    assert fix.kind == "point"


@FAST
@given(noise=noise3, extra_az=st.floats(0, 360), extra_r=st.floats(1000, 12000))
def test_the_bound_shrinks_when_a_report_is_added(
    noise: list[float], extra_az: float, extra_r: float
) -> None:
    reports = _noisy_scene(noise)
    target = _at(40.0, 1500.0)
    more = _exact(9, _at(extra_az, extra_r, target), target)
    before, after = crlb(*target, reports[:2]), crlb(*target, [*reports[:2], more])
    assert np.trace(after) < np.trace(before)
    assert np.all(np.linalg.eigvalsh(before - after) > -1e-6)  # smaller in every direction


def test_offset_is_east_and_north_of_the_fix() -> None:
    target = _at(0, 0)
    fix = locate([_exact(1, _at(200, 5000), target), _exact(2, _at(280, 5000), target)])
    north = destination(*target, 0.0, 100.0)
    east, up = offset_m(fix, *north)
    assert east == pytest.approx(0.0, abs=0.1) and up == pytest.approx(100.0, abs=0.1)
