"""Restrictions of movement (SQLite and PostgreSQL): recorded through the API, the CLI and the
page, idempotent by client id, ended later, listed with filters, counted per area, stated
party and kind, the no-access areas at an instant and on the map of the day; bad input is a
clear 4xx that stores nothing; `vigil verify` passes after every write."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR, Account
from tests.factories import SQUARE
from tests.integration.test_report_form import sign_in
from tests.integration.test_sources import assert_problem, assert_verified

from vigil.domain.geography import ZoneDraft
from vigil.services import geography
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, MovementRestriction

API = "/api/v1/restrictions"
CORRIDOR = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [46.6, 39.5], [46.6, 39.6], [46.5, 39.6], [46.5, 39.5]]],
}
CLOSED = {
    "type": "Polygon",
    "coordinates": [[[46.9, 39.9], [46.95, 39.9], [46.95, 39.95], [46.9, 39.95], [46.9, 39.9]]],
}


def body(**changes: Any) -> dict[str, Any]:
    """A valid restriction: denied at a checkpoint inside the corridor."""
    made: dict[str, Any] = {
        "client_id": f"test-{uuid.uuid4()}",
        "kind": "denied",
        "occurred_at": "2020-11-20T10:00:00+04:00",
        "lat": 39.55,
        "lon": 46.55,
        "place": "checkpoint at the bridge",
        "patrol": "Patrol 3",
        "description": "turned back",
    }
    made.update(changes)
    return made


def counts(db: Database) -> tuple[int, int]:
    with db.reading() as session:
        return (
            int(session.scalar(select(func.count()).select_from(MovementRestriction)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
        )


@pytest.fixture
def zones(db: Database) -> None:
    """An area of responsibility (the square) with a corridor inside it."""
    with db.writing() as session:
        geography.add_zones(
            session,
            OPERATOR,
            [
                ZoneDraft(code="aor", kind="area_of_responsibility", names={"en": "AoR"},
                          geometry=SQUARE),
                ZoneDraft(code="corridor", kind="corridor", names={"en": "C"}, geometry=CORRIDOR),
            ],
        )  # fmt: skip


def post(client: TestClient, who: Account, **changes: Any) -> httpx.Response:
    return client.post(API, json=body(**changes), headers=who.headers)


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["monitor", "patrol_leader"])
def test_reporters_record_and_retry_is_idempotent(db, users, client, zones, cli, role) -> None:
    who = users[role]
    sent = body(stated_party="P1", stated_by="the officer in charge")
    first = client.post(API, json=sent, headers=who.headers)
    assert first.status_code == 201, first.text
    got = first.json()
    assert got["zone"] == "corridor", "the corridor is more specific than the area"
    assert got["stated_party"] == "P1" and got["reported_by"] == who.username
    assert got["duration_s"] is None and got["kind_label"] == "Access denied"
    again = client.post(API, json=sent, headers=who.headers)
    assert again.status_code == 200 and again.json()["id"] == got["id"]
    same_in_utc = {**sent, "occurred_at": "2020-11-20T06:00:00Z"}
    assert client.post(API, json=same_in_utc, headers=who.headers).status_code == 200
    before = counts(db)
    changed = client.post(API, json={**sent, "place": "elsewhere"}, headers=who.headers)
    assert_problem(changed, 409, "idempotency_conflict", "client_id")
    assert counts(db) == before
    assert_verified(cli)


def test_not_stated_is_none_and_outside_zones(db, users, client, zones) -> None:
    got = post(client, users["monitor"], lat=41.0, lon=45.0).json()
    assert got["stated_party"] is None and got["zone"] is None
    inside_aor = post(client, users["monitor"], lat=39.9, lon=46.9).json()
    assert inside_aor["zone"] == "aor"


def test_end_later_is_audited_and_once(db, users, client, cli) -> None:
    made = post(client, users["monitor"]).json()
    url = f"{API}/{made['id']}/end"
    early = client.post(
        url, json={"ended_at": "2020-11-20T09:00:00+04:00"}, headers=users["monitor"].headers
    )
    assert_problem(early, 422, "validation_failed", "ended_at")
    ended = client.post(
        url, json={"ended_at": "2020-11-20T12:30:00+04:00"}, headers=users["monitor"].headers
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["duration_s"] == 2.5 * 3600
    twice = client.post(
        url, json={"ended_at": "2020-11-21T12:30:00+04:00"}, headers=users["monitor"].headers
    )
    assert_problem(twice, 409, "state_conflict")
    missing = client.post(
        f"{API}/999999/end",
        json={"ended_at": "2020-11-21T00:00:00Z"},
        headers=users["monitor"].headers,
    )
    assert_problem(missing, 404, "not_found")
    with db.reading() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "movement_restriction")
        ).all()
    assert sorted(actions) == ["restriction.end", "restriction.record"]
    assert_verified(cli)


def test_roles(db, users, client) -> None:
    assert post(client, users["analyst"]).status_code == 201
    for role in ("head_of_mission", "party_liaison"):
        assert_problem(post(client, users[role]), 403, "forbidden")
    assert_problem(client.get(API, headers=users["party_liaison"].headers), 403, "forbidden")
    assert client.get(API, headers=users["head_of_mission"].headers).status_code == 200
    assert_problem(client.get(API), 401, "not_authenticated")


def test_list_filters_and_pages(db, users, client, zones) -> None:
    m = users["monitor"].headers
    post(client, users["monitor"], kind="delayed", occurred_at="2020-11-21T10:00:00Z", patrol="P7")
    post(
        client,
        users["monitor"],
        kind="denied",
        stated_party="P2",
        occurred_at="2020-11-22T10:00:00Z",
    )
    post(
        client,
        users["monitor"],
        kind="mines",
        lat=41.0,
        lon=45.0,
        occurred_at="2020-11-23T10:00:00Z",
    )
    every = client.get(API, headers=m).json()["items"]
    assert [r["kind"] for r in every] == ["delayed", "denied", "mines"]

    def kinds(**params: str) -> list[str]:
        answer = client.get(API, params=params, headers=m)
        assert answer.status_code == 200, answer.text
        return [r["kind"] for r in answer.json()["items"]]

    assert kinds(kind="denied") == ["denied"]
    assert kinds(party="P2") == ["denied"]
    assert kinds(party="none") == ["delayed", "mines"]
    assert kinds(zone="none") == ["mines"]
    assert kinds(zone="corridor") == ["delayed", "denied"]
    assert kinds(patrol="p7") == ["delayed"]
    unknown = client.get(API, params={"zone": "atlantis"}, headers=m)
    assert_problem(unknown, 422, "unknown_reference", "zone")
    assert kinds(**{"from": "2020-11-22T00:00:00Z", "to": "2020-11-23T00:00:00Z"}) == ["denied"]
    first = client.get(API, params={"limit": 2}, headers=m).json()
    rest = client.get(API, params={"limit": 2, "cursor": first["next_cursor"]}, headers=m).json()
    assert [r["kind"] for r in rest["items"]] == ["mines"] and rest["next_cursor"] is None
    assert_problem(
        client.get(API, params={"kind": "nope"}, headers=m), 422, "validation_failed", "kind"
    )
    assert_problem(
        client.get(API, params={"party": "XX"}, headers=m), 422, "unknown_reference", "party"
    )
    assert_problem(
        client.get(API, params={"cursor": "%%%"}, headers=m), 422, "validation_failed", "cursor"
    )
    assert_problem(
        client.get(API, params={"from": "2020-11-22T00:00:00"}, headers=m),
        422,
        "validation_failed",
        "from",
    )
    one = client.get(f"{API}/{every[0]['id']}", headers=m)
    assert one.status_code == 200 and one.json()["patrol"] == "P7"
    assert_problem(client.get(f"{API}/999999", headers=m), 404, "not_found")


def test_counts_per_area_party_and_kind(db, users, client, zones) -> None:
    m = users["monitor"]
    post(
        client,
        m,
        occurred_at="2020-11-20T10:00:00Z",
        ended_at="2020-11-20T12:00:00Z",
        stated_party="P1",
    )
    post(
        client,
        m,
        kind="delayed",
        occurred_at="2020-11-21T10:00:00Z",
        ended_at="2020-11-21T10:30:00Z",
    )
    post(client, m, kind="mines", lat=41.0, lon=45.0, occurred_at="2020-11-22T10:00:00Z")
    post(client, m, occurred_at="2020-12-20T10:00:00Z")  # outside the period
    answer = client.get(
        f"{API}/counts", params={"from": "2020-11-01T00:00:00Z", "to": "2020-12-01T00:00:00Z"},
        headers=m.headers,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    c = answer.json()
    assert c["total"] == {"key": "total", "label": "All restrictions", "count": 3, "open": 1,
                          "duration_s": 9000.0}  # fmt: skip
    area = {t["key"]: (t["count"], t["open"], t["duration_s"]) for t in c["by_area"]}
    assert area == {"corridor": (2, 0, 9000.0), "outside any zone": (1, 1, 0.0)}
    party = {t["key"]: t["count"] for t in c["by_party"]}
    assert party == {"not stated": 2, "P1": 1}
    kind = {t["key"]: t["count"] for t in c["by_kind"]}
    assert kind == {"denied": 1, "delayed": 1, "mines": 1}
    reversed_ = client.get(
        f"{API}/counts",
        params={"from": "2020-12-01T00:00:00Z", "to": "2020-11-01T00:00:00Z"},
        headers=m.headers,
    )
    assert_problem(reversed_, 422, "invalid_range")
    assert_problem(client.get(f"{API}/counts", headers=m.headers), 422, "validation_failed")


def test_no_access_areas_and_the_map(db, users, client) -> None:
    m = users["monitor"]
    area = post(client, m, kind="mines", lat=39.92, lon=46.92, area=CLOSED,
                occurred_at="2020-11-20T08:00:00Z", stated_party="P1").json()  # fmt: skip
    post(client, m, occurred_at="2020-11-20T09:00:00Z")  # a point only
    ended = post(client, m, lat=39.92, lon=46.92, area=CLOSED, occurred_at="2020-11-18T08:00:00Z",
                 ended_at="2020-11-19T08:00:00Z").json()  # fmt: skip
    at = client.get(f"{API}/no-access", params={"at": "2020-11-25T00:00:00Z"}, headers=m.headers)
    assert at.status_code == 200 and at.headers["content-type"].startswith("application/geo+json")
    assert [f["properties"]["id"] for f in at.json()["features"]] == [area["id"]]
    assert at.json()["features"][0]["geometry"]["type"] == "Polygon"
    earlier = client.get(
        f"{API}/no-access", params={"at": "2020-11-18T12:00:00Z"}, headers=m.headers
    )
    assert [f["properties"]["id"] for f in earlier.json()["features"]] == [ended["id"]]
    assert_problem(
        client.get(f"{API}/no-access", headers=m.headers), 422, "validation_failed", "at"
    )
    far = {"at": "9999-12-31T23:59:59.999999Z"}
    last = client.get(f"{API}/no-access", params=far, headers=m.headers)
    assert last.status_code == 200 and len(last.json()["features"]) == 1, last.text
    day = client.get("/api/v1/map/day", params={"date": "2020-11-22"}, headers=m.headers).json()
    drawn = [f for f in day["features"] if f["properties"]["layer"] == "restriction"]
    assert {(f["properties"]["id"], f["properties"]["shape"]) for f in drawn} == {
        (area["id"], "point"),
        (area["id"], "area"),
    }, "an open no-access area stays on the map; a point-only restriction only on its day"
    assert drawn[0]["properties"]["stated_party"] == "P1"


SQUARE_FAR = {
    "type": "Polygon",
    "coordinates": [[[40.0, 30.0], [40.1, 30.0], [40.1, 30.1], [40.0, 30.1], [40.0, 30.0]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [46.6, 39.6], [46.6, 39.5], [46.5, 39.6], [46.5, 39.5]]],
}


def _ring(n: int) -> dict[str, Any]:
    import math

    pts = [
        [46.55 + 0.01 * math.cos(2 * math.pi * k / n), 39.55 + 0.01 * math.sin(2 * math.pi * k / n)]
        for k in range(n)
    ]
    return {"type": "Polygon", "coordinates": [pts + [pts[0]]]}


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"lat": 91}, 422, "validation_failed", "lat"),
        ({"lon": -181}, 422, "validation_failed", "lon"),
        ({"lat": "north"}, 422, "validation_failed", "lat"),
        ({"ended_at": "2020-11-20T09:00:00+04:00"}, 422, "validation_failed", "ended_at"),
        ({"occurred_at": "2020-11-20T10:00:00"}, 422, "validation_failed", "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, 422, "validation_failed", "occurred_at"),
        ({"stated_party": "XX"}, 422, "unknown_reference", "stated_party"),
        ({"kind": "stopped"}, 422, "validation_failed", "kind"),
        ({"area": BOWTIE}, 422, "invalid_geometry", "area"),
        ({"area": SQUARE_FAR}, 422, "invalid_geometry", "area"),
        ({"area": _ring(2500)}, 422, "invalid_geometry", "area"),
        (
            {"area": {"type": "Point", "coordinates": [46.55, 39.55]}},
            422,
            "invalid_geometry",
            "area",
        ),
        ({"area": {"type": "Polygon", "coordinates": "x"}}, 422, "invalid_geometry", "area"),
        ({"client_id": "  "}, 422, "validation_failed", "client_id"),
        ({"colour": "red"}, 422, "validation_failed", "colour"),
    ],
)
def test_bad_input_stores_nothing(db, users, client, changes, status, code, field) -> None:
    before = counts(db)
    assert_problem(post(client, users["monitor"], **changes), status, code, field)
    assert counts(db) == before


def test_malformed_json_and_wrong_content_type(db, users, client) -> None:
    h = {**users["monitor"].headers, "Content-Type": "application/json"}
    assert_problem(client.post(API, content=b'{"kind": ', headers=h), 400, "malformed_request")
    text = {**users["monitor"].headers, "Content-Type": "text/plain"}
    assert_problem(client.post(API, content=b"denied", headers=text), 415, "unsupported_media_type")
    assert_problem(
        client.post(f"{API}/1/end", json={"ended_at": "soon"}, headers=users["monitor"].headers),
        422,
        "validation_failed",
        "ended_at",
    )
    assert counts(db)[0] == 0


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_add_end_list_counts(db, users, cli, zones, tmp_path: Path) -> None:
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": CLOSED}))
    code, out, err = cli("restrictions", "add", "mines", "--at", "2020-11-20T10:00+04:00",
                         "--lat", "39.92", "--lon", "46.92", "--area", str(area), "--party", "P2",
                         "--patrol", "Patrol 1", "--as", "patrol-leader")  # fmt: skip
    assert code == 0, out + err
    found = re.search(r"restriction (\d+) recorded: mines in aor", out)
    assert found, out
    rid = found.group(1)
    code, out, err = cli(
        "restrictions", "end", rid, "--at", "2020-11-21T10:00+04:00", "--as", "monitor"
    )
    assert code == 0 and "lasted 1 d" in out, out + err
    code, out, _ = cli("restrictions", "list", "--kind", "mines")
    assert code == 0 and "Patrol 1" in out and "1 restriction(s)" in out
    code, out, _ = cli(
        "restrictions", "counts", "--from", "2020-11-01T00:00Z", "--to", "2020-12-01T00:00Z"
    )
    assert code == 0 and "Per area" in out and "Per stated party" in out and "P2" in out, out
    assert_verified(cli)


ADD = ["add", "denied", "--at", "2020-11-20T10:00Z", "--lat", "39.5", "--lon", "46.5"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            [
                "add",
                "denied",
                "--at",
                "2020-11-20T10:00",
                "--lat",
                "39.5",
                "--lon",
                "46.5",
                "--as",
                "monitor",
            ],
            "UTC offset",
        ),
        (
            [
                "add",
                "denied",
                "--at",
                "2020-11-20T10:00Z",
                "--lat",
                "99",
                "--lon",
                "46.5",
                "--as",
                "monitor",
            ],
            "lat",
        ),
        (
            [
                "add",
                "nope",
                "--at",
                "2020-11-20T10:00Z",
                "--lat",
                "39.5",
                "--lon",
                "46.5",
                "--as",
                "monitor",
            ],
            "kind",
        ),
        (
            [*ADD, "--party", "XX", "--as", "monitor"],
            "no party",
        ),
        (
            [*ADD, "--as", "nobody"],
            "no user",
        ),
        (
            [*ADD, "--as", "head-of-mission"],
            "role",
        ),
        (
            [*ADD, "--area", "/nonexistent.geojson", "--as", "monitor"],
            "no file",
        ),
        (["end", "99999", "--at", "2020-11-20T10:00Z", "--as", "monitor"], "no restriction"),
        (["counts", "--from", "2020-12-01T00:00Z", "--to", "2020-11-01T00:00Z"], "after the start"),
    ],
)
def test_cli_bad_input(db, users, cli, args, says) -> None:
    code, out, err = cli("restrictions", *args)
    assert code != 0 and says in (out + err), out + err
    assert counts(db)[0] == 0


def test_cli_area_not_json(db, users, cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    code, out, err = cli("restrictions", *ADD, "--area", str(bad), "--as", "monitor")
    assert code == 1 and "not JSON" in err, out + err


# --- the page --------------------------------------------------------------------------------


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has a CSRF token"
    return found.group(1)


def _form(page: str, **fields: str) -> dict[str, str]:
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert client_id
    made = {"csrf_token": _csrf(page), "client_id": client_id.group(1), "kind": "delayed",
            "occurred_at": "2020-11-20T10:00", "lat": "39.55", "lon": "46.55",
            "place": "Aghdam road", "patrol": "Patrol 2"}  # fmt: skip
    made.update(fields)
    return made


def test_page_records_lists_and_counts(db, users, client: TestClient, zones, cli) -> None:
    sign_in(client, "monitor")
    page = client.get("/restrictions")
    assert page.status_code == 200 and "Record a restriction" in page.text
    sent = client.post(
        "/restrictions", data=_form(page.text, stated_party="P1"), follow_redirects=False
    )
    assert sent.status_code == 303, sent.text
    shown = client.get(sent.headers["location"])
    assert "recorded." in shown.text and "Aghdam road" in shown.text
    assert 'data-key="corridor"' in shown.text and 'data-key="P1"' in shown.text
    filtered = client.get("/restrictions", params={"kind": "mines"})
    assert "No restriction matches" in filtered.text
    bad_day = client.get("/restrictions", params={"from": "someday"})
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.text
    assert_verified(cli)


def test_page_errors_beside_fields_with_values_kept(db, users, client: TestClient) -> None:
    sign_in(client, "patrol-leader")
    page = client.get("/restrictions").text
    form = _form(page, lat="95", ended_at="2020-11-20T09:00", place="kept place", area="{oops")
    answer = client.post("/restrictions", data=form)
    assert answer.status_code == 422
    assert 'id="e-area"' in answer.text and "kept place" in answer.text and "{oops" in answer.text
    form = _form(page, lat="95", ended_at="2020-11-20T09:00")
    answer = client.post("/restrictions", data=form)
    assert (
        answer.status_code == 422
        and 'id="e-lat"' in answer.text
        and 'id="e-ended_at"' in answer.text
    )
    answer = client.post("/restrictions", data=_form(page, stated_party="XX"))
    assert answer.status_code == 422 and 'id="e-stated_party"' in answer.text
    answer = client.post("/restrictions", data=_form(page, occurred_at=""))
    assert answer.status_code == 422 and 'id="e-occurred_at"' in answer.text
    answer = client.post("/restrictions", data=_form(page, kind="", lat="north"))
    assert answer.status_code == 422
    assert 'id="e-kind"' in answer.text and "a number in decimal degrees" in answer.text
    assert answer.text.count('id="e-lat"') == 1, "a field that failed to parse is blamed once"
    no_csrf = client.post("/restrictions", data={**_form(page), "csrf_token": "x"})
    assert no_csrf.status_code == 403
    assert counts(db)[0] == 0


def test_page_hides_the_form_from_readers(db, users, client: TestClient) -> None:
    sign_in(client, "head-of-mission")
    page = client.get("/restrictions")
    assert page.status_code == 200 and "Record a restriction" not in page.text


# --- the demo's restrictions -----------------------------------------------------------------


def test_demo_restrictions_load_in_their_zones(db, users, cli) -> None:
    from importlib import resources

    from vigil.formats.geography_files import parse_zones
    from vigil.services import mission, restrictions
    from vigil.services.demo import END, START

    data = resources.files("vigil.demo").joinpath("data")
    with db.writing() as session:
        mission.add_parties(
            session, OPERATOR, json.loads(data.joinpath("parties.json").read_bytes())
        )
        zones = parse_zones(data.joinpath("zones.geojson").read_bytes())
        geography.add_zones(session, OPERATOR, zones)
        bodies = json.loads(data.joinpath("restrictions.json").read_bytes())
        done = restrictions.record_all(session, OPERATOR, bodies, END)
    rows = [d.row for d in done]
    assert len(rows) == 10 and all(START <= r.occurred_at < END for r in rows)
    assert {r.kind for r in rows} == {
        "denied",
        "delayed",
        "conditional_access",
        "threat",
        "mines",
        "drone_jamming",
    }
    assert {r.zone_code for r in rows} >= {"lachin-corridor", "aghdam-district"}
    assert sum(1 for r in rows if r.area) == 2
    assert sum(1 for r in rows if r.stated_party_id) == 2, "a party only where one was stated"
    assert_verified(cli)
