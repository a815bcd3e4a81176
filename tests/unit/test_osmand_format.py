"""The OsmAnd / Traccar Client protocol: every parameter form, the JSON body of the newer
Traccar Client, seconds vs milliseconds vs ISO times, and bad values as field errors; the
checks that refuse impossible reports; the per-device token buckets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from vigil.errors import VigilError
from vigil.formats import gpx_tracks, osmand
from vigil.web.api.tracking_limits import Buckets

T = datetime(2020, 11, 20, 10, 0, tzinfo=UTC)
UNIX = int(T.timestamp())


def params(text: str) -> dict[str, list[str]]:
    return parse_qs(text)


def test_traccar_client_query() -> None:
    r = osmand.parse_params(params(
        f"id=abc12345&timestamp={UNIX}&lat=39.8177&lon=46.7528&speed=10.5&bearing=271.5"
        "&altitude=1380&accuracy=12.0&batt=87.0"
    ))  # fmt: skip
    assert r.identifier == "abc12345" and r.recorded_at == T
    assert (r.lat, r.lon) == (39.8177, 46.7528)
    assert (r.speed_kn, r.bearing_deg, r.altitude_m) == (10.5, 271.5, 1380)
    assert (r.accuracy_m, r.battery_pct, r.source) == (12.0, 87.0, "osmand")


@pytest.mark.parametrize(
    "stamp",
    [str(UNIX), str(UNIX * 1000), "2020-11-20T10:00:00Z", "2020-11-20T14:00:00+04:00",
     "2020-11-20 10:00:00"],
)  # fmt: skip
def test_timestamp_forms(stamp: str) -> None:
    r = osmand.parse_params({"id": ["x" * 8], "lat": ["1"], "lon": ["2"], "timestamp": [stamp]})
    assert r.recorded_at == T


def test_milliseconds_keep_their_fraction() -> None:
    r = osmand.parse_params({"deviceid": ["d" * 8], "lat": ["1"], "lon": ["2"],
                             "timestamp": [str(UNIX * 1000 + 250)]})  # fmt: skip
    assert r.recorded_at == T + timedelta(milliseconds=250) and r.identifier == "d" * 8


def test_location_heading_and_no_timestamp() -> None:
    r = osmand.parse_params(params("id=abcdefgh&location=39.5,46.25&heading=90"))
    assert (r.lat, r.lon, r.bearing_deg, r.recorded_at) == (39.5, 46.25, 90, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("id=abcdefgh&lat=x&lon=2", "lat"),
        ("id=abcdefgh&lat=1", "lon"),
        ("id=abcdefgh&location=1;2", "location"),
        ("id=abcdefgh&lat=1&lon=2&timestamp=yesterday", "timestamp"),
        ("id=abcdefgh&lat=1&lon=2&speed=fast", "speed"),
        ("id=abcdefgh&lat=nan&lon=2", "lat"),
        ("id=abcdefgh&lat=1&lon=inf", "lon"),
        ("lat=1&lon=2", "id"),
        ("id=abcdefgh&lat=1&lon=2&timestamp=99999999999999999999999", "timestamp"),
    ],
)
def test_bad_parameters_name_the_field(query: str, field: str) -> None:
    with pytest.raises(VigilError) as caught:
        osmand.parse_params(params(query))
    assert caught.value.code == "malformed_request"
    assert field in [e.field for e in caught.value.errors]


def traccar_json(**coords: object) -> bytes:
    body = {
        "device_id": "json-device-1",
        "location": {
            "timestamp": "2020-11-20T10:00:00.000Z",
            "coords": {"latitude": 39.8, "longitude": 46.7, "accuracy": 5, "speed": 10,
                       "heading": 45, "altitude": 1200, **coords},
            "is_moving": True,
            "odometer": 1000,
            "event": "motionchange",
            "battery": {"level": 0.42, "is_charging": False},
            "activity": {"type": "in_vehicle"},
        },
    }  # fmt: skip
    return json.dumps(body).encode()


def test_traccar_client_json() -> None:
    r = osmand.parse_json(traccar_json())
    assert r.identifier == "json-device-1" and r.recorded_at == T and r.source == "traccar_json"
    assert r.speed_kn == pytest.approx(10 * 3600 / 1852)  # m/s to knots
    assert r.battery_pct == pytest.approx(42)
    assert (r.bearing_deg, r.altitude_m, r.accuracy_m) == (45, 1200, 5)


def test_json_unknowns_are_none() -> None:
    r = osmand.parse_json(traccar_json(speed=-1, heading=-1))
    assert r.speed_kn is None and r.bearing_deg is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (traccar_json(latitude=None), "location.coords.latitude"),
        (traccar_json(longitude="east"), "location.coords.longitude"),
        (b'{"device_id": "x", "location": []}', "location"),
        (b'{"location": {"coords": {"latitude": 1, "longitude": 2}}}', "device_id"),
    ],
)
def test_bad_json_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(VigilError) as caught:
        osmand.parse_json(body)
    assert field in [e.field for e in caught.value.errors]


def test_broken_json_is_malformed() -> None:
    with pytest.raises(VigilError) as caught:
        osmand.parse_json(b'{"device_id": ')
    assert caught.value.code == "malformed_request"
    assert osmand.json_identifier(b"[1]") == "" and osmand.json_identifier(b"{") == ""


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"lat": 91.0}, "lat"),
        ({"lon": -180.5}, "lon"),
        ({"bearing_deg": 400.0}, "bearing"),
        ({"battery_pct": 150.0}, "batt"),
        ({"recorded_at": T + timedelta(seconds=301)}, "future"),
        ({"recorded_at": T - timedelta(days=31)}, "past"),
    ],
)
def test_check_refuses_impossible_reports(changes: dict[str, object], says: str) -> None:
    base = {"identifier": "x", "recorded_at": T, "lat": 39.0, "lon": 46.0}
    why = osmand.check(osmand.PositionReport(**{**base, **changes}), T, 300, 30 * 86400)  # type: ignore[arg-type]
    assert len(why) == 1 and says in why[0]


def test_check_passes_a_good_report() -> None:
    r = osmand.PositionReport("x", T + timedelta(seconds=299), 39.0, 46.0, battery_pct=100)
    assert osmand.check(r, T, 300, 30 * 86400) == []


def test_buckets_allow_a_burst_then_the_rate() -> None:
    now = [0.0]
    b = Buckets(5, 20, clock=lambda: now[0])
    assert [b.take("a") for _ in range(20)] == [0.0] * 20
    assert b.take("a") == pytest.approx(0.2)
    assert b.take("b") == 0.0, "another device is unaffected"
    now[0] += 1.0
    assert sum(b.take("a") == 0 for _ in range(10)) == 5
    for _ in range(100):  # one report every 3 s is never refused
        now[0] += 3
        assert b.take("slow") == 0


def test_buckets_forget_the_least_recent() -> None:
    b = Buckets(1, 1, clock=lambda: 0.0, max_keys=3)
    for key in "abcd":
        b.take(key)
    assert b.take("a") == 0.0, "a was forgotten, so it starts with a full bucket"
    assert b.take("d") > 0


GPX = b"""<?xml version="1.0"?>
<gpx version="1.1" creator="OsmAnd" xmlns="http://www.topografix.com/GPX/1/1">
 <trk><name>patrol</name><trkseg>
  <trkpt lat="39.80" lon="46.70"><ele>1200</ele><time>2020-11-20T10:00:00Z</time></trkpt>
  <trkpt lat="39.81" lon="46.71"><time>2020-11-20T10:01:00Z</time></trkpt>
  <trkpt lat="39.82" lon="46.72"></trkpt>
 </trkseg></trk>
</gpx>"""


def test_gpx_track_points_with_time() -> None:
    track = gpx_tracks.parse_gpx_track(GPX, 100)
    assert [(p.lat, p.recorded_at) for p in track.points] == [
        (39.80, T), (39.81, T + timedelta(minutes=1))]  # fmt: skip
    assert track.points[0].altitude_m == 1200 and track.without_time == 1


def test_gpx_bomb_and_bad_points_are_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;">]><gpx>&b;</gpx>')  # fmt: skip
    with pytest.raises(VigilError) as caught:
        gpx_tracks.parse_gpx_track(bomb, 100)
    assert caught.value.code == "malformed_xml"
    with pytest.raises(VigilError) as caught:
        gpx_tracks.parse_gpx_track(GPX.replace(b'lat="39.81"', b'lat="north"'), 100)
    assert caught.value.code == "import_refused"
    with pytest.raises(VigilError):
        gpx_tracks.parse_gpx_track(GPX, 2)
