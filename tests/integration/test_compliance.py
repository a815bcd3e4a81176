"""The compliance view through the API, the CLI and the page, on SQLite and PostgreSQL, over a
scene with one provision per status (tests/compliance_scene.py); bad input is a clear 4xx
(or exit code 2) and the audit chain stays intact."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from tests.compliance_scene import AS_OF, Scene, build
from tests.conftest import OPERATOR, PASSWORD, Account

from vigil.store.db import Database

API = "/api/v1/compliance"
PROBLEM = "application/problem+json"


@pytest.fixture
def scene(db: Database, users: dict[str, Account]) -> Scene:
    with db.writing() as session:
        return build(session, OPERATOR)


def get(client: Any, who: Account, **params: Any) -> httpx.Response:
    return client.get(API, params={"as_of": AS_OF, **params}, headers=who.headers)


def by_number(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["number"]: p for p in body["provisions"]}


def parties(p: dict[str, Any]) -> dict[str, str]:
    return {s["party"]: s["status"] for s in p["parties"]}


def assert_problem(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == code and r.json()["detail"]
    if field is not None:
        assert field in [e["field"] for e in r.json().get("errors", [])], r.json()


# --- the API -----------------------------------------------------------------------------------


def test_every_status_with_its_evidence(scene: Scene, users, client) -> None:
    r = get(client, users["analyst"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"].startswith("2020-11-28T00:00:00") and body["window_days"] == 7
    assert body["parties"] == ["P1", "P2"]
    got = by_number(body)
    i = scene.incidents
    one = got["1"]
    assert one["status"]["status"] == "breached"
    assert one["status"]["reason"] == "1 verified breach in the last 7 days"
    assert one["status"]["incident_ids"] == [i["A"]]
    assert one["status"]["flag_ids"] == [scene.flags["A"]]
    assert one["counts"] == {"verified_breaches": 2, "open_flags": 0, "evidence": 0}
    assert parties(one) == {"P1": "breached", "P2": "unknown"}
    p2 = next(s for s in one["parties"] if s["party"] == "P2")
    assert p2["incident_ids"] == [i["B"]] and "unattributed" in p2["reason"]
    assert got["2"]["status"]["status"] == "not_yet_due"
    assert parties(got["2"]) == {"P2": "not_yet_due"}
    assert got["3"]["status"]["status"] == "complied"
    assert got["3"]["status"]["incident_ids"] == [i["C"]] and got["3"]["counts"]["evidence"] == 1
    assert got["4"]["status"]["status"] == "unknown"
    assert got["4"]["status"]["incident_ids"] == [i["D"]], "the refuted incident E does not count"
    assert got["4"]["counts"] == {"verified_breaches": 0, "open_flags": 1, "evidence": 0}
    assert got["5"]["status"]["status"] == "unknown"
    assert "end of force" in got["5"]["status"]["reason"]
    assert got["6"]["status"]["status"] == "partially"
    assert parties(got["6"]) == {"P1": "complied", "P2": "partially"}


def test_breaches_per_week_and_the_deadlines(scene: Scene, users, client) -> None:
    r = get(client, users["head_of_mission"], **{"from": "2020-11-09T00:00:00Z", "to": AS_OF})
    body = r.json()
    assert body["bucket"] == "week" and body["from"].startswith("2020-11-09")
    weeks = [b["count"] for b in by_number(body)["1"]["breaches"]]
    assert weeks == [1, 0, 1], "B on 12 Nov, A on 25 Nov"
    assert sum(b["count"] for b in by_number(body)["4"]["breaches"]) == 0
    days = get(client, users["analyst"], **{"from": "2020-11-20T00:00:00Z", "to": AS_OF}).json()
    assert days["bucket"] == "day" and len(by_number(days)["1"]["breaches"]) == 8
    kinds = [(m["provision_number"], m["kind"], m["passed"]) for m in body["deadlines"]]
    assert kinds == [("2", "rule", True), ("5", "end_of_force", True), ("2", "deadline", False)]


def test_one_party_and_a_longer_window(scene: Scene, users, client) -> None:
    body = get(client, users["analyst"], party="P2", window_days=30).json()
    assert body["parties"] == ["P2"]
    got = by_number(body)
    assert parties(got["1"]) == {"P2": "unknown"} and parties(got["3"]) == {}
    assert got["6"]["status"]["status"] == "breached", "14 Nov is within 30 days"
    assert [b["count"] for b in got["6"]["breaches"]] != [] and sum(
        b["count"] for b in got["1"]["breaches"]
    ) == 0, "the counts of one party are its own breaches"


def test_before_entry_into_force_everything_is_not_yet_due(scene: Scene, users, client) -> None:
    body = get(client, users["analyst"], as_of="2020-11-01T00:00:00+04:00").json()
    assert {p["status"]["status"] for p in body["provisions"]} == {"not_yet_due"}


def test_without_data_the_view_is_empty_but_fine(users, client) -> None:
    r = client.get(API, headers=users["duty_officer"].headers)
    assert r.status_code == 200 and r.json()["provisions"] == []


@pytest.mark.parametrize("role", ["party_liaison", None])
def test_outsiders_do_not_see_compliance(users, client, role: str | None) -> None:
    headers = users[role].headers if role else {}
    r = client.get(API, headers=headers)
    assert_problem(r, 403 if role else 401, "forbidden" if role else "not_authenticated")


@pytest.mark.parametrize(
    ("params", "status", "code", "field"),
    [
        ({"as_of": "yesterday"}, 422, "validation_failed", "as_of"),
        ({"as_of": "2020-11-28T00:00:00"}, 422, "validation_failed", "as_of"),
        ({"window_days": "0"}, 422, "validation_failed", "window_days"),
        ({"window_days": "366"}, 422, "validation_failed", "window_days"),
        ({"window_days": "seven"}, 422, "validation_failed", "window_days"),
        ({"from": "2020-11-28T00:00Z", "to": "2020-11-01T00:00Z"}, 422, "invalid_range", "from"),
        ({"from": "2010-01-01T00:00Z", "to": "2020-11-01T00:00Z"}, 422, "invalid_range", "to"),
        ({"from": "2020-11-01T00:00:00"}, 422, "validation_failed", "from"),
        ({"party": "ZZ"}, 404, "not_found", "party"),
        ({"party": "P" * 40}, 422, "validation_failed", "party"),
    ],
)  # fmt: skip
def test_bad_input_is_a_problem(users, client, params, status, code, field) -> None:
    query = {"as_of": AS_OF, **params}
    r = client.get(API, params=query, headers=users["analyst"].headers)
    assert_problem(r, status, code, field)


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_prints_the_table_and_the_json(scene: Scene, cli) -> None:
    code, out, err = cli("compliance", "--as-of", AS_OF)
    assert code == 0, err
    for text in ("Ceasefire", "breached", "partially", "not_yet_due", "complied", "P1", "P2"):
        assert text in out
    row = next(line for line in out.splitlines() if "Ceasefire" in line)
    assert "breached" in row and "unknown" in row
    code, out, _ = cli("compliance", "--as-of", AS_OF, "--json", "--party", "P1")
    assert code == 0
    body = json.loads(out)
    assert body["parties"] == ["P1"] and by_number(body)["1"]["status"]["status"] == "breached"
    code, out, _ = cli("verify")
    assert code == 0 and "intact" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--as-of", "tomorrow"), "not an ISO 8601"),
        (("--as-of", "2020-11-28T00:00:00"), "needs a UTC offset"),
        (("--window-days", "0"), "window_days"),
        (("--window-days", "x"), "window-days"),
        (("--party", "ZZ"), "no party"),
        (("--from", "2020-11-28T00:00Z", "--to", "2020-11-01T00:00Z"), "from is after to"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_code_2(users, cli, args, says) -> None:
    code, out, err = cli("compliance", *args)
    assert code == 2, out + err
    assert says in err + out


# --- the page ----------------------------------------------------------------------------------


def sign_in(client: Any, who: Account) -> None:
    """A browser session (the login form's CSRF token included)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    form = {"username": who.username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_the_page_shows_statuses_links_and_chart(scene: Scene, users, client) -> None:
    sign_in(client, users["analyst"])
    r = client.get("/compliance", params={"as_of": "2020-11-28T00:00", "window_days": "7"})
    assert r.status_code == 200, r.text
    html = r.text
    assert 'href="/provisions/1"' in html and "Ceasefire" in html
    assert f'href="/incidents/{scene.incidents["A"]}"' in html
    assert f'href="/incidents/{scene.incidents["B"]}"' in html
    assert f'href="/incidents/{scene.incidents["E"]}"' not in html, "a refuted incident"
    for status in ("breached", "partially", "not yet due", "complied", "unknown"):
        assert f">{status}<" in html
    assert "<svg" in html and "breach: weapons_forces.military_movement" in html
    assert "upcoming" in html and "passed" in html


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"as_of": "not a time"}, "as_of"),
        ({"window_days": "0"}, "window"),
        ({"window_days": "many"}, "window"),
        ({"party": "ZZ"}, "no party"),
    ],
)
def test_the_page_answers_bad_input_next_to_the_field(users, client, params, says) -> None:
    sign_in(client, users["analyst"])
    r = client.get("/compliance", params=params)
    assert r.status_code in (404, 422), r.text[:300]
    assert says in r.text and 'role="alert"' in r.text


def test_the_page_is_for_internal_roles(users, client) -> None:
    sign_in(client, users["party_liaison"])
    assert client.get("/compliance").status_code == 403
