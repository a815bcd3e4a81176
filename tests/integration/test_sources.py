"""Source grading (SQLite and PostgreSQL): source profiles through the API and the CLI, who
may change them, bad input stores nothing, and an incident's confidence with its derivation
on the API and the incident page; `vigil verify` passes after every change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR, Account
from tests.factories import add_post, observation

from vigil.domain.geography import PostDraft
from vigil.domain.sources import default_profiles
from vigil.services import geography
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, SourceProfile

API = "/api/v1/sources"
PROBLEM = "application/problem+json"


def counts(db: Database) -> dict[str, int]:
    """Rows that setting or removing a profile could touch."""
    with db.reading() as session:
        return {
            cls.__tablename__: int(session.scalar(select(func.count()).select_from(cls)) or 0)
            for cls in (SourceProfile, AuditEvent)
        }


def put(client: TestClient, who: Account, **body: Any) -> httpx.Response:
    return client.put(API, json=body, headers=who.headers)


def assert_problem(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == code and r.json()["detail"]
    if field is not None:
        assert field in [e["field"] for e in r.json().get("errors", [])], r.json()


def assert_verified(cli: Any) -> None:
    code, out, err = cli("verify")
    assert code == 0 and "intact" in out, out + err


# --- profiles through the API ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["head_of_mission", "admin"])
def test_graders_set_change_and_remove_profiles(db, users, client, cli, role: str) -> None:
    with db.writing() as session:
        add_post(session, OPERATOR, "OP-1")
    who = users[role]
    made = put(client, who, kind="post", key=" OP-1 ", reliability="c", label="Hill post")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["kind"], body["key"], body["reliability"], body["label"]) == (
        "post",
        "OP-1",
        "C",
        "Hill post",
    )
    changed = put(client, who, kind="post", key="OP-1", reliability="B", notes="steady")
    assert changed.status_code == 200 and changed.json()["id"] == body["id"]
    assert changed.json()["label"] == "Hill post" and changed.json()["notes"] == "steady"
    named = put(client, who, kind="patrol", key="  Patrol  2", reliability="A")
    assert named.status_code == 201 and named.json()["key"] == "patrol 2"
    listed = client.get(API, headers=users["monitor"].headers)
    assert listed.status_code == 200
    assert [(p["kind"], p["key"]) for p in listed.json()] == [
        ("patrol", "patrol 2"),
        ("post", "OP-1"),
    ]
    one = client.get(f"{API}/{body['id']}", headers=users["analyst"].headers)
    assert one.status_code == 200 and one.json()["reliability"] == "B"
    gone = client.delete(f"{API}/{body['id']}", headers=who.headers)
    assert gone.status_code == 204
    assert_problem(client.get(f"{API}/{body['id']}", headers=who.headers), 404, "not_found")
    assert_problem(client.delete(f"{API}/{body['id']}", headers=who.headers), 404, "not_found")
    with db.reading() as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_type == "source_profile")
                .order_by(AuditEvent.seq)
            )
        )
    assert actions == ["source.set", "source.set", "source.set", "source.remove"]
    assert_verified(cli)


def test_setting_the_same_profile_again_writes_nothing(db, users, client) -> None:
    who = users["admin"]
    assert put(client, who, kind="third_party", key="*", reliability="D").status_code == 201
    before = counts(db)
    again = put(client, who, kind="third_party", key="*", reliability="D")
    assert again.status_code == 200 and counts(db) == before


@pytest.mark.parametrize("role", ["monitor", "party_liaison", "analyst", "duty_officer", None])
def test_only_graders_change_profiles(db, users, client, role: str | None) -> None:
    with db.writing() as session:
        session.add(SourceProfile(kind="post", key="*", label="", reliability="B", notes=""))
    with db.reading() as session:
        pid = session.scalar(select(SourceProfile.id))
    before = counts(db)
    headers = users[role].headers if role else {}
    status, code = (403, "forbidden") if role else (401, "not_authenticated")
    body = {"kind": "post", "key": "*", "reliability": "A"}
    assert_problem(client.put(API, json=body, headers=headers), status, code)
    assert_problem(client.delete(f"{API}/{pid}", headers=headers), status, code)
    assert counts(db) == before


def test_party_liaisons_do_not_see_profiles_nor_confidence(db, users, client) -> None:
    liaison = users["party_liaison"].headers
    assert_problem(client.get(API, headers=liaison), 403, "forbidden")
    assert_problem(client.get("/api/v1/incidents/1/confidence", headers=liaison), 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "satellite", "key": "x", "reliability": "A"}, "kind"),
        ({"kind": "post", "key": "*", "reliability": "G"}, "reliability"),
        ({"kind": "patrol", "key": "   ", "reliability": "A"}, "key"),
        ({"kind": "patrol", "key": "", "reliability": "A"}, "key"),
        ({"kind": "patrol", "key": "p", "reliability": "AB"}, "reliability"),
        ({"kind": "patrol", "key": "p", "reliability": "A", "label": "x" * 300}, "label"),
        ({"kind": "post", "key": "NO-SUCH-POST", "reliability": "A"}, "key"),
        ({"kind": "sensor", "key": "OP-1", "reliability": "A"}, "kind"),  # OP-1 is no sensor
        ({"kind": "post", "key": "x" * 500, "reliability": "A"}, "key"),
        ({"key": "x", "reliability": "A"}, "kind"),
        ({"kind": "post", "key": 5, "reliability": "A"}, "key"),
    ],
)
def test_bad_profiles_are_refused_and_store_nothing(
    db, users, client, body: dict[str, Any], field: str
) -> None:
    with db.writing() as session:
        add_post(session, OPERATOR, "OP-1")
    before = counts(db)
    r = client.put(API, json=body, headers=users["admin"].headers)
    assert_problem(r, 422, r.json().get("code", "?"), None)
    assert r.json()["code"] in {"validation_failed", "unknown_reference"}
    assert any(field in e["field"] for e in r.json().get("errors", [])), r.json()
    assert counts(db) == before


def test_broken_bodies_are_refused(db, users, client) -> None:
    headers = {**users["admin"].headers, "content-type": "application/json"}
    before = counts(db)
    r = client.put(API, content=b"{not json", headers=headers)
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith(PROBLEM)
    assert client.delete(f"{API}/abc", headers=users["admin"].headers).status_code == 422
    assert counts(db) == before


# --- confidence ----------------------------------------------------------------------------------


def two_post_incident(db: Database, client: TestClient, users: dict[str, Account]) -> int:
    """An incident of three reports: two from post OP-1 (B3, F2), one from camera CAM-1 (F3)."""
    with db.writing() as session:
        add_post(session, OPERATOR, "OP-1")
        cam = PostDraft(code="CAM-1", name="Camera", kind="camera", lat=39.81, lon=46.76)
        geography.add_posts(session, OPERATOR, [cam])
    grades = [("OP-1", "B", "3"), ("OP-1", "F", "2"), ("CAM-1", "F", "3")]
    ids = []
    for post, reliability, credibility in grades:
        body = observation(
            observer={"kind": "post", "post": post},
            grade={"reliability": reliability, "credibility": credibility},
        )
        made = client.post("/api/v1/observations", json=body, headers=users["monitor"].headers)
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    inc = client.post(
        "/api/v1/incidents", json={"observation_ids": ids}, headers=users["analyst"].headers
    )
    assert inc.status_code == 201, inc.text
    return int(inc.json()["id"])


def test_confidence_of_an_incident_seen_from_two_posts(db, users, client) -> None:
    incident = two_post_incident(db, client, users)
    url = f"/api/v1/incidents/{incident}/confidence"
    plain = client.get(url, headers=users["monitor"].headers)
    assert plain.status_code == 200, plain.text
    c = plain.json()
    assert c["incident_id"] == incident
    assert [s["identity"] for s in c["sources"]] == ["post:OP-1", "sensor:CAM-1"]
    op1, cam = c["sources"]
    # OP-1: B3 (0.93) and F2 (cannot be judged: 0.85); its best report counts, once.
    assert [r["grade_used"] for r in op1["reports"]] == ["B3", "F2"]
    assert [r["counted"] for r in op1["reports"]] == [True, False]
    assert op1["reports"][1]["reliability_from"] == "ungraded"
    assert op1["p"] == pytest.approx(0.595 / 0.64)
    assert cam["p"] == pytest.approx(0.7)
    assert c["p"] == pytest.approx(1 - (1 - 0.595 / 0.64) * 0.3)
    assert c["level"] == "high" and c["strong_sources"] == 1

    for kind, key, grade in [("post", "*", "C"), ("sensor", "CAM-1", "A")]:
        assert put(client, users["admin"], kind=kind, key=key, reliability=grade).status_code == 201
    graded = client.get(url, headers=users["analyst"].headers).json()
    op1, cam = graded["sources"]
    assert op1["reports"][1]["grade_used"] == "C2"
    assert op1["reports"][1]["reliability_from"] == "kind default"
    assert (
        cam["reports"][0]["grade_used"] == "A3"
        and cam["reports"][0]["reliability_from"] == "profile"
    )
    assert graded["strong_sources"] == 2 and graded["level"] == "confirmed"
    assert graded["p"] > c["p"]


def test_confidence_of_an_unknown_incident_is_404(db, users, client) -> None:
    r = client.get("/api/v1/incidents/999999/confidence", headers=users["analyst"].headers)
    assert_problem(r, 404, "not_found")


def test_the_incident_page_shows_the_derivation(db, users, client) -> None:
    incident = two_post_incident(db, client, users)
    page = client.get(f"/incidents/{incident}", headers=users["analyst"].headers)
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert 'id="confidence"' in html and "level-high" in html
    assert "post:OP-1" in html and "sensor:CAM-1" in html
    assert "no (same source)" in html and "ungraded" in html


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_sets_lists_removes_and_loads_defaults(db, users, client, cli) -> None:
    code, out, err = cli("sources", "defaults", "--as", "head-of-mission")
    assert code == 0 and f"{len(default_profiles())} default profiles added" in out, err
    code, out, _ = cli("sources", "defaults", "--as", "admin")
    assert code == 0 and "0 default profiles added" in out
    code, out, err = cli(
        "sources", "set", "third_party", "  Radio  X ", "e", "--label", "Radio", "--as", "admin"
    )
    assert code == 0 and "third_party:radio x E created" in out, err
    code, out, _ = cli("sources", "list")
    assert code == 0 and "radio x" in out and "third_party" in out
    with db.reading() as session:
        radio = session.scalar(select(SourceProfile.id).where(SourceProfile.key == "radio x"))
        actors = set(
            session.scalars(select(AuditEvent.actor).where(AuditEvent.action.like("source.%")))
        )
    assert actors == {"head-of-mission", "admin"}
    code, out, _ = cli("sources", "remove", str(radio), "--as", "admin")
    assert code == 0 and "removed" in out
    incident = two_post_incident(db, client, users)
    code, out, err = cli("sources", "confidence", str(incident))
    assert code == 0 and f"incident {incident}:" in out and "post:OP-1" in out, err
    assert_verified(cli)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "satellite", "x", "A", "--as", "admin"], "kind"),
        (["set", "post", "*", "G", "--as", "admin"], "reliability"),
        (["set", "patrol", " ", "A", "--as", "admin"], "key"),
        (["set", "post", "*", "A", "--as", "monitor"], "may not"),
        (["set", "post", "*", "A", "--as", "party-liaison"], "may not"),
        (["set", "post", "*", "A", "--as", "nobody"], "no user"),
        (["remove", "999", "--as", "admin"], "no source profile 999"),
        (["defaults", "--as", "analyst"], "may not"),
        (["confidence", "999"], "no incident 999"),
    ],
)
def test_cli_bad_input_is_one_line_and_stores_nothing(
    db, users, cli, args: list[str], message: str
) -> None:
    before = counts(db)
    code, _, err = cli("sources", *args)
    assert code == 1 and message in err, err
    assert err.startswith("error:")
    assert counts(db) == before
