"""The agreement's rules and flags through the API and the CLI (SQLite and PostgreSQL): rules
are checked, verified incidents are flagged, analysts decide, flags follow the review."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.conftest import OPERATOR
from tests.factories import add_zone, observation
from tests.integration.test_reviews import (
    MONITOR_AT,
    _etag,
    _incident,
    _review,
    fresh_settings,  # noqa: F401  (a fixture)
)
from typer.testing import CliRunner

from vigil.cli.main import app as cli
from vigil.domain.geography import ZoneDraft
from vigil.services import geography, mission
from vigil.services.verify import verify
from vigil.store.tables import AuditEvent, ProvisionFlag, ProvisionRule, ProvisionTerm

LINE = {"type": "LineString", "coordinates": [[46.0, 39.0], [46.0, 40.0]]}
PROVISIONS = [
    {"number": "1", "title": "Ceasefire", "text": "Stop firing.", "binding": ["P1", "P2"],
     "in_force_from": "2020-11-09T21:00:00Z", "zones": ["square"]},
    {"number": "2", "title": "Withdrawal", "text": "Leave the square.", "binding": ["P2"],
     "in_force_from": "2020-11-09T21:00:00Z", "deadline": "2020-11-20T20:00:00Z",
     "in_force_until": "2025-11-09T21:00:00Z", "zones": ["square"]},
]  # fmt: skip
RULE = {
    "label": "Ceasefire violation in the square",
    "effect": "breach",
    "categories": ["ceasefire_violation"],
    "zones": ["square"],
    "parties": ["P1", "P2"],
}


def agreement(db) -> None:
    """Two zones (a square and a line) and two provisions, one with a deadline."""
    with db.writing() as session:
        add_zone(session, OPERATOR)
        line = ZoneDraft(code="line", kind="line_of_contact", names={"en": "L"}, geometry=LINE)
        geography.add_zones(session, OPERATOR, [line])
        mission.add_provisions(session, OPERATOR, PROVISIONS)


def sighting(client, users, at: str = "2020-11-13T10:00:00Z", **changes) -> int:
    """An incident a monitor saw at a located point in the square (verifiable alone)."""
    body = observation(
        observed_at=at, observer=MONITOR_AT, bearing=None, distance=None,
        location={"lat": 39.76, "lon": 46.71, "error_m": 100}, **changes,
    )  # fmt: skip
    return _incident(client, users, [body])


def to(client, users, incident_id: int, status: str, reason: str = ""):
    done = _review(
        client, users["analyst"], incident_id, _etag(client, users, incident_id), status, reason
    )
    assert done.status_code == 200, done.text
    return done


def flags_of(client, users, incident_id: int) -> list[dict]:
    got = client.get(f"/api/v1/incidents/{incident_id}/flags", headers=users["monitor"].headers)
    assert got.status_code == 200, got.text
    return got.json()


def written(db) -> tuple[int, ...]:
    with db.reading() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (ProvisionRule, ProvisionFlag, AuditEvent)
        )


def test_terms_are_written_with_the_provisions(db, users) -> None:
    agreement(db)
    with db.reading() as session:
        terms = {t.provision_id: t.in_force_until for t in session.scalars(select(ProvisionTerm))}
        assert sorted(str(v)[:10] for v in terms.values()) == ["2025-11-09", "None"]
        assert verify(session).ok


def test_rules_flag_verified_incidents_and_analysts_decide(db, users, client) -> None:
    agreement(db)
    analyst = users["analyst"].headers
    added = client.post("/api/v1/provisions/1/rules", json=RULE, headers=analyst)
    assert added.status_code == 201, added.text
    rule_id = added.json()["rule"]["id"]
    near = {**RULE, "label": "Near the line", "effect": "compliance", "zones": ["line"],
            "zone_relation": "within", "within_km": 80, "parties": ["P2"]}  # fmt: skip
    assert client.post("/api/v1/provisions/1/rules", json=near, headers=analyst).status_code == 201
    late = {**RULE, "label": "After the deadline", "after": "deadline", "parties": []}
    assert client.post("/api/v1/provisions/2/rules", json=late, headers=analyst).status_code == 201
    shown = client.get("/api/v1/provisions/1", headers=users["monitor"].headers).json()
    assert [r["label"] for r in shown["rules"]] == [RULE["label"], "Near the line"]
    assert shown["in_force_until"] is None
    assert client.get("/api/v1/provisions/2", headers=analyst).json()["in_force_until"]

    inc = sighting(client, users)
    to(client, users, inc, "under_review")
    assert flags_of(client, users, inc) == [], "only verified incidents are flagged"
    to(client, users, inc, "verified")
    flags = flags_of(client, users, inc)
    assert [(f["rule_label"], f["status"], f["party"]) for f in flags] == [
        (RULE["label"], "open", None),
        ("Near the line", "open", "P2"),  # one party named: the flag counts for it
    ], "the deadline rule does not match an incident before the deadline"
    breach, near_flag = flags
    assert breach["match"]["zone"] == "square" and breach["match"]["time_basis"] == "in_force"
    assert 55 < near_flag["match"]["distance_km"] < 65
    assert "inside square" in breach["why"]

    decide = f"/api/v1/flags/{breach['id']}/decision"
    assert client.post(decide, json={"status": "dismissed"}, headers=analyst).status_code == 422
    bad = client.post(decide, json={"status": "maybe"}, headers=analyst)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    missing = client.post("/api/v1/flags/999999/decision", json={"status": "confirmed"},
                          headers=analyst)  # fmt: skip
    assert missing.status_code == 404
    ruled = client.post(decide, json={"status": "confirmed"}, headers=analyst)
    assert ruled.status_code == 200 and ruled.json()["decided_by"] == "analyst"
    monitor = client.post(decide, json={"status": "confirmed"}, headers=users["monitor"].headers)
    assert monitor.status_code == 403

    listed = client.get("/api/v1/flags", params={"status": "confirmed"}, headers=analyst).json()
    assert [f["id"] for f in listed["items"]] == [breach["id"]]
    page = client.get("/api/v1/flags", params={"limit": 1}, headers=analyst).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get("/api/v1/flags", params={"cursor": page["next_cursor"]}, headers=analyst)
    assert [f["id"] for f in rest.json()["items"]] == [near_flag["id"]]
    assert client.get("/api/v1/flags", params={"status": "x"}, headers=analyst).status_code == 422
    assert (
        client.get("/api/v1/flags", params={"provision": "99"}, headers=analyst).status_code == 404
    )

    # leaving verified: the open flag is dismissed with the reason, the confirmed one stays
    to(client, users, inc, "under_review", "a second look")
    after = {f["id"]: f for f in flags_of(client, users, inc)}
    assert after[breach["id"]]["status"] == "confirmed"
    assert after[near_flag["id"]]["status"] == "dismissed"
    assert "under review: a second look" in after[near_flag["id"]]["reason"]
    stale = client.post(decide, json={"status": "dismissed", "reason": "x"}, headers=analyst)
    assert stale.status_code == 409
    # verified again: the automatically dismissed flag is reopened, nothing is doubled
    to(client, users, inc, "verified")
    again = flags_of(client, users, inc)
    assert [(f["id"], f["status"]) for f in again] == [
        (breach["id"], "confirmed"), (near_flag["id"], "open"),
    ]  # fmt: skip
    scanned = client.post("/api/v1/flags/scan", json={}, headers=analyst)
    assert scanned.status_code == 200 and scanned.json()["raised"] == 0
    assert scanned.json()["incidents"] == 1

    # revising a decision, then deactivating a rule
    revised = client.post(decide, json={"status": "dismissed", "reason": "a training exercise"},
                          headers=analyst)  # fmt: skip
    assert revised.status_code == 200 and revised.json()["status"] == "dismissed"
    off = client.request("DELETE", f"/api/v1/provisions/1/rules/{near_flag['rule_id']}",
                         json={"reason": "drawn too wide"}, headers=analyst)  # fmt: skip
    assert off.status_code == 200, off.text
    assert off.json()["rule"]["active"] is False and off.json()["flags"]["dismissed"] == 1
    again = client.request("DELETE", f"/api/v1/provisions/1/rules/{near_flag['rule_id']}",
                           json={"reason": "twice"}, headers=analyst)  # fmt: skip
    assert again.status_code == 409
    no_reason = client.request("DELETE", f"/api/v1/provisions/1/rules/{rule_id}",
                               json={"reason": " "}, headers=analyst)  # fmt: skip
    assert no_reason.status_code == 422
    with db.reading() as session:
        verdict = verify(session)
        actions = set(session.scalars(select(AuditEvent.action)))
    assert verdict.ok, verdict.problems
    assert {"provision_rule.add", "provision_flag.raise", "provision_flag.decide",
            "provision_flag.dismiss", "provision_flag.reopen",
            "provision_rule.deactivate"} <= actions  # fmt: skip


def test_attribution_changes_follow_the_flags(db, users, client) -> None:
    """A party rule: attributing the incident to another party dismisses its open flag, and
    attributing it to the rule's party raises it again, through the attribution API."""
    agreement(db)
    rule = {**RULE, "parties": ["P2"]}
    client.post("/api/v1/provisions/1/rules", json=rule, headers=users["analyst"].headers)
    inc = sighting(client, users)
    to(client, users, inc, "under_review")
    to(client, users, inc, "verified")
    assert [f["party"] for f in flags_of(client, users, inc)] == ["P2"]

    def attribute(party: str):
        headers = {**users["analyst"].headers, "If-Match": _etag(client, users, inc)}
        body = {
            "party": party, "confidence": "medium", "reason": "crater analysis",
            "evidence": [{"kind": "crater_analysis", "note": "fuze furrow points to them"}],
        }  # fmt: skip
        done = client.put(f"/api/v1/incidents/{inc}/attribution", json=body, headers=headers)
        assert done.status_code == 200, done.text

    attribute("P1")
    flag = flags_of(client, users, inc)[0]
    assert flag["status"] == "dismissed" and flag["reason"].startswith("no longer matches")
    attribute("P2")
    flag = flags_of(client, users, inc)[0]
    assert (flag["status"], flag["party"], flag["match"]["party_basis"]) == (
        "open", "P2", "attributed",
    )  # fmt: skip
    with db.reading() as session:
        assert verify(session).ok


def test_bad_rules_and_decisions_write_nothing(db, users, client) -> None:
    agreement(db)
    analyst = users["analyst"].headers
    before = written(db)
    cases = [
        ({"zones": ["nowhere"]}, "zones", "unknown_reference"),
        ({"zone_relation": "within"}, "within_km", "validation_failed"),
        ({"zone_relation": "within", "within_km": -3}, "within_km", "validation_failed"),
        ({"categories": ["nonsense"]}, "categories", "unknown_category"),
        ({"parties": ["XX"]}, "parties", "unknown_reference"),
        ({"after": "deadline"}, "after", "validation_failed"),
        ({"effect": "maybe"}, "effect", "validation_failed"),
        ({"zones": ["line"]}, "zones", "validation_failed"),
    ]
    for change, field, code in cases:
        refused = client.post("/api/v1/provisions/1/rules", json={**RULE, **change},
                              headers=analyst)  # fmt: skip
        assert refused.status_code == 422, (change, refused.text)
        problem = refused.json()
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == code, (change, problem)
        assert [e["field"] for e in problem["errors"]] == [field], (change, problem)
    unknown = client.post("/api/v1/provisions/99/rules", json=RULE, headers=analyst)
    assert unknown.status_code == 404
    assert client.get("/api/v1/provisions/99", headers=analyst).status_code == 404
    assert client.get("/api/v1/provisions/99/rules", headers=analyst).status_code == 404
    extra = client.post("/api/v1/provisions/1/rules", json={**RULE, "x": 1}, headers=analyst)
    assert extra.status_code == 422
    naive = {**RULE, "after": "instant", "after_instant": "2020-11-25T20:00:00"}
    assert client.post("/api/v1/provisions/1/rules", json=naive, headers=analyst).status_code == 422
    missing = client.get("/api/v1/incidents/999999/flags", headers=analyst)
    assert missing.status_code == 404
    assert client.post("/api/v1/flags/scan", json={"provision": "99"},
                       headers=analyst).status_code == 404  # fmt: skip
    assert written(db) == before


@pytest.mark.usefixtures("fresh_settings")
def test_cli_provisions(db, users, client) -> None:
    agreement(db)
    env = {"VIGIL_DATABASE_URL": db.url}
    run = CliRunner().invoke
    refused = run(cli, ["provisions", "rule-add", "1", "--label", "x", "--effect", "breach",
                        "--zone", "nowhere", "--as", "analyst"], env=env)  # fmt: skip
    assert refused.exit_code == 1 and "no such zone: nowhere" in refused.output, refused.output
    for args in (
        ["--zone", "square", "--zone-relation", "within"],
        ["--zone", "square", "--zone-relation", "within", "--within-km", "-1"],
        ["--category", "nonsense"],
        ["--party", "XX"],
        ["--after", "deadline"],
        ["--after", "instant", "--after-instant", "tomorrow"],
    ):
        bad = run(cli, ["provisions", "rule-add", "1", "--label", "x", "--effect", "breach",
                        *args, "--as", "analyst"], env=env)  # fmt: skip
        assert bad.exit_code == 1 and bad.output.startswith("error:"), (args, bad.output)
    assert run(cli, ["provisions", "show", "99"], env=env).exit_code == 1
    done = run(cli, ["provisions", "rule-add", "1", "--label", "Fire in the square",
                     "--effect", "breach", "--category", "ceasefire_violation", "--zone",
                     "square", "--as", "analyst"], env=env)  # fmt: skip
    assert done.exit_code == 0 and "0 flag(s) raised" in done.output, done.output
    inc = sighting(client, users)
    to(client, users, inc, "under_review")
    to(client, users, inc, "verified")
    listed = run(cli, ["provisions", "flags", "--status", "open"], env=env)
    assert listed.exit_code == 0 and "1 flag(s)" in listed.output, listed.output
    flag_id = flags_of(client, users, inc)[0]["id"]
    assert run(cli, ["provisions", "flag-dismiss", str(flag_id), "--reason", " ", "--as",
                     "analyst"], env=env).exit_code == 1  # fmt: skip
    assert run(cli, ["provisions", "flag-confirm", "999999", "--as", "analyst"],
               env=env).exit_code == 1  # fmt: skip
    ok = run(cli, ["provisions", "flag-confirm", str(flag_id), "--as", "analyst"], env=env)
    assert ok.exit_code == 0 and "confirmed" in ok.output, ok.output
    ok = run(cli, ["provisions", "flag-dismiss", str(flag_id), "--reason", "a drill", "--as",
                   "analyst"], env=env)  # fmt: skip
    assert ok.exit_code == 0 and "dismissed" in ok.output, ok.output
    scanned = run(cli, ["provisions", "scan", "--as", "analyst"], env=env)
    assert scanned.exit_code == 0 and "1 verified incident(s): 0 raised" in scanned.output
    shown = run(cli, ["provisions", "show", "1"], env=env)
    assert shown.exit_code == 0 and "1 dismissed" in shown.output, shown.output
    assert run(cli, ["provisions", "list"], env=env).exit_code == 0
    removed = run(cli, ["provisions", "rule-remove", "1", "1", "--reason", "obsolete", "--as",
                        "analyst"], env=env)  # fmt: skip
    assert removed.exit_code == 0 and "deactivated" in removed.output, removed.output
    monitor = run(cli, ["provisions", "scan", "--as", "monitor"], env=env)
    assert monitor.exit_code == 1
    with db.reading() as session:
        assert verify(session).ok


def test_a_bulk_verification_flags_each_incident_once(db, users, client) -> None:
    agreement(db)
    analyst = users["analyst"].headers
    client.post("/api/v1/provisions/1/rules", json=RULE, headers=analyst)
    ids = [sighting(client, users, at=f"2020-11-1{d}T10:00:00Z") for d in (3, 4)]
    for status in ("under_review", "verified"):
        items = [{"incident_id": i, "etag": _etag(client, users, i).strip('"')} for i in ids]
        moved = client.post("/api/v1/reviews/bulk", json={"items": items, "status": status},
                            headers=analyst)  # fmt: skip
        assert moved.status_code == 200, moved.text
    assert [len(flags_of(client, users, i)) for i in ids] == [1, 1]
    later = {**RULE, "label": "Second rule", "effect": "compliance"}
    added = client.post("/api/v1/provisions/1/rules", json=later, headers=analyst)
    assert added.json()["flags"] == {
        "incidents": 2, "raised": 2, "reopened": 0, "dismissed": 0, "updated": 0,
    }  # fmt: skip
    again = client.post("/api/v1/flags/scan", json={"provision": "1"}, headers=analyst)
    assert again.json()["raised"] == 0 and again.json()["incidents"] == 2
    assert [len(flags_of(client, users, i)) for i in ids] == [2, 2]
    with db.reading() as session:
        assert verify(session).ok
