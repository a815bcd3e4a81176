"""The incident page and the incidents on the map of the day, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import OPERATOR
from tests.factories import observation

from vigil.domain.geodesy import bearing_deg, distance_m
from vigil.domain.geography import PostDraft
from vigil.services import geography
from vigil.services.access import Principal, system_principal
from vigil.services.fusion import fuse_range
from vigil.services.incidents import create_incident
from vigil.store.tables import IncidentFusion, IncidentObservation, IncidentSummary, User

EVENT = (39.75, 46.75)
POSTS = {"OP-A": (39.80, 46.70), "OP-B": (39.80, 46.80)}
EXPLANATION = {
    "association": {
        "reports": 3,
        "observers": ["OP-A", "OP-B"],
        "score": 7.4,
        "links": [
            {
                "a": "page-a",
                "b": "page-b",
                "dt_s": 12.0,
                "time_z": 0.4,
                "space": "rays cross 6.4 km from OP-A and 6.4 km from OP-B",
                "space_z": 1.1,
            }
        ],
        "alternative": "split into 2 events scores 3.1 lower",
        "decisions": ["merged by analyst alice on 2020-11-12: same impact seen from two posts"],
    },
    "location": {
        "kind": "point",
        "method": "maximum likelihood from 2 bearings and 1 distance (Gauss-Newton on a local "
        "azimuthal equidistant plane)",
        "chi2": 1.3,
        "dof": 2,
        "residuals": [
            {"client_id": "page-a", "what": "bearing", "value": 1.2, "unit": "deg", "z": 0.4},
            {"client_id": "page-b", "what": "bearing", "value": -4.5, "unit": "deg", "z": 3.6},
        ],
        "note": "the distance of page-c agrees within 1 sigma",
    },
    "time": {
        "from": "2020-11-12T14:05:00+00:00",
        "to": "2020-11-12T14:05:30+00:00",
        "note": "sound delay allowed: 19 s",
    },
}


def _toward(post: str) -> float:
    return bearing_deg(*POSTS[post], *EVENT)


def _post_observation(client_id: str, post: str, **changes: Any) -> dict[str, Any]:
    body = observation(
        client_id=client_id,
        observer={"kind": "post", "post": post},
        bearing={"deg": _toward(post), "error_deg": 3.0},
        distance=None,
        text=f"explosion heard from {post}",
    )
    body.update(changes)
    return body


def _record(client: TestClient, headers: dict[str, str], bodies: list[dict[str, Any]]) -> list[int]:
    done = client.post("/api/v1/observations/batch", json={"observations": bodies}, headers=headers)
    assert done.status_code == 201, done.text
    return [i["id"] for i in done.json()["items"]]


def _analyst(session: Session) -> Principal:
    return system_principal(session.scalars(select(User).where(User.username == "analyst")).one())


def _fuse_day(db) -> None:
    """Fusion over the test day, as `vigil fuse` would run it."""
    start = datetime(2020, 11, 12, tzinfo=UTC)
    with db.writing() as session:
        fuse_range(session, _analyst(session), start, start + timedelta(days=1), "cli")


def _group(db, ids: list[int]) -> int:
    """The analyst says these observations are one event; fusion makes (or finds) the incident."""
    with db.writing() as session:
        return create_incident(session, _analyst(session), ids).id


def _incident_of(db, observation_id: int) -> int:
    """The current incident an observation is a member of."""
    with db.reading() as session:
        found = session.scalars(
            select(IncidentObservation.incident_id).where(
                IncidentObservation.observation_id == observation_id
            )
        ).all()
        current = [i for i in found if session.get(IncidentFusion, i).superseded_by is None]
    assert len(current) == 1, found
    return current[0]


def _set_fusion(db, incident_id: int, **values: Any) -> None:
    """Stand in for a fusion result the test needs (an explanation of every documented
    shape, a supersession) by editing the stored row, as a later run would write it."""
    with db.writing() as session:
        row = session.get(IncidentFusion, incident_id)
        for key, value in values.items():
            setattr(row, key, value)


@pytest.fixture
def scene(db, users, client: TestClient) -> dict[str, Any]:
    """Two posts hear one explosion (one also judges the distance), which the analyst groups;
    a fourth report, hours later, is a bearing alone."""
    with db.writing() as session:
        drafts = [
            PostDraft(code=code, name=f"Post {code}", kind="observation_post", lat=lat, lon=lon)
            for code, (lat, lon) in POSTS.items()
        ]
        geography.add_posts(session, OPERATOR, drafts)
    reach = distance_m(*POSTS["OP-A"], *EVENT)
    ids = _record(
        client,
        users["monitor"].headers,
        [
            _post_observation("page-a", "OP-A"),
            _post_observation("page-b", "OP-B", observed_at="2020-11-12T14:05:12Z"),
            _post_observation("page-c", "OP-A", distance={"m": reach, "error_m": 1000}),
            _post_observation(
                "page-lone",
                "OP-B",
                count=12,
                observed_at="2020-11-12T20:00:00Z",
                observed_to="2020-11-12T20:15:00Z",
                text="12 explosions to the south-west between 20:00 and 20:15",
            ),
        ],
    )
    _fuse_day(db)
    incident = _group(db, ids[:3])
    return {
        "incident": incident,
        "lone": _incident_of(db, ids[3]),
        "ids": ids,
        "headers": users["analyst"].headers,
    }


def test_incident_page_lists_observations_and_explains(client: TestClient, scene) -> None:
    """What fusion recorded is on the page: members, grouping, location method, residuals."""
    page = client.get(f"/incidents/{scene['incident']}", headers=scene["headers"])
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f"Incident #{scene['incident']}" in html
    for client_id in ("page-a", "page-b", "page-c"):
        assert f"<code>{client_id}</code>" in html
    assert "<code>page-lone</code>" not in html, "another event's report is not listed"
    assert html.count('class="role-member"') == 3
    assert "OP-A" in html and "± 3°" in html  # observer and bearing error
    assert "point with a 95 % ellipse" in html and "Existence probability" in html
    for told in (
        "Why these reports are one event",
        "rays cross",
        "grouped by hand",  # the analyst's decision
        "How it was located",
        "maximum likelihood",
        "Residuals",
        "Time window",
    ):
        assert told in html, told
    anchors = {int(a) for a in re.findall(r'href="#obs-(\d+)"', html)}
    assert anchors >= set(scene["ids"][:3]), "the explanation links to the table rows"


def test_every_part_of_a_documented_explanation_is_shown(db, client: TestClient, scene) -> None:
    _set_fusion(db, scene["incident"], explanation=json.dumps(EXPLANATION))
    with db.writing() as session:  # a multi-count report covering it, as fusion links one
        session.add(IncidentSummary(incident_id=scene["incident"], observation_id=scene["ids"][3]))
    html = client.get(f"/incidents/{scene['incident']}", headers=scene["headers"]).text
    for told in (
        "rays cross 6.4 km from OP-A",
        "split into 2 events scores 3.1 lower",
        "Gauss-Newton",
        "merged by analyst alice on 2020-11-12",
        "sound delay allowed: 19 s",
        "2020-11-12 14:05:30 UTC",  # an explanation time, in mission time
        "OP-A, OP-B",  # observers on one line
    ):
        assert told in html, told
    assert 'class="outlier"' in html, "a residual beyond 3 sigma stands out"
    assert html.count('class="role-summary"') == 1 and "summary (covers it)" in html
    assert "12 explosions to the south-west between 20:00" in html


def test_incident_page_carries_its_map(client: TestClient, scene) -> None:
    html = client.get(f"/incidents/{scene['incident']}", headers=scene["headers"]).text
    blob = re.search(
        r'<script type="application/json" id="incident-data">(.*?)</script>', html, re.S
    )
    assert blob, "the page's map data is missing"
    features = json.loads(blob.group(1))["features"]
    shapes = {(f["properties"]["layer"], f["properties"].get("shape")) for f in features}
    assert {("incident", "point"), ("incident", "ellipse"), ("observation", "ray")} <= shapes
    assert {f["properties"]["code"] for f in features if f["properties"]["layer"] == "post"} == {
        "OP-A",
        "OP-B",
    }


def test_map_of_the_day_draws_incidents_and_their_reports(client: TestClient, scene) -> None:
    day = client.get("/api/v1/map/day", params={"date": "2020-11-12"}, headers=scene["headers"])
    assert day.status_code == 200, day.text
    body = day.json()
    assert body["incidents"] == 2
    mine = [
        f
        for f in body["features"]
        if f["properties"]["layer"] == "incident" and f["properties"]["id"] == scene["incident"]
    ]
    assert sorted(f["properties"]["shape"] for f in mine) == ["ellipse", "point"]
    props = mine[0]["properties"]
    assert props["reports"] == 3 and props["observation_ids"] == scene["ids"][:3]
    assert props["client_ids"] == ["page-a", "page-b", "page-c"]
    assert props["location_kind"] == "point" and 0 < props["existence_p"] <= 1
    ellipse = next(f for f in mine if f["properties"]["shape"] == "ellipse")
    ring = ellipse["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 49
    rays = {
        f["properties"]["id"] for f in body["features"] if f["properties"].get("shape") == "ray"
    }
    assert set(props["observation_ids"]) <= rays, "every member's ray is there to highlight"


def test_a_single_bearing_is_a_wedge_not_a_point(client: TestClient, scene) -> None:
    day = client.get("/api/v1/map/day", params={"date": "2020-11-12"}, headers=scene["headers"])
    lone = [
        f
        for f in day.json()["features"]
        if f["properties"]["layer"] == "incident" and f["properties"]["id"] == scene["lone"]
    ]
    assert [f["properties"]["shape"] for f in lone] == ["wedge"], "no false point"
    assert lone[0]["geometry"]["type"] == "Polygon"
    page = client.get(f"/incidents/{scene['lone']}", headers=scene["headers"])
    assert page.status_code == 200 and "wedge: a single bearing without distance" in page.text


def test_superseded_incident_links_its_successor_and_leaves_the_map(
    db, client: TestClient, scene
) -> None:
    old, new = scene["lone"], scene["incident"]
    _set_fusion(db, old, superseded_by=new)
    page = client.get(f"/incidents/{old}", headers=scene["headers"])
    assert page.status_code == 200
    assert f'Superseded by\n    <a href="/incidents/{new}">incident #{new}</a>' in page.text
    successor = client.get(f"/incidents/{new}", headers=scene["headers"]).text
    assert f'<a href="/incidents/{old}">#{old}</a>' in successor
    assert "Superseded by" not in successor
    day = client.get("/api/v1/map/day", params={"date": "2020-11-12"}, headers=scene["headers"])
    drawn = {
        f["properties"]["id"]
        for f in day.json()["features"]
        if f["properties"]["layer"] == "incident"
    }
    assert drawn == {new} and day.json()["incidents"] == 1


@pytest.mark.parametrize(
    "explanation",
    [
        "",
        "not json {",
        "[1, 2]",
        '{"association": "grouped by hand"}',
        '{"association": {"links": [{"a": 1}, {"b": ["x"], "extra": {"k": null}}], "score": null}}',
        '{"location": {"residuals": [{"client_id": "page-a", "z": "high"}], "chi2": "NaN"}}',
        '{"time": {"from": "yesterday"}, "later_idea": {"votes": [1, 2]}, "flag": true}',
    ],
)
def test_odd_explanations_never_break_the_page(db, client: TestClient, scene, explanation) -> None:
    _set_fusion(db, scene["incident"], explanation=explanation)
    page = client.get(f"/incidents/{scene['incident']}", headers=scene["headers"])
    assert page.status_code == 200, page.text
    assert "<code>page-a</code>" in page.text
    if explanation.startswith(("not json", "[")):
        assert "as stored" in page.text


def test_an_incident_without_a_fusion_record_renders(db, client: TestClient, scene) -> None:
    """An incident stored before fusion existed has no fusion row: it is still shown."""
    with db.writing() as session:
        session.delete(session.get(IncidentFusion, scene["incident"]))
    page = client.get(f"/incidents/{scene['incident']}", headers=scene["headers"])
    assert page.status_code == 200 and "no fusion record" in page.text
    day = client.get("/api/v1/map/day", params={"date": "2020-11-12"}, headers=scene["headers"])
    drawn = [f for f in day.json()["features"] if f["properties"].get("id") == scene["incident"]]
    assert {
        f["properties"]["location_kind"] for f in drawn if f["properties"]["layer"] == "incident"
    } == {"point"}


def test_unknown_incident_is_a_404_page(users, client: TestClient) -> None:
    page = client.get("/incidents/987654", headers=users["analyst"].headers)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "no incident 987654" in page.text


def test_anonymous_is_sent_to_login(client: TestClient, scene) -> None:
    page = client.get(f"/incidents/{scene['incident']}", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/incidents/{scene['incident']}"


def test_party_liaison_gets_a_403_page(users, client: TestClient, scene) -> None:
    page = client.get(f"/incidents/{scene['incident']}", headers=users["party_liaison"].headers)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "page-a" not in page.text and "Explanation" not in page.text
