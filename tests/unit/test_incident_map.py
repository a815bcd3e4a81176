"""Incidents on the map: the 95 % ellipse as a ring, and which shapes each incident gets."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.domain.geodesy import LocalPlane, bearing_deg, distance_m, ellipse_ring
from vigil.formats.geojson import ELLIPSE_MAX_DRAWN_M, incident_features
from vigil.queries.incidents import FusedIncident
from vigil.store.tables import Incident, IncidentFusion

LAT, LON = 39.75, 46.75


def _axes(lat: float, lon: float, ring: list[tuple[float, float]], angle: float) -> list[tuple]:
    """Each ring point as (along the major axis, along the minor axis) in metres."""
    plane = LocalPlane(lat, lon)
    phi = math.radians(angle)
    out = []
    for x_lon, y_lat in ring:
        x, y = plane.to_xy(y_lat, x_lon)
        out.append((x * math.sin(phi) + y * math.cos(phi), x * math.cos(phi) - y * math.sin(phi)))
    return out


def test_ring_is_closed_with_n_plus_one_points() -> None:
    ring = ellipse_ring(LAT, LON, 3000, 1000, 30, n=48)
    assert len(ring) == 49 and ring[0] == ring[-1]
    assert len(set(ring[:-1])) == 48


def test_ring_starts_on_the_major_axis_at_its_azimuth() -> None:
    ring = ellipse_ring(LAT, LON, 3000, 1000, 30)
    lon, lat = ring[0]
    assert bearing_deg(LAT, LON, lat, lon) == pytest.approx(30, abs=1e-6)
    assert distance_m(LAT, LON, lat, lon) == pytest.approx(3000, abs=1e-6)


def test_north_south_ellipse_is_tall_and_east_west_is_wide() -> None:
    tall = ellipse_ring(LAT, LON, 5000, 1000, 0)
    wide = ellipse_ring(LAT, LON, 5000, 1000, 90)
    north = max(distance_m(LAT, LON, lat, LON) for _, lat in tall)
    east = max(distance_m(LAT, LON, LAT, lon) for lon, _ in wide)
    assert north == pytest.approx(5000, rel=1e-3) and east == pytest.approx(5000, rel=1e-3)
    assert max(abs(lon - LON) for lon, _ in tall) < max(abs(lon - LON) for lon, _ in wide)


def test_a_circle_keeps_its_radius_everywhere() -> None:
    for lon, lat in ellipse_ring(LAT, LON, 2500, 2500, 77):
        assert distance_m(LAT, LON, lat, lon) == pytest.approx(2500, abs=1e-6)


def test_a_flat_ellipse_is_a_segment_along_its_axis() -> None:
    ring = ellipse_ring(LAT, LON, 4000, 0, 45)
    assert all(abs(v) < 1e-6 for _, v in _axes(LAT, LON, ring, 45))


def test_too_few_points_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        ellipse_ring(LAT, LON, 1000, 500, 0, n=2)


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-60, 60),
    lon=st.floats(-179, 179),
    major=st.floats(10, 50_000),
    ratio=st.floats(0.05, 1),
    angle=st.floats(0, 360),
)
def test_every_point_lies_on_the_ellipse(
    lat: float, lon: float, major: float, ratio: float, angle: float
) -> None:
    """On the local azimuthal equidistant plane, (u/a)² + (v/b)² = 1 for every ring point,
    to within the round trip through geodesics (micrometres, which weigh on a thin ellipse)."""
    minor = major * ratio
    ring = ellipse_ring(lat, lon, major, minor, angle, n=24)
    slack = 1e-6 + 2e-5 / minor
    for u, v in _axes(lat, lon, ring, angle):
        assert (u / major) ** 2 + (v / minor) ** 2 == pytest.approx(1, abs=slack)


def _incident(**changes: Any) -> Incident:
    values: dict[str, Any] = {
        "id": 7,
        "category": "ceasefire_violation.explosion.artillery",
        "status": "reported",
        "started_at": datetime(2020, 11, 12, 14, 5, tzinfo=UTC),
        "ended_at": datetime(2020, 11, 12, 14, 6, tzinfo=UTC),
        "lat": LAT,
        "lon": LON,
        "ellipse_major_m": 1500.0,
        "ellipse_minor_m": 600.0,
        "ellipse_angle_deg": 120.0,
        "count": 3,
    }
    return Incident(**{**values, **changes})


def _fusion(**changes: Any) -> IncidentFusion:
    values: dict[str, Any] = {
        "incident_id": 7,
        "location_kind": "point",
        "existence_p": 0.9,
        "alt_events": 1,
        "explanation": "{}",
        "wedge": None,
        "superseded_by": None,
    }
    return IncidentFusion(**{**values, **changes})


def _fused(incident: Incident, fusion: IncidentFusion | None) -> FusedIncident:
    return FusedIncident(incident, fusion, [(11, "a"), (12, "b")], [(13, "summary")])


def _shapes(features: list[dict[str, Any]]) -> list[str]:
    return [f["properties"]["shape"] for f in features]


def test_a_located_incident_is_a_point_and_its_ellipse() -> None:
    features = incident_features([_fused(_incident(), _fusion())])
    assert _shapes(features) == ["point", "ellipse"]
    point, ellipse = features
    assert point["geometry"] == {"type": "Point", "coordinates": [LON, LAT]}
    assert ellipse["geometry"]["type"] == "Polygon"
    assert len(ellipse["geometry"]["coordinates"][0]) == 49
    props = point["properties"]
    assert props["layer"] == "incident" and props["id"] == 7
    assert props["observation_ids"] == [11, 12] and props["client_ids"] == ["a", "b"]
    assert props["reports"] == 2 and props["summary_ids"] == [13]
    assert props["location_kind"] == "point" and props["existence_p"] == 0.9
    assert props["started_at"] == "2020-11-12T14:05:00+00:00"
    assert {k: v for k, v in ellipse["properties"].items() if k != "shape"} == {
        k: v for k, v in props.items() if k != "shape"
    }


def test_an_incident_without_a_fusion_record_is_still_drawn() -> None:
    features = incident_features([_fused(_incident(), None)])
    assert _shapes(features) == ["point", "ellipse"]
    assert features[0]["properties"]["existence_p"] is None
    unlocated = incident_features([_fused(_incident(lat=None, lon=None), None)])
    assert unlocated == []


def test_superseded_incidents_are_not_drawn_unless_asked() -> None:
    item = _fused(_incident(), _fusion(superseded_by=8))
    assert incident_features([item]) == []
    assert _shapes(incident_features([item], include_superseded=True)) == ["point", "ellipse"]


WEDGE = {
    "type": "Polygon",
    "coordinates": [[[46.7, 39.8], [46.8, 39.7], [46.8, 39.8], [46.7, 39.8]]],
}


@pytest.mark.parametrize(
    "stored, drawn",
    [
        (json.dumps(WEDGE), WEDGE),
        (json.dumps({"type": "Feature", "geometry": WEDGE, "properties": {}}), WEDGE),
        ("not json", None),
        (json.dumps({"type": "Point", "coordinates": [46.7, 39.8]}), None),
        (json.dumps({"type": "Polygon"}), None),
        (None, None),
    ],
)
def test_a_bearing_only_incident_is_a_wedge_and_never_a_point(
    stored: str | None, drawn: dict[str, Any] | None
) -> None:
    incident = _incident(lat=None, lon=None, ellipse_major_m=None, ellipse_minor_m=None)
    features = incident_features([_fused(incident, _fusion(location_kind="wedge", wedge=stored))])
    assert [f["geometry"] for f in features] == ([drawn] if drawn else [])
    assert all(f["properties"]["shape"] == "wedge" for f in features)


def test_a_degenerate_fix_keeps_its_point_and_hides_a_useless_ellipse() -> None:
    fusion = _fusion(location_kind="degenerate")
    moderate = incident_features([_fused(_incident(ellipse_major_m=20_000.0), fusion)])
    assert _shapes(moderate) == ["point", "ellipse"]
    assert moderate[1]["properties"]["location_kind"] == "degenerate"
    huge = _incident(ellipse_major_m=ELLIPSE_MAX_DRAWN_M * 10)
    assert _shapes(incident_features([_fused(huge, fusion)])) == ["point"]


def test_nothing_locates_it_so_nothing_is_drawn() -> None:
    incident = _incident(lat=None, lon=None, ellipse_major_m=None)
    assert incident_features([_fused(incident, _fusion(location_kind="none"))]) == []
