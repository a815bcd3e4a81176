"""Attribution through the API, the CLI and the incident page, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.conftest import OPERATOR
from tests.factories import add_post, observation
from tests.integration.test_report_form import sign_in
from typer.testing import CliRunner

from vigil.cli.main import app as cli
from vigil.config import get_settings
from vigil.services import attribution as service
from vigil.services import fusion
from vigil.services.verify import verify
from vigil.store.tables import AttributionEvidence, AttributionPolicy, AuditEvent, Incident

PROBLEM = "application/problem+json"
NEIGHBOUR = {"observed_at": "2020-11-12T18:00:00Z", "bearing": {"deg": 300.0, "error_deg": 5.0}}


def _reports(client, users, *bodies) -> list[int]:
    done = client.post(
        "/api/v1/observations/batch",
        json={"observations": list(bodies)},
        headers=users["monitor"].headers,
    )
    assert done.status_code == 201, done.text
    return [int(i["id"]) for i in done.json()["items"]]


def _scene(db, client, users) -> dict[str, int]:
    """An incident of two posts' reports, and a report of another event (a neighbour)."""
    with db.writing() as session:
        add_post(session, OPERATOR, "OP-T1")
        add_post(session, OPERATOR, "OP-T2")
    a, b = _reports(
        client, users, observation(),
        observation(observed_at="2020-11-12T14:06:00Z", observer={"kind": "post", "post": "OP-T2"},
                    bearing={"deg": 200.0, "error_deg": 5.0}),
    )  # fmt: skip
    (other,) = _reports(client, users, observation(**NEIGHBOUR))
    made = client.post(
        "/api/v1/incidents", json={"observation_ids": [a, b]}, headers=users["analyst"].headers
    )
    assert made.status_code == 201, made.text
    return {"incident": int(made.json()["id"]), "a": a, "b": b, "other": other}


def _etag(client, users, incident_id: int) -> str:
    got = client.get(f"/api/v1/incidents/{incident_id}", headers=users["analyst"].headers)
    assert got.status_code == 200, got.text
    return got.headers["ETag"]


def _body(ids: dict[str, int], **changes) -> dict:
    body = {
        "party": "P2",
        "confidence": "medium",
        "evidence": [
            {"kind": "observation", "observation_id": ids["a"]},
            {"kind": "observation", "observation_id": ids["other"], "note": "a bearing from P2"},
            {"kind": "crater_analysis", "note": "fuze and crater point to the north-east"},
        ],
        "reason": "the crater and two bearings agree",
    }
    body.update(changes)
    return body


def _put(client, who, incident_id: int, body, etag: str | None):
    headers = {**who.headers, **({"If-Match": etag} if etag else {})}
    return client.put(f"/api/v1/incidents/{incident_id}/attribution", json=body, headers=headers)


def _delete(client, who, incident_id: int, reason: str, etag: str | None):
    headers = {**who.headers, **({"If-Match": etag} if etag else {})}
    return client.request(
        "DELETE", f"/api/v1/incidents/{incident_id}/attribution",
        json={"reason": reason}, headers=headers,
    )  # fmt: skip


def _counts(db) -> tuple[int, int, int]:
    with db.reading() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (AttributionEvidence, AuditEvent, AttributionPolicy)
        )


def test_none_by_default_then_attribute_replace_and_withdraw(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc, analyst = ids["incident"], users["analyst"]
    got = client.get(f"/api/v1/incidents/{inc}/attribution", headers=users["monitor"].headers)
    assert got.status_code == 200, got.text
    assert got.json()["party"] is None and got.json()["evidence"] == []
    assert got.json()["history"] == [] and got.json()["published"] is False
    done = _put(client, analyst, inc, _body(ids), _etag(client, users, inc))
    assert done.status_code == 200, done.text
    out = done.json()
    assert (out["party"], out["confidence"], out["published"]) == ("P2", "medium", False)
    assert out["min_published_confidence"] == "high"
    assert [e["own_observation"] for e in out["evidence"]] == [True, False, None]
    assert out["summary"] == f"observations #{ids['a']}, #{ids['other']}; crater analysis"
    assert out["etag"] == done.headers["ETag"].strip('"') == _etag(client, users, inc).strip('"')
    (step,) = out["history"]
    assert step["actor"] == "analyst" and step["action"] == "attribute"
    assert step["details"]["reason"] == "the crater and two bearings agree"
    assert [e["own_observation"] for e in step["details"]["evidence"]] == [True, False, None]
    incident = client.get(f"/api/v1/incidents/{inc}", headers=users["monitor"].headers).json()
    assert incident["attribution"]["party"] == "P2" and incident["pinned"] is True
    # replaced by the head of mission: the first evidence is kept, withdrawn
    again = _put(
        client, users["head_of_mission"], inc,
        _body(ids, confidence="high", evidence=[{"kind": "bearing", "note": "two rays from P2"}]),
        done.headers["ETag"],
    )  # fmt: skip
    assert again.status_code == 200, again.text
    assert again.json()["published"] is True and len(again.json()["evidence"]) == 1
    assert again.json()["history"][-1]["details"]["replaced"] == {
        "party": "P2", "confidence": "medium",
    }  # fmt: skip
    gone = _delete(client, analyst, inc, "the crater was misread", again.headers["ETag"])
    assert gone.status_code == 200, gone.text
    assert gone.json()["party"] is None and gone.json()["evidence"] == []
    assert [h["action"] for h in gone.json()["history"]] == ["attribute", "attribute", "withdraw"]
    assert gone.json()["history"][-1]["details"]["reason"] == "the crater was misread"
    with db.reading() as session:
        rows = session.scalars(select(AttributionEvidence)).all()
        assert len(rows) == 4 and all(r.withdrawn_at is not None for r in rows)
        row = session.get(Incident, inc)
        assert row.attribution_party_id is None and row.attribution_evidence == ""
        actions = session.scalars(select(AuditEvent.action)).all()
        assert actions.count("incident.attribute") == 4  # the row and the note, twice
        assert actions.count("incident.attribution_withdraw") == 2
        verdict = verify(session)
    assert verdict.ok, verdict.problems


def test_policy_decides_what_reports_show(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc = ids["incident"]
    _put(client, users["analyst"], inc, _body(ids), _etag(client, users, inc))
    with db.reading() as session:
        assert service.published_attribution(session, session.get(Incident, inc)) is None
    for role in ("analyst", "admin", "monitor", "party_liaison"):
        denied = client.put(
            "/api/v1/attribution-policy", json={"min_published_confidence": "low"},
            headers=users[role].headers,
        )  # fmt: skip
        assert denied.status_code == 403, role
    bad = client.put(
        "/api/v1/attribution-policy", json={"min_published_confidence": "certain"},
        headers=users["head_of_mission"].headers,
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "min_published_confidence"
    set_ = client.put(
        "/api/v1/attribution-policy", json={"min_published_confidence": "Medium"},
        headers=users["head_of_mission"].headers,
    )  # fmt: skip
    assert set_.status_code == 200 and set_.json() == {
        "min_published_confidence": "medium", "default": False,
    }  # fmt: skip
    got = client.get("/api/v1/attribution-policy", headers=users["monitor"].headers).json()
    assert got == {"min_published_confidence": "medium", "default": False}
    with db.reading() as session:
        shown = service.published_attribution(session, session.get(Incident, inc))
        assert shown == service.Published("P2", "medium")
        assert verify(session).ok
    after = client.get(f"/api/v1/incidents/{inc}/attribution", headers=users["analyst"].headers)
    assert after.json()["published"] is True


def test_fusion_rerun_keeps_the_attribution(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc = ids["incident"]
    assert (
        _put(client, users["analyst"], inc, _body(ids), _etag(client, users, inc)).status_code
        == 200
    )
    # a late report of the same event arrives, and fusion runs the day again
    _reports(client, users, observation(observed_at="2020-11-12T14:05:30Z"))
    start = datetime(2020, 11, 12, tzinfo=UTC)
    with db.writing() as session:
        fusion.fuse_range(session, OPERATOR, start, start + timedelta(days=1), "cli")
    got = client.get(f"/api/v1/incidents/{inc}", headers=users["analyst"].headers).json()
    assert got["superseded_by"] is None
    assert got["attribution"]["party"] == "P2" and got["attribution"]["confidence"] == "medium"
    with db.reading() as session:
        assert verify(session).ok


def test_bad_input_stores_nothing(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc, analyst = ids["incident"], users["analyst"]
    etag = _etag(client, users, inc)
    before = _counts(db)
    cases = [
        (_body(ids, evidence=[]), 422, "evidence"),
        (_body(ids, confidence=None), 422, "confidence"),
        (_body(ids, confidence="certain"), 422, "confidence"),
        (_body(ids, party=None), 422, "party"),
        (_body(ids, party="ZZ"), 422, "party"),
        (_body(ids, evidence=[{"kind": "observation", "observation_id": 999_999}]), 422,
         "evidence[0].observation_id"),
        (_body(ids, evidence=[{"kind": "crater_analysis", "note": "x" * 2001}]), 422,
         "evidence[0].note"),
        (_body(ids, evidence=[{"kind": "crater_analysis"}]), 422, "evidence[0].note"),
        (_body(ids, evidence=[{"kind": "rumour", "note": "x"}]), 422, "evidence[0].kind"),
        (_body(ids, evidence=[{"kind": "observation"}]), 422, "evidence[0].observation_id"),
        (_body(ids, evidence=[{"kind": "bearing", "note": "n"}] * 51), 422, "evidence"),
        (_body(ids, evidence=[{"kind": "observation", "observation_id": 10**20}]), 422,
         "evidence[0].observation_id"),
    ]  # fmt: skip
    for body, status, field in cases:
        r = _put(client, analyst, inc, body, etag)
        assert r.status_code == status, (field, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert field in [e["field"] for e in r.json()["errors"]], (field, r.json())
    assert _put(client, analyst, inc, "not json", etag).status_code == 422
    missing = _put(client, analyst, inc, _body(ids), None)
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    unknown = _put(client, analyst, 999_999, _body(ids), etag)
    assert unknown.status_code == 404
    huge = _put(client, analyst, 10**20, _body(ids), etag)
    assert 400 <= huge.status_code < 500, huge.text
    for role in ("monitor", "duty_officer", "admin", "party_liaison"):
        assert _put(client, users[role], inc, _body(ids), etag).status_code == 403, role
    not_yet = _delete(client, analyst, inc, "no reason to keep it", etag)
    assert not_yet.status_code == 409 and "not attributed" in not_yet.json()["detail"]
    no_reason = _delete(client, analyst, inc, "  ", etag)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    assert _delete(client, analyst, inc, "why", None).status_code == 428
    assert (
        client.get(
            "/api/v1/incidents/1/attribution", headers=users["party_liaison"].headers
        ).status_code
        == 403
    )
    assert _counts(db) == before


def test_two_analysts_with_one_etag_the_second_gets_a_conflict(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc = ids["incident"]
    loaded = _etag(client, users, inc)
    first = _put(client, users["analyst"], inc, _body(ids), loaded)
    assert first.status_code == 200, first.text
    before = _counts(db)
    second = _put(client, users["head_of_mission"], inc, _body(ids, party="P1"), loaded)
    assert second.status_code == 409, second.text
    assert second.json()["code"] == "state_conflict" and second.json()["changed_by"] == "analyst"
    stale_withdraw = _delete(client, users["head_of_mission"], inc, "wrong", loaded)
    assert stale_withdraw.status_code == 409
    assert _counts(db) == before
    got = client.get(f"/api/v1/incidents/{inc}/attribution", headers=users["analyst"].headers)
    assert got.json()["party"] == "P2"


def test_a_superseded_incident_is_not_attributed(db, users, client) -> None:
    ids = _scene(db, client, users)
    analyst = users["analyst"]
    lone = client.post(
        "/api/v1/incidents", json={"observation_ids": [ids["other"]]}, headers=analyst.headers
    )
    assert lone.status_code == 201, lone.text
    merged = client.post(
        f"/api/v1/incidents/{ids['incident']}/merge",
        json={"incident_ids": [lone.json()["id"]], "reason": "one event"}, headers=analyst.headers,
    )  # fmt: skip
    assert merged.status_code == 200, merged.text
    gone = {ids["incident"], lone.json()["id"]} - {merged.json()["id"]}
    (old_id,) = gone
    old = client.get(f"/api/v1/incidents/{old_id}", headers=analyst.headers)
    assert old.json()["superseded_by"] == merged.json()["id"], old.text
    before = _counts(db)
    r = _put(client, analyst, old_id, _body(ids), old.headers["ETag"])
    assert r.status_code == 409 and "superseded" in r.json()["detail"]
    assert _counts(db) == before


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads settings once per process: make it read this test's database."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_attribution(db, users, client, fresh_settings) -> None:
    ids = _scene(db, client, users)
    inc = str(ids["incident"])
    env = {"VIGIL_DATABASE_URL": db.url, "COLUMNS": "200"}
    run = CliRunner().invoke
    shown = run(cli, ["attribution", "show", inc], env=env)
    assert shown.exit_code == 0 and "not attributed" in shown.output, shown.output
    done = run(
        cli,
        ["attribution", "set", inc, "--party", "P2", "--confidence", "medium",
         "--evidence", f"observation:{ids['a']}", "--evidence", f"observation:{ids['other']}",
         "--evidence", "crater_analysis:fuze and crater point to the north-east",
         "--reason", "crater and bearings agree", "--as", "analyst"],
        env=env,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "P2, medium confidence, not shown in reports (below high)" in done.output
    shown = run(cli, ["attribution", "show", inc], env=env)
    assert shown.exit_code == 0 and "Crater analysis" in shown.output, shown.output
    assert "no (another report)" in shown.output and "crater and bearings agree" in shown.output
    policy = run(cli, ["attribution", "policy"], env=env)
    assert policy.exit_code == 0 and "high confidence or higher (the default)" in policy.output
    before = _counts(db)
    for args in (
        ["attribution", "set", inc, "--party", "P2", "--confidence", "medium",
         "--evidence", "rumour:heard it", "--as", "analyst"],
        ["attribution", "set", inc, "--party", "P2", "--confidence", "medium",
         "--evidence", "observation:abc", "--as", "analyst"],
        ["attribution", "set", inc, "--party", "P2", "--confidence", "medium",
         "--evidence", "observation:999999", "--as", "analyst"],
        ["attribution", "set", inc, "--party", "ZZ", "--confidence", "medium",
         "--evidence", "bearing:two rays", "--as", "analyst"],
        ["attribution", "set", inc, "--party", "P2", "--confidence", "sure",
         "--evidence", "bearing:two rays", "--as", "analyst"],
        ["attribution", "set", inc, "--party", "P2", "--confidence", "low",
         "--evidence", "bearing:two rays", "--as", "monitor"],
        ["attribution", "set", "999999", "--party", "P2", "--confidence", "low",
         "--evidence", "bearing:two rays", "--as", "analyst"],
        ["attribution", "withdraw", inc, "--reason", " ", "--as", "analyst"],
        ["attribution", "policy", "--set", "low", "--as", "analyst"],
        ["attribution", "policy", "--set", "certain", "--as", "head-of-mission"],
        ["attribution", "policy", "--set", "low"],
    ):  # fmt: skip
        refused = run(cli, args, env=env)
        assert refused.exit_code == 1, (args, refused.output)
        assert refused.output.startswith("error:") and "Traceback" not in refused.output, args
    assert _counts(db) == before
    set_ = run(cli, ["attribution", "policy", "--set", "medium", "--as", "head-of-mission"],
               env=env)  # fmt: skip
    assert set_.exit_code == 0 and "medium confidence or higher" in set_.output, set_.output
    shown = run(cli, ["attribution", "show", inc], env=env)
    assert "shown in reports;" in shown.output, shown.output
    gone = run(cli, ["attribution", "withdraw", inc, "--reason", "misread", "--as", "analyst"],
               env=env)  # fmt: skip
    assert gone.exit_code == 0 and "withdrawn" in gone.output, gone.output
    verified = run(cli, ["verify"], env=env)
    assert verified.exit_code == 0, verified.output


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return html.unescape(found.group(1))


def _section(page: str) -> str:
    start = page.index('<section class="attribution"')
    return page[start : page.index("</section>", start)]


def test_the_page_attributes_and_withdraws(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc = ids["incident"]
    sign_in(client, "analyst")
    page = client.get(f"/incidents/{inc}")
    assert page.status_code == 200, page.text
    section = _section(page.text)
    assert "not attributed" in section
    assert '<option value="" selected>— choose the party —</option>' in section
    assert '<option value="" selected>— choose how sure —</option>' in section
    assert 'value="P2" selected' not in section and 'value="low" selected' not in section
    etag = re.search(r'name="etag" value="([0-9a-f]+)"', section).group(1)  # type: ignore[union-attr]
    form = {
        "csrf_token": _csrf(page.text), "etag": etag, "party": "P2", "confidence": "",
        "observation": [str(ids["a"])], "other_observations": str(ids["other"]),
        "kind": ["crater_analysis", "", ""], "note": ["", "", ""], "reason": "a crater",
    }  # fmt: skip
    before = _counts(db)
    refused = client.post(f"/incidents/{inc}/attribution", data=form, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    section = _section(refused.text)
    assert 'id="attr-e-confidence"' in section and 'id="attr-e-row-0"' in section
    assert 'value="P2" selected' in section and "a crater" in section
    assert f'value="{ids["a"]}" checked' in section and f'value="{ids["other"]}"' in section
    hostile = client.post(
        f"/incidents/{inc}/attribution",
        data={**form, "confidence": "high", "observation": ["²", "9" * 30],
              "other_observations": "1, x"},
        follow_redirects=False,
    )  # fmt: skip
    assert hostile.status_code == 422 and 'id="attr-e-observations"' in hostile.text
    huge = client.post(
        f"/incidents/{inc}/attribution",
        data={**form, "confidence": "high", "other_observations": "9" * 30},
        follow_redirects=False,
    )
    assert huge.status_code == 422 and 'id="attr-e-other_observations"' in huge.text
    assert _counts(db) == before
    form.update(confidence="high", note=["fuze and crater point to the north-east", "", ""])
    done = client.post(f"/incidents/{inc}/attribution", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    section = _section(client.get(f"/incidents/{inc}").text)
    assert "P2 (Party Two)</span>, high confidence" in section and "Shown in reports" in section
    assert f'href="#obs-{ids["a"]}"' in section and "(another report)" in section
    # a second analyst working from the old page gets a clear conflict, their input kept
    stale = client.post(
        f"/incidents/{inc}/attribution", data={**form, "party": "P1"}, follow_redirects=False
    )
    assert stale.status_code == 409, stale.text
    section = _section(stale.text)
    assert "was changed by analyst" in section and 'value="P1" selected' in section
    new_etag = re.search(r'name="etag" value="([0-9a-f]+)"', section).group(1)  # type: ignore[union-attr]
    no_reason = client.post(
        f"/incidents/{inc}/attribution/withdraw",
        data={"csrf_token": form["csrf_token"], "etag": new_etag, "withdraw_reason": ""},
        follow_redirects=False,
    )
    assert no_reason.status_code == 422 and 'id="attr-e-withdraw_reason"' in no_reason.text
    forged = client.post(
        f"/incidents/{inc}/attribution/withdraw",
        data={"csrf_token": "x", "etag": new_etag, "withdraw_reason": "misread"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    gone = client.post(
        f"/incidents/{inc}/attribution/withdraw",
        data={"csrf_token": form["csrf_token"], "etag": new_etag, "withdraw_reason": "misread"},
        follow_redirects=False,
    )
    assert gone.status_code == 303, gone.text
    section = _section(client.get(f"/incidents/{inc}").text)
    assert "not attributed" in section and "withdrew P2 (high)" in section
    with db.reading() as session:
        assert verify(session).ok


def test_the_page_is_read_only_for_others(db, users, client) -> None:
    ids = _scene(db, client, users)
    inc = ids["incident"]
    _put(client, users["analyst"], inc, _body(ids), _etag(client, users, inc))
    sign_in(client, "monitor")
    page = client.get(f"/incidents/{inc}")
    section = _section(page.text)
    assert "P2 (Party Two)</span>, medium confidence" in section
    assert "Not shown in reports" in section and "<form" not in section
    refused = client.post(
        f"/incidents/{inc}/attribution/withdraw",
        data={"csrf_token": _csrf(page.text), "etag": "x", "withdraw_reason": "no"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
