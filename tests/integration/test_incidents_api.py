"""Incidents created from observations, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import OPERATOR
from tests.factories import add_post, observation

from vigil.domain.geodesy import distance_m


def _record(client, headers, bodies) -> list[int]:
    done = client.post("/api/v1/observations/batch", json={"observations": bodies}, headers=headers)
    assert done.status_code == 201, done.text
    return [i["id"] for i in done.json()["items"]]


def test_incident_from_three_posts(db, users, client) -> None:
    with db.writing() as session:
        for code in ("OP-T1", "OP-T2"):
            add_post(session, OPERATOR, code)
    monitor = users["monitor"].headers
    ids = _record(
        client,
        monitor,
        [
            observation(
                location={"lat": 39.70, "lon": 46.80, "error_m": 300},
                bearing=None,
                distance=None,
                count=2,
            ),
            observation(
                location={"lat": 39.71, "lon": 46.81, "error_m": 300},
                bearing=None,
                distance=None,
                observed_at="2020-11-12T14:07:00Z",
                count=3,
            ),
            observation(
                distance=None,
                observer={"kind": "post", "post": "OP-T2"},
                category="ceasefire_violation.explosion.mortar",
            ),
        ],
    )
    refused = client.post("/api/v1/incidents", json={"observation_ids": ids}, headers=monitor)
    assert refused.status_code == 403
    made = client.post(
        "/api/v1/incidents",
        json={"observation_ids": ids, "summary": "shelling"},
        headers=users["analyst"].headers,
    )
    assert made.status_code == 201, made.text
    inc = made.json()
    assert inc["status"] == "reported" and inc["attribution"] is None
    assert inc["count"] == 3
    assert inc["category"] == "ceasefire_violation.explosion.artillery"
    # the event's time is where the three reports' emission times agree (14:05-14:07)
    assert "2020-11-12T14:05" <= inc["started_at"] < "2020-11-12T14:08"
    assert inc["ended_at"] >= inc["started_at"]
    # two located reports and a bearing: the maximum-likelihood point lies near them
    assert distance_m(inc["location"]["lat"], inc["location"]["lon"], 39.705, 46.805) < 1000
    assert inc["ellipse"]["major_m"] >= inc["ellipse"]["minor_m"] > 0
    assert inc["location_kind"] == "point" and inc["covariance"]["ee"] > 0
    assert inc["summary"] == "shelling"
    why = inc["explanation"]
    assert why["association"]["reports"] == 3
    assert any("merge by decision" in d for d in why["association"]["decisions"])
    assert len(why["location"]["residuals"]) == 3
    assert sorted(inc["observation_ids"]) == sorted(ids)
    assert len(inc["client_ids"]) == 3
    listed = client.get("/api/v1/incidents", params={"status": "reported"}, headers=monitor)
    assert [i["id"] for i in listed.json()["items"]] == [inc["id"]]
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=monitor).json() == inc


def test_incident_with_unknown_observation_stores_nothing(db, users, client) -> None:
    analyst = users["analyst"].headers
    answer = client.post("/api/v1/incidents", json={"observation_ids": [999]}, headers=analyst)
    assert answer.status_code == 422 and answer.json()["code"] == "unknown_reference"
    assert client.get("/api/v1/incidents", headers=analyst).json()["items"] == []
