"""Fusion through the API, on SQLite and PostgreSQL: counted, located, stable, explained,
respectful of the analysts' decisions, and running by itself as observations arrive."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR

from vigil.config import Settings
from vigil.domain.geodesy import bearing_deg, distance_m
from vigil.domain.geography import PostDraft
from vigil.services import geography
from vigil.store.tables import AuditEvent
from vigil.web.app import create_app

BLAST = (39.75, 46.75)  # where the shell lands
POSTS = {"OP-A": (39.80, 46.70), "OP-B": (39.80, 46.81), "OP-C": (39.70, 46.69)}
RUN = {"from": "2020-11-12T00:00:00Z", "to": "2020-11-13T00:00:00Z"}


def _posts(db) -> None:
    drafts = [
        PostDraft(code=c, name=c, kind="observation_post", lat=lat, lon=lon)
        for c, (lat, lon) in POSTS.items()
    ]
    with db.writing() as session:
        geography.add_posts(session, OPERATOR, drafts)


def _heard(post: str, at: str, target=BLAST, **changes) -> dict:
    lat, lon = POSTS[post]
    body = {
        "client_id": f"{post}-{at}-{target[0]}",
        "observed_at": at,
        "time_uncertainty_s": 60,
        "observer": {"kind": "post", "post": post, "lat": lat, "lon": lon},
        "category": "ceasefire_violation.explosion.artillery",
        "count": 1,
        "bearing": {"deg": round(bearing_deg(lat, lon, *target), 1), "error_deg": 3.0},
        "grade": {"reliability": "B", "credibility": "2"},
    }
    body.update(changes)
    return body


def _send(client, users, bodies) -> list[int]:
    done = client.post(
        "/api/v1/observations/batch",
        json={"observations": bodies},
        headers=users["monitor"].headers,
    )
    assert done.status_code == 201, done.text
    return [i["id"] for i in done.json()["items"]]


def _fuse(client, users) -> dict:
    done = client.post("/api/v1/fusion/runs", json=RUN, headers=users["analyst"].headers)
    assert done.status_code == 201, done.text
    return done.json()


def _incidents(client, users) -> list[dict]:
    listed = client.get("/api/v1/incidents", headers=users["analyst"].headers)
    assert listed.status_code == 200, listed.text
    return listed.json()["items"]


def _one_blast_fused(client, users) -> tuple[list[int], dict]:
    """Three posts hear the blast; fused into one incident: (observation ids, incident)."""
    ids = _send(
        client,
        users,
        [
            _heard("OP-A", "2020-11-12T14:05:00Z"),
            _heard("OP-B", "2020-11-12T14:05:00Z"),
            _heard("OP-C", "2020-11-12T14:06:00Z"),
        ],
    )
    _fuse(client, users)
    [incident] = _incidents(client, users)
    return ids, incident


def _audit_count(db) -> int:
    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_three_posts_one_explosion_make_one_located_explained_incident(db, users, client):
    _posts(db)
    ids = _send(
        client,
        users,
        [
            _heard("OP-A", "2020-11-12T14:05:00Z"),
            _heard("OP-B", "2020-11-12T14:05:00Z"),
            _heard("OP-C", "2020-11-12T14:06:00Z"),
        ],
    )
    run = _fuse(client, users)
    assert run["created"] == 1 and run["observations"] == 3
    [incident] = _incidents(client, users)
    assert sorted(incident["observation_ids"]) == sorted(ids)
    assert incident["location_kind"] == "point"
    assert distance_m(incident["location"]["lat"], incident["location"]["lon"], *BLAST) < 50
    assert 0 < incident["ellipse"]["minor_m"] <= incident["ellipse"]["major_m"] < 3000
    why = incident["explanation"]
    assert why["association"]["reports"] == 3
    assert any("rays cross" in link["space"] for link in why["association"]["links"])
    assert {r["what"] for r in why["location"]["residuals"]} == {"bearing"}
    stats = client.get(
        "/api/v1/stats/violations",
        params={**RUN, "period": "total"},
        headers=users["analyst"].headers,
    ).json()
    [row] = stats["rows"]
    assert (row["events"], row["naive"]) == (1, 3)
    assert row["low"] <= row["events"] <= row["high"]


def test_two_explosions_a_minute_apart_stay_two_events(db, users, client):
    _posts(db)
    other = (39.76, 46.62)  # west of OP-C: the rays point elsewhere
    _send(
        client,
        users,
        [
            _heard("OP-A", "2020-11-12T14:05:00Z"),
            _heard("OP-B", "2020-11-12T14:05:00Z"),
            _heard("OP-A", "2020-11-12T14:06:00Z", other),
            _heard("OP-C", "2020-11-12T14:06:00Z", other),
        ],
    )
    _fuse(client, users)
    found = _incidents(client, users)
    assert len(found) == 2
    assert sorted(len(i["observation_ids"]) for i in found) == [2, 2]


def test_fusing_again_writes_nothing_and_a_late_report_joins(db, users, client):
    _posts(db)
    first = _send(client, users, [_heard("OP-A", "2020-11-12T14:05:00Z")])
    _fuse(client, users)
    [alone] = _incidents(client, users)
    assert alone["location_kind"] == "wedge" and alone["location"] is None
    assert alone["wedge"]["type"] == "Polygon"
    before = _audit_count(db)
    again = _fuse(client, users)
    assert (again["created"], again["changed"], again["unchanged"]) == (0, 0, 1)
    assert _audit_count(db) == before + 1  # only the run itself is recorded
    late = _send(client, users, [_heard("OP-B", "2020-11-12T14:05:00Z")])
    run = _fuse(client, users)
    assert (run["created"], run["changed"]) == (0, 1)
    [joined] = _incidents(client, users)
    assert joined["id"] == alone["id"]  # the incident keeps its number
    assert sorted(joined["observation_ids"]) == sorted(first + late)
    assert joined["location_kind"] == "point"


def test_analyst_decisions_are_kept_by_later_runs_and_audited(db, users, client):
    _posts(db)
    (a, b, c), incident = _one_blast_fused(client, users)
    analyst = users["analyst"].headers
    split = client.post(
        f"/api/v1/incidents/{incident['id']}/split",
        json={"groups": [[a, b], [c]], "reason": "OP-C heard a second round"},
        headers=analyst,
    )
    assert split.status_code == 200, split.text
    assert sorted(len(i["observation_ids"]) for i in split.json()) == [1, 2]
    _fuse(client, users)
    assert sorted(len(i["observation_ids"]) for i in _incidents(client, users)) == [1, 2]
    pair = next(i for i in _incidents(client, users) if len(i["observation_ids"]) == 2)
    pinned = client.post(
        f"/api/v1/incidents/{pair['id']}/pin",
        json={"lat": 39.751, "lon": 46.752, "error_m": 20, "reason": "crater found"},
        headers=analyst,
    )
    assert pinned.status_code == 200, pinned.text
    assert pinned.json()["pinned"] and pinned.json()["location"] == {"lat": 39.751, "lon": 46.752}
    _fuse(client, users)
    kept = client.get(f"/api/v1/incidents/{pair['id']}", headers=analyst).json()
    assert kept["location"] == {"lat": 39.751, "lon": 46.752}
    assert "crater found" in kept["explanation"]["location"]["pinned"]
    unpinned = client.post(
        f"/api/v1/incidents/{pair['id']}/unpin", json={"reason": "wrong crater"}, headers=analyst
    )
    assert unpinned.status_code == 200 and not unpinned.json()["pinned"]
    decisions = client.get(f"/api/v1/incidents/{pair['id']}/decisions", headers=analyst).json()
    assert [d["kind"] for d in decisions] == ["split", "pin"]
    assert decisions[1]["active"] is False
    with db.reading() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"fusion.split", "fusion.pin", "fusion.unpin", "fusion.update"} <= actions


def test_detach_and_merge(db, users, client):
    _posts(db)
    (a, b, c), incident = _one_blast_fused(client, users)
    analyst = users["analyst"].headers
    kept = client.post(
        f"/api/v1/incidents/{incident['id']}/detach",
        json={"observation_ids": [c], "reason": "a different blast"},
        headers=analyst,
    )
    assert kept.status_code == 200, kept.text
    assert sorted(kept.json()["observation_ids"]) == sorted([a, b])
    found = _incidents(client, users)
    assert len(found) == 2
    merged = client.post(
        f"/api/v1/incidents/{found[0]['id']}/merge",
        json={"incident_ids": [found[1]["id"]], "reason": "the same blast after all"},
        headers=analyst,
    )
    assert merged.status_code == 200, merged.text
    assert sorted(merged.json()["observation_ids"]) == sorted([a, b, c])
    listed = _incidents(client, users)
    assert len(listed) == 1
    everything = client.get(
        "/api/v1/incidents", params={"include_superseded": "true"}, headers=analyst
    ).json()["items"]
    superseded = [i for i in everything if i["superseded_by"] is not None]
    assert superseded and all(i["superseded_by"] == listed[0]["id"] for i in superseded)


def test_bad_fusion_requests_are_refused_cleanly(db, users, client):
    _posts(db)
    analyst = users["analyst"].headers
    naive = client.post(
        "/api/v1/fusion/runs",
        json={"from": "2020-11-12T00:00:00", "to": "2020-11-13T00:00:00Z"},
        headers=analyst,
    )
    assert naive.status_code == 422 and naive.headers["content-type"].startswith(
        "application/problem+json"
    )
    backwards = client.post(
        "/api/v1/fusion/runs",
        json={"from": "2020-11-13T00:00:00Z", "to": "2020-11-12T00:00:00Z"},
        headers=analyst,
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_range"
    assert (
        client.post("/api/v1/fusion/runs", json=RUN, headers=users["monitor"].headers).status_code
        == 403
    )
    missing = client.post("/api/v1/incidents/999/pin", json={"lat": 1, "lon": 1}, headers=analyst)
    assert missing.status_code == 404
    a, b = _send(
        client,
        users,
        [_heard("OP-A", "2020-11-12T14:05:00Z"), _heard("OP-B", "2020-11-12T14:05:00Z")],
    )
    _fuse(client, users)
    [incident] = _incidents(client, users)
    url = f"/api/v1/incidents/{incident['id']}"
    bad_groups = client.post(f"{url}/split", json={"groups": [[a], [a, b]]}, headers=analyst)
    assert bad_groups.status_code == 422 and bad_groups.json()["code"] == "invalid_grouping"
    far = client.post(f"{url}/pin", json={"lat": 200, "lon": 1}, headers=analyst)
    assert far.status_code == 422
    stray = client.post(f"{url}/detach", json={"observation_ids": [12345]}, headers=analyst)
    assert stray.status_code == 422
    bad_stats = client.get(
        "/api/v1/stats/violations", params={**RUN, "period": "fortnight"}, headers=analyst
    )
    assert bad_stats.status_code == 422 and bad_stats.json()["code"] == "validation_failed"
    nowhere = client.get(
        "/api/v1/stats/violations", params={**RUN, "zone": "atlantis"}, headers=analyst
    )
    assert nowhere.status_code == 422 and nowhere.json()["code"] == "unknown_reference"
    [still] = _incidents(client, users)
    assert sorted(still["observation_ids"]) == sorted([a, b])  # nothing half-written


def test_the_server_fuses_new_observations_by_itself(db, users):
    _posts(db)
    settings = Settings(
        data_dir=Path("unused"), database_url=db.url, fusion_auto=True, fusion_interval_s=0.2
    )
    with TestClient(create_app(settings, db)) as client:
        _send(
            client,
            users,
            [_heard("OP-A", "2020-11-12T14:05:00Z"), _heard("OP-B", "2020-11-12T14:05:00Z")],
        )
        deadline = time.monotonic() + 10
        found: list[dict] = []
        while time.monotonic() < deadline and not found:
            time.sleep(0.2)
            found = _incidents(client, users)
        assert len(found) == 1 and len(found[0]["observation_ids"]) == 2
        runs = client.get("/api/v1/fusion/runs", headers=users["analyst"].headers).json()
        assert runs[0]["trigger"] == "auto"


def test_a_backlog_is_fused_a_step_at_a_time(db, users, client, monkeypatch):
    from vigil.services import fusion as fusion_service
    from vigil.services.setup import operator

    _posts(db)
    monkeypatch.setattr(fusion_service, "BACKLOG_STEP", 1)
    first, second = _send(
        client,
        users,
        [_heard("OP-A", "2020-11-12T14:05:00Z"), _heard("OP-A", "2020-11-20T09:00:00Z")],
    )
    worker = operator("fusion")
    with db.writing() as session:
        run = fusion_service.fuse_new(session, worker, "auto")
    assert run is not None and run.last_observation_id == first
    with db.writing() as session:
        run = fusion_service.fuse_new(session, worker, "auto")
    assert run is not None and run.last_observation_id == second
    with db.writing() as session:
        assert fusion_service.fuse_new(session, worker, "auto") is None  # nothing new
    assert len(_incidents(client, users)) == 2
