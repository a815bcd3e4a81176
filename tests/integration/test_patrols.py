"""Patrols (SQLite and PostgreSQL): planned, edited, started, completed and aborted through
the API, the CLI and the pages; their reports list what the team found; a vehicle or a
person booked twice in overlapping windows is a 409 naming the other patrol; bad input is a
clear 4xx that stores nothing; `vigil verify` passes after every write."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR, Account
from tests.factories import observation
from tests.integration.test_report_form import sign_in
from tests.integration.test_sources import assert_problem, assert_verified

from vigil.services import patrols as service
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, Patrol

API = "/api/v1/patrols"
ROUTE = {"type": "LineString", "coordinates": [[46.70, 39.80], [46.75, 39.82], [46.80, 39.85]]}


def plan(**changes: Any) -> dict[str, Any]:
    """A valid plan: the patrol leader leads, the monitor drives, on 20 Nov 2020."""
    made: dict[str, Any] = {
        "code": f"PTL-T-{uuid.uuid4().hex[:6]}",
        "name": "PTL-T",
        "route": ROUTE,
        "planned_start": "2020-11-20T08:00:00+04:00",
        "planned_end": "2020-11-20T15:00:00+04:00",
        "check_in_interval_s": 1800,
        "notified": ["P1"],
        "members": [
            {"user": "patrol-leader", "role": "leader"},
            {"user": "monitor", "role": "driver"},
        ],
        "vehicles": ["AV-01"],
    }
    made.update(changes)
    return made


def counts(db: Database) -> tuple[int, int]:
    with db.reading() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Patrol)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
        )


@pytest.fixture
def fleet(client: TestClient, users: dict[str, Account]) -> None:
    """Two vehicles."""
    for code in ("AV-01", "AV-02"):
        r = client.post("/api/v1/vehicles", json={"code": code, "label": "armoured"},
                        headers=users["duty_officer"].headers)  # fmt: skip
        assert r.status_code == 201, r.text


def made(client: TestClient, users: dict[str, Account], **changes: Any) -> dict[str, Any]:
    r = client.post(API, json=plan(**changes), headers=users["duty_officer"].headers)
    assert r.status_code == 201, r.text
    return r.json()


# --- the API ---------------------------------------------------------------------------------


def test_plan_start_complete_and_report(db, users, client, fleet, cli) -> None:
    p = made(client, users)
    assert p["status"] == "planned" and p["vehicles"] == ["AV-01"] and p["notified"] == ["P1"]
    assert [m["user"] for m in p["members"]] == ["patrol-leader", "monitor"]
    assert p["planned_start"].startswith("2020-11-20T04:00")
    leader = users["patrol_leader"].headers
    r = client.post(f"{API}/{p['id']}/start", json={"at": "2020-11-20T08:05:00+04:00"},
                    headers=leader)  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "under_way", r.text
    # what the tracking code asks: who is out, and on which patrol a person was
    at = datetime(2020, 11, 20, 6, tzinfo=UTC)
    with db.reading() as session:
        uid = users_id(session, "monitor")
        assert [x.code for x in service.active_patrols(session, at)] == [p["code"]]
        assert service.patrol_of_user(session, uid, at).code == p["code"]
        assert service.patrol_of_user(session, uid, datetime(2020, 11, 20, 3, tzinfo=UTC)) is None
    # what the team found: an observation by the monitor inside the window, a restriction
    obs = observation(
        observed_at="2020-11-20T10:00:00+04:00",
        observer={"kind": "patrol", "name": "PTL-T", "lat": 39.8, "lon": 46.7},
    )
    r = client.post("/api/v1/observations", json=obs, headers=users["monitor"].headers)
    assert r.status_code == 201, r.text
    res = {"client_id": f"t-{uuid.uuid4()}", "kind": "denied", "lat": 39.81, "lon": 46.73,
           "occurred_at": "2020-11-20T11:00:00+04:00", "patrol": p["code"].lower()}  # fmt: skip
    r = client.post("/api/v1/restrictions", json=res, headers=leader)
    assert r.status_code == 201, r.text
    r = client.post(f"{API}/{p['id']}/complete", json={"at": "2020-11-20T14:40:00+04:00"},
                    headers=users["duty_officer"].headers)  # fmt: skip
    assert r.json()["status"] == "completed" and r.json()["ended_at"].startswith("2020-11-20T10:40")
    rep = client.get(f"{API}/{p['id']}/report", headers=users["monitor"].headers).json()
    assert [s["action"] for s in rep["history"]] == [
        "patrol.plan",
        "patrol.start",
        "patrol.complete",
    ]
    assert [s["status"] for s in rep["history"]] == ["planned", "under_way", "completed"]
    assert [o["client_id"] for o in rep["observations"]] == [obs["client_id"]]
    assert [x["kind"] for x in rep["restrictions"]] == ["denied"]
    assert rep["patrol"]["route"] == ROUTE
    # listed by day, status and member
    got = client.get(API, params={"day": "2020-11-20", "status": "completed", "member": "monitor"},
                     headers=users["analyst"].headers).json()["items"]  # fmt: skip
    assert [x["code"] for x in got] == [p["code"]]
    assert (
        client.get(API, params={"day": "2020-11-21"}, headers=users["analyst"].headers).json()[
            "items"
        ]
        == []
    )
    assert_verified(cli)


def users_id(session: Any, name: str) -> int:
    from vigil.queries.accounts import user_by_name

    return user_by_name(session, name).id


def test_abort_needs_a_reason_and_illegal_steps_are_409(db, users, client, fleet, cli) -> None:
    p = made(client, users)
    ops = users["duty_officer"].headers
    url = f"{API}/{p['id']}"
    assert_problem(client.post(url + "/complete", headers=ops), 409, "state_conflict")
    assert_problem(client.post(url + "/abort", json={}, headers=ops), 422, "validation_failed")
    assert_problem(client.post(url + "/abort", json={"reason": "  "}, headers=ops), 422,
                   "validation_failed", "reason")  # fmt: skip
    r = client.post(url + "/abort", json={"reason": "shelling reported on the route"}, headers=ops)
    assert r.status_code == 200 and r.json()["status"] == "aborted"
    assert "shelling reported" in r.json()["notes"]
    for step in ("start", "complete"):
        assert_problem(client.post(f"{url}/{step}", headers=ops), 409, "state_conflict")
    assert_problem(client.patch(url, json={"name": "x"}, headers=ops), 409, "state_conflict")
    # an aborted patrol holds nothing: its vehicle and people can be booked again
    made(client, users)
    assert_verified(cli)


def test_overlapping_bookings_are_409_naming_the_other_patrol(db, users, client, fleet) -> None:
    first = made(client, users)
    before = counts(db)
    clash = plan(planned_start="2020-11-20T14:00:00+04:00", planned_end="2020-11-20T18:00:00+04:00",
                 members=[{"user": "analyst", "role": "leader"}])  # fmt: skip
    r = client.post(API, json=clash, headers=users["duty_officer"].headers)
    assert_problem(r, 409, "state_conflict", "vehicles")
    assert "vehicle AV-01" in r.json()["detail"] and first["code"] in r.json()["detail"]
    assert r.json()["conflicting_patrol"] == first["code"]
    person = plan(
        planned_start="2020-11-20T14:00:00+04:00", planned_end="2020-11-20T18:00:00+04:00",
        vehicles=["AV-02"], members=[{"user": "patrol-leader", "role": "leader"}],
    )  # fmt: skip
    r = client.post(API, json=person, headers=users["duty_officer"].headers)
    assert_problem(r, 409, "state_conflict", "members")
    assert "patrol-leader" in r.json()["detail"] and first["code"] in r.json()["detail"]
    assert counts(db) == before
    # back to back is no clash
    made(client, users, planned_start="2020-11-20T15:00:00+04:00",
         planned_end="2020-11-20T18:00:00+04:00")  # fmt: skip


def test_edit_a_planned_patrol(db, users, client, fleet, cli) -> None:
    p = made(client, users)
    ops = users["duty_officer"].headers
    r = client.patch(f"{API}/{p['id']}", json={"vehicles": ["AV-02"], "members": [
        {"user": "monitor", "role": "leader"}], "planned_end": "2020-11-20T16:00:00+04:00"},
        headers=ops)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["vehicles"] == ["AV-02"] and r.json()["members"][0]["user"] == "monitor"
    assert_problem(client.patch(f"{API}/{p['id']}", json={"planned_end": "2020-11-19T00:00:00Z"},
                                headers=ops), 422, "validation_failed")  # fmt: skip
    assert_problem(client.patch(f"{API}/{p['id']}", json={"bogus": 1}, headers=ops), 422,
                   "validation_failed")  # fmt: skip
    assert_verified(cli)


BAD: list[tuple[dict[str, Any], int, str, str | None]] = [
    (
        {"route": {"type": "Polygon", "coordinates": [[[46, 39], [47, 39], [47, 40], [46, 39]]]}},
        422,
        "validation_failed",
        "route",
    ),
    (
        {"route": {"type": "LineString", "coordinates": [[46.7, 39.8]]}},
        422,
        "validation_failed",
        "route",
    ),
    (
        {"route": {"type": "LineString", "coordinates": [[200, 39.8], [46.7, 39.9]]}},
        422,
        "validation_failed",
        "route",
    ),
    (
        {
            "route": {
                "type": "MultiPoint",
                "coordinates": [[46.7, 39.8 + i / 1e4] for i in range(2001)],
            }
        },
        422,
        "validation_failed",
        "route",
    ),
    ({"route": "LINESTRING(1 2, 3 4)"}, 422, "validation_failed", "route"),
    ({"planned_end": "2020-11-20T07:00:00+04:00"}, 422, "validation_failed", None),
    ({"planned_end": "2020-11-23T08:00:00+04:00"}, 422, "validation_failed", None),
    ({"planned_start": "2020-11-20T08:00:00"}, 422, "validation_failed", "planned_start"),
    ({"check_in_interval_s": 10}, 422, "validation_failed", "check_in_interval_s"),
    ({"check_in_interval_s": 90000}, 422, "validation_failed", "check_in_interval_s"),
    ({"code": ""}, 422, "validation_failed", "code"),
    ({"code": "x" * 65}, 422, "validation_failed", "code"),
    ({"code": "PTL\x00"}, 422, "validation_failed", "code"),
    ({"members": []}, 422, "validation_failed", "members"),
    ({"members": [{"user": "monitor", "role": "member"}]}, 422, "validation_failed", None),
    (
        {"members": [{"user": "monitor", "role": "leader"}, {"user": "analyst", "role": "leader"}]},
        422,
        "validation_failed",
        None,
    ),
    ({"members": [{"user": "monitor", "role": "chef"}]}, 422, "validation_failed", None),
    (
        {"members": [{"user": "nobody", "role": "leader"}]},
        422,
        "unknown_reference",
        "members.0.user",
    ),
    (
        {"members": [{"user": "party-liaison", "role": "leader"}]},
        422,
        "unknown_reference",
        "members.0.user",
    ),
    ({"vehicles": ["NO-CAR"]}, 422, "unknown_reference", "vehicles"),
    ({"notified": ["P9"]}, 422, "unknown_reference", "notified"),
    ({"notified": ["P1", "P1"]}, 422, "validation_failed", "notified"),
    ({"extra": 1}, 422, "validation_failed", None),
]


@pytest.mark.parametrize(("changes", "status", "code", "field"), BAD)
def test_bad_plans_are_refused_and_store_nothing(db, users, client, fleet, changes, status,
                                                 code, field) -> None:  # fmt: skip
    before = counts(db)
    r = client.post(API, json=plan(**changes), headers=users["duty_officer"].headers)
    assert_problem(r, status, code, field)
    assert counts(db) == before


def test_a_code_is_used_once(db, users, client, fleet) -> None:
    p = made(client, users)
    r = client.post(API, json=plan(code=p["code"], planned_start="2020-11-21T08:00:00+04:00",
                                   planned_end="2020-11-21T12:00:00+04:00"),
                    headers=users["duty_officer"].headers)  # fmt: skip
    assert_problem(r, 409, "already_exists", "code")
    r = client.post("/api/v1/vehicles", json={"code": "AV-01"}, headers=users["admin"].headers)
    assert_problem(r, 409, "already_exists", "code")


def test_who_may_do_what(db, users, client, fleet) -> None:
    for role in ("monitor", "analyst", "patrol_leader", "party_liaison"):
        assert_problem(client.post(API, json=plan(), headers=users[role].headers), 403, "forbidden")
    assert_problem(client.get(API, headers=users["party_liaison"].headers), 403, "forbidden")
    assert_problem(client.get("/api/v1/vehicles", headers=users["party_liaison"].headers), 403,
                   "forbidden")  # fmt: skip
    p = made(client, users, members=[{"user": "monitor", "role": "leader"}])
    # a patrol leader runs only a patrol they lead; a monitor runs none
    r = client.post(f"{API}/{p['id']}/start", headers=users["patrol_leader"].headers)
    assert_problem(r, 403, "forbidden")
    assert_problem(client.post(f"{API}/{p['id']}/start", headers=users["monitor"].headers), 403,
                   "forbidden")  # fmt: skip
    assert (
        client.get(f"{API}/{p['id']}/report", headers=users["monitor"].headers).status_code == 200
    )
    assert_problem(client.get(f"{API}/{p['id']}/report", headers=users["party_liaison"].headers),
                   403, "forbidden")  # fmt: skip
    assert_problem(client.get(f"{API}/999999", headers=users["monitor"].headers), 404, "not_found")


def test_times_of_steps_are_checked(db, users, client, fleet) -> None:
    p = made(client, users)
    ops = users["duty_officer"].headers
    r = client.post(f"{API}/{p['id']}/start", json={"at": "2099-01-01T00:00:00Z"}, headers=ops)
    assert_problem(r, 422, "validation_failed", "at")
    client.post(f"{API}/{p['id']}/start", json={"at": "2020-11-20T08:00:00+04:00"}, headers=ops)
    r = client.post(
        f"{API}/{p['id']}/complete", json={"at": "2020-11-20T07:00:00+04:00"}, headers=ops
    )
    assert_problem(r, 422, "validation_failed", "at")
    r = client.post(f"{API}/{p['id']}/complete", json={"at": "2020-11-20T07:00:00"}, headers=ops)
    assert_problem(r, 422, "validation_failed")


def test_overdue_can_still_be_completed(db, users, client, fleet, cli) -> None:
    p = made(client, users)
    client.post(f"{API}/{p['id']}/start", headers=users["duty_officer"].headers)
    with db.writing() as session:
        assert service.mark_overdue(session, OPERATOR, p["id"]).status == "overdue"
    got = client.get(f"{API}/{p['id']}", headers=users["monitor"].headers).json()
    assert got["status"] == "overdue" and got["status_label"] == "Overdue"
    r = client.post(f"{API}/{p['id']}/complete", headers=users["patrol_leader"].headers)
    assert r.json()["status"] == "completed"
    assert_verified(cli)


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_plan_start_complete_abort_list_show(db, users, cli, tmp_path: Path) -> None:
    assert cli("patrols", "vehicles", "add", "AV-01", "--label", "armoured")[0] == 0
    code, out, err = cli("patrols", "vehicles", "list")
    assert code == 0 and "AV-01" in out and "1 vehicle" in out
    code, out, err = cli(
        "patrols", "plan", "--code", "PTL-C1", "--name", "PTL-C", "--start",
        "2020-11-20T08:00+04:00", "--end", "2020-11-20T15:00+04:00", "--waypoints",
        "39.80 46.70; 39.82 46.75", "--member", "patrol-leader:leader", "--member",
        "monitor:driver", "--vehicle", "AV-01", "--notify", "P2",
    )  # fmt: skip
    assert code == 0 and "planned: PTL-C1" in out, out + err
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(plan(code="PTL-C2", vehicles=[], members=[
        {"user": "analyst", "role": "leader"}])), encoding="utf-8")  # fmt: skip
    assert cli("patrols", "plan", "--file", str(file))[0] == 0
    with db.reading() as session:
        ids = {p.code: p.id for p in session.scalars(select(Patrol))}
    one, two = str(ids["PTL-C1"]), str(ids["PTL-C2"])
    code, out, err = cli("patrols", "start", one, "--as", "patrol-leader", "--at",
                         "2020-11-20T08:10+04:00")  # fmt: skip
    assert code == 0 and "under way" in out, out + err
    assert cli("patrols", "complete", one, "--as", "duty-officer")[0] == 0
    code, out, err = cli("patrols", "abort", two, "--as", "duty-officer", "--reason", "fog")
    assert code == 0 and "aborted" in out
    code, out, err = cli("patrols", "list", "--day", "2020-11-20")
    assert code == 0 and "PTL-C1" in out and "PTL-C2" in out and "2 patrol" in out
    code, out, err = cli("patrols", "list", "--status", "aborted")
    assert "PTL-C2" in out and "PTL-C1" not in out
    code, out, err = cli("patrols", "show", one)
    assert code == 0 and "patrol.start" in out and "patrol-leader (leader)" in out
    assert "notified: P2" in out
    assert_verified(cli)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["patrols", "list", "--day", "20/11/2020"], "is not a day"),
        (["patrols", "list", "--status", "lost"], "status"),
        (["patrols", "show", "99999"], "no patrol"),
        (["patrols", "start", "99999", "--as", "duty-officer"], "no patrol"),
        (["patrols", "start", "1", "--as", "nobody"], "no user"),
        (["patrols", "plan", "--code", "X"], "give --code, --start and --end"),
        (["patrols", "plan", "--code", "X", "--start", "2020-11-20T08:00+04:00", "--end",
          "2020-11-20T07:00+04:00", "--waypoints", "39.8 46.7; 39.9 46.8", "--member",
          "monitor:leader"], "planned_end must be after"),
        (["patrols", "plan", "--code", "X", "--start", "2020-11-20T08:00+04:00", "--end",
          "2020-11-20T09:00+04:00", "--waypoints", "39.8 46.7; north", "--member",
          "monitor:leader"], "line 2"),
        (["patrols", "plan", "--code", "X", "--start", "2020-11-20T08:00", "--end",
          "2020-11-20T09:00+04:00", "--route", "{}"], "needs a UTC offset"),
        (["patrols", "plan", "--file", "/no/such.json"], "no file"),
        (["patrols", "vehicles", "add", " "], "code"),
    ],
)  # fmt: skip
def test_cli_bad_input(db, users, cli, args, says) -> None:
    code, out, err = cli(*args)
    assert code != 0 and says in out + err, out + err


def test_cli_monitor_may_not_start(db, users, client, fleet, cli) -> None:
    p = made(client, users)
    code, out, err = cli("patrols", "start", str(p["id"]), "--as", "monitor")
    assert code != 0 and "role" in (out + err).lower()


# --- the pages -------------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def form(**changes: Any) -> dict[str, Any]:
    made: dict[str, Any] = {
        "code": "PTL-W1", "name": "PTL-W", "planned_start": "2020-11-20T08:00",
        "planned_end": "2020-11-20T15:00", "interval_min": "30",
        "route": "39.80 46.70\n39.82 46.75\n39.85 46.80", "leader": "patrol-leader",
        "member": ["monitor", ""], "member_role": ["driver", "member"], "vehicles": ["AV-01"],
        "notified": [], "day": "2020-11-20",
    }  # fmt: skip
    made.update(changes)
    return made


def test_board_plan_start_abort_and_report_page(db, users, client, fleet, cli) -> None:
    sign_in(client, "duty-officer")
    page = client.get("/patrols?day=2020-11-20")
    assert page.status_code == 200 and "Plan a patrol" in page.text
    assert 'name="notified" value="P1" checked' not in page.text  # none preselected
    r = client.post("/patrols", data={**form(), "csrf_token": csrf_of(page.text)},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    board = client.get(r.headers["location"]).text
    assert "PTL-W1" in board and "Planned" in board and "patrol-leader" in board
    with db.reading() as session:
        pid = session.scalars(select(Patrol.id).where(Patrol.code == "PTL-W1")).one()
    csrf = csrf_of(board)
    r = client.post(f"/patrols/{pid}/start", data={"csrf_token": csrf, "day": "2020-11-20"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "Under way" in client.get("/patrols").text  # out now: on today's board too
    r = client.post(f"/patrols/{pid}/abort", data={"csrf_token": csrf, "reason": ""})
    assert r.status_code == 422 and "reason" in r.text
    r = client.post(f"/patrols/{pid}/abort", data={"csrf_token": csrf, "reason": "roadblock"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    report = client.get(f"/patrols/{pid}")
    assert report.status_code == 200 and "Aborted: roadblock" in report.text
    assert 'id="patrol-map"' in report.text and "patrol-history" in report.text
    assert report.text.count('<tr><td class="nowrap">') >= 3  # plan, start, abort
    assert_verified(cli)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"route": "{not json"}, "route", "not GeoJSON"),
        ({"route": "39.8 46.7"}, "route", "vertices"),
        ({"planned_end": "2020-11-20T07:00"}, "planned_end", "after planned_start"),
        ({"planned_start": "yesterday"}, "planned_start", "a date and time"),
        ({"leader": ""}, "leader", "choose the patrol"),
        ({"interval_min": "ten"}, "check_in_interval_s", "minutes"),
        ({"vehicles": ["NOPE"]}, "vehicles", "no vehicle"),
        ({"code": ""}, "code", ""),
    ],
)
def test_page_refusals_show_beside_the_field(db, users, client, fleet, changes, field,
                                             message) -> None:  # fmt: skip
    sign_in(client, "duty-officer")
    csrf = csrf_of(client.get("/patrols").text)
    before = counts(db)
    r = client.post("/patrols", data={**form(**changes), "csrf_token": csrf})
    assert r.status_code in (409, 422), r.status_code
    assert f'id="e-{field}"' in r.text and message in r.text, r.text[-3000:]
    assert 'value="PTL-W' in r.text or changes.get("code") == ""  # what was typed is kept
    assert counts(db) == before


def test_page_overlap_is_shown(db, users, client, fleet) -> None:
    first = made(client, users)
    sign_in(client, "duty-officer")
    csrf = csrf_of(client.get("/patrols").text)
    r = client.post("/patrols", data={**form(leader="analyst", member=[]), "csrf_token": csrf})
    assert r.status_code == 409 and first["code"] in r.text and 'id="e-vehicles"' in r.text


def test_pages_refuse_monitor_plans_and_liaisons(db, users, client, fleet) -> None:
    sign_in(client, "monitor")
    page = client.get("/patrols")
    assert page.status_code == 200 and "Plan a patrol" not in page.text
    r = client.post("/patrols", data={**form(), "csrf_token": csrf_of(page.text)})
    assert r.status_code == 403
    client.cookies.clear()
    sign_in(client, "party-liaison")
    assert client.get("/patrols").status_code == 403
