"""The agreement's pages with a signed-in browser session (SQLite and PostgreSQL): the
provisions, one provision's rules and flags, the incident page's flags section, and the
forms to add and deactivate rules and to confirm or dismiss flags."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from tests.integration.test_agreement import RULE, agreement, flags_of, sighting, to, written
from tests.integration.test_report_form import sign_in
from tests.integration.test_review_pages import csrf


def rule_form(page: str, **changes) -> dict:
    form = {
        "csrf_token": csrf(page),
        "label": RULE["label"],
        "effect": "breach",
        "categories": ["ceasefire_violation"],
        "zones": ["square"],
        "zone_relation": "inside",
        "after": "in_force",
    }
    form.update(changes)
    return form


def field_error(page: str, name: str) -> str:
    found = re.search(rf'id="{name}-error">([^<]*)<', page)
    assert found, f"no message by {name}"
    return html.unescape(found.group(1))


def test_provision_pages_add_a_rule_and_decide_flags(db, users, client: TestClient) -> None:
    agreement(db)
    sign_in(client, "analyst")
    listing = client.get("/provisions")
    assert listing.status_code == 200 and 'href="/provisions/2"' in listing.text
    assert "2025-11-09" in listing.text, "the term is shown"
    page = client.get("/provisions/1")
    assert page.status_code == 200 and "Add a rule" in page.text
    added = client.post("/provisions/1/rules", data=rule_form(page.text), follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith("/provisions/1?added=")
    shown = client.get(added.headers["location"])
    assert "Rule 1 added." in shown.text and RULE["label"] in shown.text

    inc = sighting(client, users)
    to(client, users, inc, "under_review")
    to(client, users, inc, "verified")
    incident = client.get(f"/incidents/{inc}")
    assert "Provisions it may breach" in incident.text and "inside square" in incident.text
    flag_id = flags_of(client, users, inc)[0]["id"]
    back = f"/incidents/{inc}#flags"
    form = {"csrf_token": csrf(incident.text), "back": back, "status": "dismissed", "reason": ""}
    refused = client.post(f"/flags/{flag_id}/decision", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert field_error(refused.text, "reason") == "say why the flag is dismissed"
    bad = client.post(f"/flags/{flag_id}/decision", data={**form, "status": "maybe"})
    assert bad.status_code == 422 and field_error(bad.text, "status").startswith("one of")
    ok = client.post(f"/flags/{flag_id}/decision", data={**form, "status": "confirmed"},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == back
    assert flags_of(client, users, inc)[0]["status"] == "confirmed"
    away = client.post(f"/flags/{flag_id}/decision",
                       data={**form, "status": "confirmed", "back": "https://evil.example/"},
                       follow_redirects=False)  # fmt: skip
    assert away.headers["location"] == back, "only local paths"
    listing = client.get("/provisions")
    row = re.search(r'<tr data-number="1">.*?</tr>', listing.text, re.S)
    assert row and '<td class="confirmed">1</td>' in row.group(0)
    assert client.get(f"/flags/{flag_id}").status_code == 200

    page = client.get("/provisions/1")
    off = client.post("/provisions/1/rules/1/deactivate",
                      data={"csrf_token": csrf(page.text), "reason": ""})  # fmt: skip
    assert off.status_code == 422 and "say why" in off.text
    off = client.post("/provisions/1/rules/1/deactivate",
                      data={"csrf_token": csrf(page.text), "reason": "obsolete"},
                      follow_redirects=False)  # fmt: skip
    assert off.status_code == 303 and "off=1" in off.headers["location"]


def test_bad_rules_on_the_page_say_why_by_the_field(db, users, client: TestClient) -> None:
    agreement(db)
    sign_in(client, "analyst")
    page = client.get("/provisions/1").text
    before = written(db)
    cases = [
        ({"zones": ["nowhere"]}, "zones", "no such zone: nowhere"),
        ({"zone_relation": "within", "within_km": ""}, "within_km", "'within' needs"),
        ({"zone_relation": "within", "within_km": "-2"}, "within_km", "more than 0"),
        ({"zone_relation": "within", "within_km": "far"}, "within_km", "a number of km"),
        ({"categories": ["nonsense"]}, "categories", "not in the taxonomy"),
        ({"parties": ["XX"]}, "parties", "no such party"),
        ({"after": "deadline"}, "after", "no deadline"),
    ]
    for change, name, text in cases:
        refused = client.post("/provisions/1/rules", data=rule_form(page, **change))
        assert refused.status_code == 422, (change, refused.status_code)
        assert field_error(refused.text, name).startswith(text) or text in field_error(
            refused.text, name
        ), change
        assert "Nothing was added." in refused.text
    assert written(db) == before
    assert client.get("/provisions/99").status_code == 404
    unknown = client.post("/provisions/99/rules", data=rule_form(page))
    assert unknown.status_code == 404
    no_csrf = client.post("/provisions/1/rules", data={**rule_form(page), "csrf_token": "x"})
    assert no_csrf.status_code == 403
    assert client.get("/flags/999999").status_code == 404
    assert written(db) == before


def test_readers_see_no_forms(db, users, client: TestClient) -> None:
    agreement(db)
    sign_in(client, "monitor")
    page = client.get("/provisions/1")
    assert page.status_code == 200 and "Add a rule" not in page.text
