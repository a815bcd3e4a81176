"""Observations through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.conftest import OPERATOR
from tests.factories import add_post, observation


def _setup(db) -> None:
    with db.writing() as session:
        add_post(session, OPERATOR)


def test_record_get_and_list(db, users, client) -> None:
    _setup(db)
    monitor = users["monitor"].headers
    body = observation()
    created = client.post("/api/v1/observations", json=body, headers=monitor)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["client_id"] == body["client_id"]
    assert out["observer"]["post"] == "OP-T1"
    assert out["submitted_by"] == "monitor"
    # bearing 120 degrees for 4 km from (39.8, 46.75): south-east of the post
    assert out["estimated"]["lat"] < 39.8 and out["estimated"]["lon"] > 46.75
    got = client.get(f"/api/v1/observations/{out['id']}", headers=users["analyst"].headers)
    assert got.status_code == 200 and got.json() == out
    listed = client.get(
        "/api/v1/observations",
        params={"from": "2020-11-12T00:00:00Z", "to": "2020-11-13T00:00:00Z"},
        headers=monitor,
    ).json()
    assert [o["client_id"] for o in listed["items"]] == [body["client_id"]]


def test_retry_is_idempotent_and_conflict_is_409(db, users, client) -> None:
    _setup(db)
    headers = users["monitor"].headers
    body = observation()
    first = client.post("/api/v1/observations", json=body, headers=headers)
    again = client.post("/api/v1/observations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    changed = client.post("/api/v1/observations", json={**body, "count": 4}, headers=headers)
    assert changed.status_code == 409
    assert changed.headers["content-type"].startswith("application/problem+json")
    assert changed.json()["code"] == "idempotency_conflict"
    listed = client.get("/api/v1/observations", headers=headers).json()
    assert len(listed["items"]) == 1 and listed["items"][0]["count"] == 3


def test_batch_is_all_or_nothing(db, users, client) -> None:
    _setup(db)
    headers = users["monitor"].headers
    good = [observation() for _ in range(5)]
    bad = observation(category="ceasefire_violation.no_such_thing")
    refused = client.post(
        "/api/v1/observations/batch", json={"observations": [*good, bad]}, headers=headers
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "unknown_category"
    assert problem["errors"][0]["field"] == "observations[5].category"
    assert client.get("/api/v1/observations", headers=headers).json()["items"] == []
    done = client.post("/api/v1/observations/batch", json={"observations": good}, headers=headers)
    assert done.status_code == 201 and done.json()["created"] == 5
    again = client.post("/api/v1/observations/batch", json={"observations": good}, headers=headers)
    assert again.json()["created"] == 0 and again.json()["existing"] == 5


def test_cursor_pagination_visits_each_once(db, users, client) -> None:
    _setup(db)
    headers = users["monitor"].headers
    items = [
        observation(observed_at=f"2020-11-12T{10 + i // 6:02d}:{(i % 6) * 10:02d}:00Z")
        for i in range(23)
    ]
    client.post("/api/v1/observations/batch", json={"observations": items}, headers=headers)
    seen, cursor = [], None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/observations", params=params, headers=headers).json()
        seen += [o["client_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(o["client_id"] for o in items)
    assert len(seen) == len(set(seen))


def test_time_and_category_filters(db, users, client) -> None:
    _setup(db)
    headers = users["monitor"].headers
    day1 = observation(observed_at="2020-11-12T10:00:00Z")
    day2 = observation(
        observed_at="2020-11-13T10:00:00+04:00", category="weapons_forces.military_movement"
    )
    client.post("/api/v1/observations/batch", json={"observations": [day1, day2]}, headers=headers)

    def ids(**params) -> list[str]:
        page = client.get("/api/v1/observations", params=params, headers=headers)
        assert page.status_code == 200, page.text
        return [o["client_id"] for o in page.json()["items"]]

    assert ids(to="2020-11-13T00:00:00Z") == [day1["client_id"]]
    assert ids(**{"from": "2020-11-13T00:00:00Z"}) == [day2["client_id"]]
    assert ids(category="ceasefire_violation") == [day1["client_id"]]
    assert ids(category="weapons_forces") == [day2["client_id"]]
    assert ids(observer="OP-T1") == [day1["client_id"], day2["client_id"]]
    assert ids(observer="OP-T9") == []
    assert ids(bbox="46.0,39.0,47.0,40.0") == [day1["client_id"], day2["client_id"]]
    assert ids(bbox="40.0,30.0,41.0,31.0") == []
