"""Association on small scenes whose right answer is known."""

from __future__ import annotations

from dataclasses import replace

from vigil.domain.fusion import Cluster, Constraints, fuse
from vigil.domain.fusion_model import SPEED_OF_SOUND_M_S, Report
from vigil.domain.geodesy import bearing_deg, destination, distance_m

CENTRE = (39.9, 46.6)
T = 1_600_000_000.0
EX = "ceasefire_violation.explosion."
ARTILLERY = EX + "artillery"


def _at(az: float, dist: float, centre: tuple[float, float] = CENTRE) -> tuple[float, float]:
    return destination(centre[0], centre[1], az % 360.0, dist)


def _heard(
    rid: int,
    post: tuple[float, float],
    event: tuple[float, float],
    at: float,
    *,
    observer: str | None = None,
    kind: str = "observation_post",
    category: str = ARTILLERY,
    off_deg: float = 0.0,
    distance: bool = True,
    count: int = 1,
    to: float | None = None,
) -> Report:
    """What an observer at `post` reports of an event at `event` that happened at `at`."""
    dist = distance_m(*post, *event)
    heard = at + dist / SPEED_OF_SOUND_M_S
    sensor = kind == "acoustic_sensor"
    noted = round(heard) if sensor else round(heard / 60.0) * 60.0
    return Report(
        id=rid,
        client_id=f"r{rid:03d}",
        observer=observer or f"P{rid}",
        observer_kind=kind,
        observer_lat=post[0],
        observer_lon=post[1],
        t0=noted,
        t1=noted if to is None else to,
        time_sigma_s=2.0 if sensor else 60.0,
        category=category,
        count=count,
        bearing_deg=(bearing_deg(*post, *event) + off_deg) % 360.0,
        bearing_sigma_deg=3.0 if sensor else 5.0,
        distance_m=None if sensor or not distance else round(dist, -2),
        distance_sigma_m=None if sensor or not distance else 0.3 * round(dist, -2),
    )


def _groups(clusters: list[Cluster]) -> set[tuple[int, ...]]:
    return {c.members for c in clusters}


def test_two_posts_hearing_one_explosion_make_one_event() -> None:
    boom = _at(0, 0)
    reports = [_heard(1, _at(200, 5000), boom, T, off_deg=2), _heard(2, _at(120, 6000), boom, T)]
    clusters = fuse(reports)
    assert _groups(clusters) == {(1, 2)}
    fix = clusters[0].fix
    assert fix.kind == "point" and fix.lat is not None and fix.lon is not None
    assert distance_m(fix.lat, fix.lon, *boom) < 600


def test_one_post_reporting_twice_makes_two_events() -> None:
    boom = _at(0, 0)
    post = _at(200, 5000)
    for apart in (300, 60):  # far apart in time, and close enough that only the rule splits
        first = _heard(1, post, boom, T, observer="OP-1")
        again = _heard(2, post, boom, T + apart, observer="OP-1")
        assert _groups(fuse([first, again])) == {(1,), (2,)}, apart


def test_two_explosions_twenty_seconds_apart_heard_by_three_sensors_make_two_events() -> None:
    first, second = _at(0, 0), _at(90, 400)
    sensors = [_at(200, 6000), _at(130, 7000), _at(280, 5000)]
    reports = [
        _heard(k + 1 + 3 * e, s, boom, T + 20 * e, observer=f"AC-{k}", kind="acoustic_sensor")
        for e, boom in enumerate((first, second))
        for k, s in enumerate(sensors)
    ]
    assert _groups(fuse(reports)) == {(1, 2, 3), (4, 5, 6)}


def test_rays_that_cross_behind_an_observer_are_not_grouped() -> None:
    west, east = _at(270, 3000), _at(90, 3000)
    north = _at(0, 1700)  # where the lines through both posts meet for these bearings
    a = _heard(1, west, north, T, distance=False)
    b = _heard(2, east, north, T, distance=False)
    assert _groups(fuse([a, b])) == {(1, 2)}
    away = replace(b, bearing_deg=(b.bearing_deg or 0.0) + 180.0)  # same line, behind east
    assert _groups(fuse([a, away])) == {(1,), (2,)}


def test_a_multi_count_summary_is_laid_over_the_events_it_covers() -> None:
    booms = [_at(10, 300), _at(80, 500), _at(200, 400)]
    times = [T, T + 300, T + 600]
    posts = [_at(200, 5000), _at(120, 6000)]
    singles = [
        _heard(1 + 2 * e + k, post, boom, at)
        for e, (boom, at) in enumerate(zip(booms, times, strict=True))
        for k, post in enumerate(posts)
    ]
    summary_post = _at(300, 7000)
    summary = _heard(20, summary_post, _at(0, 0), T - 60, count=12, to=T + 900, observer="OP-S")
    clusters = fuse([*singles, summary])
    events = {tuple(m for m in c.members if m != 20): c for c in clusters}
    assert set(events) - {()} == {(1, 2), (3, 4), (5, 6)}
    for members, c in events.items():
        if members:
            assert 20 in c.summaries or 20 in c.members  # laid over every event it covers
            assert c.count == 1  # the summary's dozen is not one event's count
    assert sum(20 in c.members for c in clusters) <= 1
    if () in events:  # its own event counts only what the others do not
        assert events[()].count == 12 - 3


def test_must_link_and_cannot_link_are_respected() -> None:
    boom, far = _at(0, 0), _at(90, 9000)
    a = _heard(1, _at(200, 5000), boom, T)
    b = _heard(2, _at(120, 6000), boom, T)
    c = _heard(3, _at(20, 5000), far, T + 3000)
    apart = fuse([a, b, c], Constraints(cannot_link=frozenset({(1, 2)})))
    assert _groups(apart) == {(1,), (2,), (3,)}
    tied = fuse([a, b, c], Constraints(must_link=((1, 3),)))
    assert (1, 3) in _groups(tied) or (1, 2, 3) in _groups(tied)
    assert all(not ({1, 3} & set(g)) or {1, 3} <= set(g) for g in _groups(tied))


def test_different_families_are_never_merged() -> None:
    boom = _at(0, 0)
    reports = [
        _heard(1, _at(200, 5000), boom, T),
        _heard(2, _at(120, 6000), boom, T, category="ceasefire_violation.small_arms.bursts"),
        _heard(3, _at(300, 4000), boom, T, category="ceasefire_violation.illumination_flare"),
    ]
    assert _groups(fuse(reports)) == {(1,), (2,), (3,)}


def test_confused_kinds_inside_a_family_are_merged() -> None:
    boom = _at(0, 0)
    reports = [
        _heard(1, _at(200, 5000), boom, T),
        _heard(2, _at(120, 6000), boom, T, category=EX + "mortar"),
        _heard(3, _at(300, 4000), boom, T, category=EX + "undetermined"),
    ]
    clusters = fuse(reports)
    assert _groups(clusters) == {(1, 2, 3)}
    assert clusters[0].category.startswith(EX) and not clusters[0].category.endswith("determined")
