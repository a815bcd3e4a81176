"""The ground-truth simulator and the demo scenario data it runs on."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import Point, shape

from vigil.domain.geodesy import bearing_deg, distance_m
from vigil.domain.simulation import Scenario, SimPatrol, SimPost, simulate
from vigil.domain.simulation_clocks import clock_of
from vigil.domain.simulation_model import ContactLine, in_sector, vocabulary_problems
from vigil.domain.simulation_patrols import Route, patrols_along
from vigil.domain.taxonomy import DEFAULT_CATEGORIES, WEAPON_CLASSES

DATA = Path(__file__).resolve().parents[2] / "src" / "vigil" / "demo" / "data"
START = datetime(2020, 11, 10, tzinfo=UTC)
CODES = {c.code for c in DEFAULT_CATEGORIES}


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _zones() -> dict[str, Any]:
    collection = json.loads((DATA / "zones.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f for f in collection["features"]}


@cache
def _posts() -> tuple[SimPost, ...]:
    return tuple(
        SimPost(
            r["code"], r["kind"], float(r["lat"]), float(r["lon"]), float(r["range_m"]),
            float(r["view_from_deg"]), float(r["view_to_deg"]),
        )
        for r in _csv("posts.csv")
    )  # fmt: skip


@cache
def _line() -> tuple[tuple[float, float], ...]:
    coords = _zones()["line-of-contact"]["geometry"]["coordinates"]
    return tuple((float(lon), float(lat)) for lon, lat in coords)


@cache
def _month(seed: int = 1) -> Scenario:
    return simulate(_posts(), _line(), START, 30, seed)


# The simulator


def test_the_same_seed_gives_the_same_scenario() -> None:
    assert simulate(_posts(), _line(), START, 30, 1) == _month(1)


def test_different_seeds_give_different_scenarios() -> None:
    other = simulate(_posts(), _line(), START, 30, 2)
    assert other.events != _month(1).events
    assert other.observations != _month(1).observations


def test_a_month_has_a_realistic_volume() -> None:
    scenario = _month()
    assert 800 <= len(scenario.events) <= 2000
    assert 2000 <= len(scenario.observations) <= 5000


def test_every_category_and_weapon_class_is_in_the_taxonomy() -> None:
    assert vocabulary_problems() == []
    scenario = _month()
    for item in (*scenario.events, *scenario.observations):
        assert item.category in CODES
        assert item.weapon_class is None or item.weapon_class in WEAPON_CLASSES


def test_observations_point_at_real_events_except_a_few_false_alarms() -> None:
    scenario = _month()
    keys = {e.key for e in scenario.events}
    false_alarms = [o for o in scenario.observations if o.truth_key is None]
    assert all(o.truth_key in keys for o in scenario.observations if o.truth_key is not None)
    assert 0 < len(false_alarms) < 0.1 * len(scenario.observations)


def test_client_ids_are_unique_and_derived_from_the_seed() -> None:
    ids = [o.client_id for o in _month().observations]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"sim-1-202011100000-\d{6}", i) for i in ids)
    keys = [e.key for e in _month().events]
    assert all(re.fullmatch(r"T1-202011100000-\d{5}", k) for k in keys)
    later = simulate(_posts(), _line(), START + timedelta(days=1), 1, 1)
    assert not {o.client_id for o in later.observations} & set(ids)
    assert not {e.key for e in later.events} & set(keys)


def test_bearings_are_in_range_and_every_report_says_where() -> None:
    for o in _month().observations:
        assert o.bearing_deg is not None or o.lat is not None
        assert o.bearing_deg is None or 0.0 <= o.bearing_deg < 360.0
        assert o.distance_m is None or o.distance_m > 0


def test_detected_events_lie_within_the_posts_range() -> None:
    scenario = _month()
    events = {e.key: e for e in scenario.events}
    posts = {p.code: p for p in _posts()}
    for o in scenario.observations:
        if o.truth_key is None:
            continue
        assert o.observer_kind == "post"
        event, post = events[o.truth_key], posts[o.post_code]
        assert distance_m(post.lat, post.lon, event.lat, event.lon) <= post.range_m + 1.0
        assert (o.observer_lat, o.observer_lon) == (post.lat, post.lon)


def test_cameras_report_only_what_is_in_their_sector() -> None:
    scenario = _month()
    events = {e.key: e for e in scenario.events}
    cameras = {p.code: p for p in _posts() if p.kind == "camera"}
    seen = [o for o in scenario.observations if o.post_code in cameras and o.truth_key]
    assert seen
    for o in seen:
        post, event = cameras[o.post_code], events[o.truth_key or ""]
        true_bearing = bearing_deg(post.lat, post.lon, event.lat, event.lon)
        assert in_sector(true_bearing, post.view_from_deg, post.view_to_deg)


def test_many_explosions_are_heard_by_more_than_one_post() -> None:
    scenario = _month()
    heard_by: dict[str, set[str]] = {}
    for o in scenario.observations:
        if o.truth_key:
            heard_by.setdefault(o.truth_key, set()).add(o.post_code)
    explosions = [e for e in scenario.events if ".explosion." in e.category]
    several = [e for e in explosions if len(heard_by.get(e.key, ())) >= 2]
    assert len(several) >= 0.2 * len(explosions)


def test_events_happen_near_the_line_within_the_period() -> None:
    line = ContactLine(_line())
    scenario = _month()
    end = START + timedelta(days=30)
    for event in scenario.events[::7]:
        _, off_line = line.project(event.lat, event.lon, step_m=200.0)
        assert off_line <= 3600.0
    for event in scenario.events:
        assert START <= event.started_at < end
        assert event.started_at <= event.ended_at
        assert event.count >= 1


def test_times_are_utc_and_follow_the_event_with_sound_delay() -> None:
    scenario = _month()
    events = {e.key: e for e in scenario.events}
    for o in scenario.observations:
        assert o.observed_at.utcoffset() == timedelta(0)
        assert o.observed_to is None or o.observed_to >= o.observed_at
        if o.truth_key is None:
            continue
        first = min(events[k].started_at for k in o.truth_keys)
        lag = (o.observed_at - first).total_seconds() - _clock_error(o, first)
        assert -o.time_uncertainty_s <= lag <= 20_000 / 343 + 2 * o.time_uncertainty_s + 60


def test_errors_are_present_but_bounded() -> None:
    scenario = _month()
    events = {e.key: e for e in scenario.events}
    reported = Counter(o.category == events[o.truth_key].category for o in _truthful(scenario))
    assert 0.05 < reported[False] / sum(reported.values()) < 0.4
    located = [o for o in _truthful(scenario) if o.lat is not None]
    assert located
    assert all(o.category.startswith("weapons_forces.") for o in located)
    no_distance = [o for o in scenario.observations if o.distance_m is None]
    assert 0 < len(no_distance) < len(scenario.observations)


def _truthful(scenario: Scenario) -> list[Any]:
    return [o for o in scenario.observations if o.truth_key is not None]


def test_start_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate(_posts(), _line(), datetime(2020, 11, 10), 1, 1)


def test_days_seed_and_density_must_make_sense() -> None:
    for days, seed, density in ((0, 1, 1.0), (1, -1, 1.0), (1, 1, 0.0), (1, 1, 20.5)):
        with pytest.raises(ValueError):
            simulate(_posts(), _line(), START, days, seed, density=density)


def _clock_error(o: Any, at: datetime, seed: int = 1) -> float:
    """What the reporting observer's clock added to a true time."""
    kinds = {p.code: p.kind for p in _posts()}
    clock = clock_of(seed, o.post_code, kinds.get(o.post_code, "patrol"), START.timestamp())
    return clock.error_s(at.timestamp())


# Patrols


@cache
def _patrols() -> tuple[SimPatrol, ...]:
    return patrols_along(_line())


@cache
def _patrolled(seed: int = 1) -> Scenario:
    return simulate(_posts(), _line(), START, 30, seed, patrols=_patrols())


def test_the_demo_patrols_drive_by_day_a_few_km_behind_each_side_of_the_line() -> None:
    line = ContactLine(_line())
    patrols = _patrols()
    assert 3 <= len(patrols) <= 4
    sides = []
    for patrol in patrols:
        assert patrol.start_hour >= 7 and patrol.start_hour + patrol.duration_h <= 17
        assert len(patrol.route) >= 5 and patrol.speed_m_s > 0
        for lat, lon in patrol.route[::3]:
            _, off_line = line.project(lat, lon, step_m=200.0)
            assert 2500.0 <= off_line <= 5500.0
        along, _ = line.project(*patrol.route[len(patrol.route) // 2])
        mid = line.point(along, 0.0)
        right = line.point(along, 4000.0)
        sides.append(distance_m(*patrol.route[len(patrol.route) // 2], *right) < 2000.0)
        assert distance_m(*mid, *patrol.route[len(patrol.route) // 2]) > 2500.0
    assert any(sides) and not all(sides)


def test_adding_patrols_keeps_the_events_and_what_the_posts_report() -> None:
    with_patrols = _patrolled()
    assert with_patrols.events == _month().events
    by_posts = [o for o in with_patrols.observations if o.observer_kind == "post"]
    assert [(o.post_code, o.observed_at, o.truth_keys) for o in by_posts] == [
        (o.post_code, o.observed_at, o.truth_keys) for o in _month().observations
    ]
    assert simulate(_posts(), _line(), START, 30, 1, patrols=_patrols()) == with_patrols


def test_patrols_report_from_where_their_route_took_them_at_the_time() -> None:
    scenario = _patrolled()
    events = {e.key: e for e in scenario.events}
    routes = {p.code: Route(p) for p in _patrols()}
    reports = [o for o in scenario.observations if o.observer_kind == "patrol"]
    assert len(reports) >= 30
    assert {o.post_code for o in reports} == set(routes)
    for o in reports:
        assert (o.reliability, o.credibility, o.bearing_error_deg) == ("C", "2", 7.0)
        route = routes[o.post_code]
        if o.truth_key is None:
            continue
        at = events[o.truth_key].started_at.timestamp()
        on_duty, out_for = route.on_duty(np.array([at]))
        assert on_duty[0]
        lats, lons = route.where(out_for)
        assert distance_m(o.observer_lat, o.observer_lon, lats[0], lons[0]) < 2.0
    positions = {(o.observer_lat, o.observer_lon) for o in reports}
    assert len(positions) > 0.8 * len(reports)  # they move


# Clocks, density and summaries


def test_each_observer_reports_by_its_own_clock() -> None:
    scenario = _month()
    events = {e.key: e for e in scenario.events}
    posts = {p.code: p for p in _posts()}
    residuals: dict[str, list[float]] = {}
    for o in scenario.observations:
        if o.truth_key is None or len(o.truth_keys) > 1:
            continue
        post, event = posts[o.post_code], events[o.truth_key]
        heard = event.started_at + timedelta(
            seconds=distance_m(post.lat, post.lon, event.lat, event.lon) / 343.0
            if o.text.find(" heard ") > 0
            else 0.0
        )
        late = (o.observed_at - heard).total_seconds()
        residuals.setdefault(o.post_code, []).append(late)
        if post.kind == "acoustic_sensor":  # rounded to the second, nothing else
            assert abs(late - _clock_error(o, heard)) <= 0.51
    sensors = [np.mean(r) for c, r in residuals.items() if posts[c].kind == "acoustic_sensor"]
    assert max(abs(m) for m in sensors) > 0.2  # not just rounding
    staffed = [c for c, r in residuals.items() if posts[c].kind == "observation_post"]
    means = [np.mean(residuals[c]) for c in staffed]
    corrected = [np.mean(residuals[c]) - _clock_error_mean(c) for c in staffed]
    assert np.std(means) > 6.0  # posts' clocks disagree by many seconds
    assert np.std(corrected) < np.std(means) / 2


def _clock_error_mean(code: str) -> float:
    """A post's mean clock error over the month (offset plus half the drift)."""
    kinds = {p.code: p.kind for p in _posts()}
    clock = clock_of(1, code, kinds[code], START.timestamp())
    return float(np.mean([clock.error_s(START.timestamp() + d * 3600) for d in range(720)]))


def test_clocks_drift_and_are_set_again_every_month() -> None:
    clock = clock_of(1, "OP-01", "observation_post", START.timestamp())
    assert clock == clock_of(1, "OP-01", "observation_post", START.timestamp())
    t0 = START.timestamp()
    assert clock.error_s(t0) == clock.offset_s != 0.0
    assert clock.error_s(t0 + 20 * 86400) == pytest.approx(
        clock.offset_s + 20 * clock.drift_s_per_day
    )
    assert clock.error_s(t0 + 30 * 86400) == pytest.approx(clock.offset_s)
    offsets = [clock_of(s, "OP-01", "observation_post", t0).offset_s for s in range(200)]
    assert 10.0 < np.std(offsets) < 20.0
    sensors = [clock_of(s, "AC-01", "acoustic_sensor", t0).offset_s for s in range(200)]
    assert 0.3 < np.std(sensors) < 0.7


def test_density_scales_events_and_reports_roughly_linearly() -> None:
    base = simulate(_posts(), _line(), START, 60, 4)
    busy = simulate(_posts(), _line(), START, 60, 4, density=3.0)
    assert 2.5 <= len(busy.events) / len(base.events) <= 3.5
    truthful = [len([o for o in s.observations if o.truth_key]) for s in (base, busy)]
    assert 2.3 <= truthful[1] / truthful[0] <= 3.7


def test_summaries_cover_several_rounds_of_one_episode() -> None:
    scenario = _month()
    events = {e.key: e for e in scenario.events}
    posts = {p.code: p for p in _posts()}
    summaries = [o for o in scenario.observations if len(o.truth_keys) > 1]
    assert len(summaries) >= 20
    ratios = []
    for o in summaries:
        covered = [events[k] for k in o.truth_keys]
        assert len(covered) >= 3 and o.truth_key == o.truth_keys[0]
        assert len({e.episode for e in covered}) == 1 and covered[0].episode >= 0
        assert all(".explosion." in e.category for e in covered)
        assert posts[o.post_code].kind == "observation_post"
        assert re.fullmatch(
            r"\d+ explosions \d\d:\d\d-\d\d:\d\d, [NESW]{1,2}(, \d+-\d+ km)?", o.text
        )
        post = posts[o.post_code]
        heard = [
            e.started_at.timestamp() + distance_m(post.lat, post.lon, e.lat, e.lon) / 343.0
            for e in covered
        ]
        first = o.observed_at.timestamp() - _clock_error(o, o.observed_at)
        last = (o.observed_to or o.observed_at).timestamp() - _clock_error(o, o.observed_at)
        assert min(heard) - 30.0 <= first <= min(heard) + 90.0 + 30.0
        assert max(heard) - 30.0 <= last <= max(heard) + 90.0 + 30.0
        ratios.append(o.count / sum(e.count for e in covered))
        lat = np.mean([e.lat for e in covered])
        lon = np.mean([e.lon for e in covered])
        off = (o.bearing_deg - bearing_deg(post.lat, post.lon, lat, lon) + 180.0) % 360.0 - 180.0
        assert abs(off) < 5 * 5.0
    assert 0.8 < float(np.exp(np.mean(np.log(ratios)))) < 1.25
    assert all(0.3 < r < 3.0 for r in ratios)


def test_single_reports_cover_one_event_and_false_alarms_none() -> None:
    for o in _patrolled().observations:
        if len(o.truth_keys) <= 1:
            assert o.truth_keys == ((o.truth_key,) if o.truth_key else ())


# The demo data


def _rounded_to_5(coords: Any) -> bool:
    if isinstance(coords[0], int | float):
        return all(round(v, 5) == v for v in coords)
    return all(_rounded_to_5(c) for c in coords)


def test_zones_are_valid_counter_clockwise_and_complete() -> None:
    zones = _zones()
    kinds = {code: z["properties"]["kind"] for code, z in zones.items()}
    assert kinds["line-of-contact"] == "line_of_contact"
    assert kinds["lachin-corridor"] == "corridor"
    assert kinds["area-of-responsibility"] == "area_of_responsibility"
    for district in ("kalbajar-district", "aghdam-district", "lachin-district"):
        assert kinds[district] == "withdrawal_zone"
    assert {kinds["armenia"], kinds["azerbaijan"]} == {"outline"}
    for code, zone in zones.items():
        geom = shape(zone["geometry"])
        assert geom.is_valid, code
        assert _rounded_to_5(zone["geometry"]["coordinates"]), code
        assert {"en", "az", "hy"} <= set(zone["properties"]["names"]), code
        for part in getattr(geom, "geoms", [geom]):
            if part.geom_type == "Polygon":
                assert part.exterior.is_ccw, code
    assert len(zones["line-of-contact"]["geometry"]["coordinates"]) >= 30


def test_the_corridor_is_five_km_wide_and_bypasses_shusha() -> None:
    corridor = shape(_zones()["lachin-corridor"]["geometry"])
    assert len(corridor.exterior.coords) < 400
    assert not corridor.contains(Point(46.7486, 39.7581))  # Shusha / Shushi
    for lon, lat in ((46.7519, 39.8153), (46.5472, 39.6400)):  # Khankendi, Lachin
        assert corridor.contains(Point(lon, lat))
    # area / length of a 60-odd km long buffer of half-width 2.5 km: about 5 km wide
    area_km2 = corridor.area * 111.3 * 85.5
    assert 250 < area_km2 < 360


def test_provisions_are_the_nine_points_binding_known_parties() -> None:
    parties = json.loads((DATA / "parties.json").read_text(encoding="utf-8"))
    codes = {p["code"] for p in parties}
    assert codes == {"AZ", "AM", "RU"}
    assert {p["code"]: p["role"] for p in parties}["RU"] == "signatory"
    provisions = json.loads((DATA / "provisions.json").read_text(encoding="utf-8"))
    assert [p["number"] for p in provisions] == [str(n) for n in range(1, 10)]
    zones = _zones()
    for p in provisions:
        assert p["binding"] and set(p["binding"]) <= codes
        assert set(p["zones"]) <= set(zones)
        assert datetime.fromisoformat(p["in_force_from"]) == datetime(2020, 11, 9, 21, tzinfo=UTC)
        if p["deadline"]:
            assert datetime.fromisoformat(p["deadline"]).utcoffset() == timedelta(0)
            assert p["deadline_note"]
    mission = json.loads((DATA / "mission.json").read_text(encoding="utf-8"))
    assert (mission["mandate_start"], mission["timezone"]) == ("2020-11-10", "Asia/Baku")


def test_places_carry_both_parties_names() -> None:
    header = (DATA / "places.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "code,kind,lat,lon,name_en,name_az,name_hy,name_ru,aliases"
    places = _csv("places.csv")
    settlements = [p for p in places if p["kind"] == "settlement"]
    assert len(settlements) >= 25
    assert {p["kind"] for p in places} <= {"settlement", "landmark"}
    assert len({p["code"] for p in places}) == len(places)
    for p in places:
        assert re.search(r"[\u0531-\u058f]", p["name_hy"]), p["code"]
        assert re.fullmatch(r"[A-Za-zÇçƏəĞğİıÖöŞşÜü '/().-]+", p["name_az"]), p["code"]
        assert re.search(r"[\u0400-\u04ff]", p["name_ru"]), p["code"]
        assert len(p["lat"].split(".")[1]) >= 4 and len(p["lon"].split(".")[1]) >= 4
        assert 38.5 < float(p["lat"]) < 41.5 and 45.0 < float(p["lon"]) < 48.0
        assert p["aliases"] and "," not in p["aliases"]


def test_posts_stand_in_the_area_of_responsibility_along_the_line() -> None:
    rows = _csv("posts.csv")
    assert list(rows[0]) == [
        "code", "name", "kind", "lat", "lon", "elevation_m", "view_from_deg", "view_to_deg",
        "range_m",
    ]  # fmt: skip
    kinds = Counter(r["kind"] for r in rows)
    assert len(rows) >= 12
    assert kinds["camera"] >= 2 and kinds["acoustic_sensor"] >= 2
    assert set(kinds) <= {"observation_post", "camera", "acoustic_sensor"}
    aor = shape(_zones()["area-of-responsibility"]["geometry"])
    line = ContactLine(_line())
    near_line = 0
    for post in _posts():
        assert aor.contains(Point(post.lon, post.lat)), post.code
        _, off_line = line.project(post.lat, post.lon)
        near_line += 1500.0 <= off_line <= 8500.0
    assert near_line >= 12
