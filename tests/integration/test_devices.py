"""Phones (SQLite and PostgreSQL): an admin issues a phone its app-user token with an ODK
Collect QR code, lists and revokes it through the API, the page and the CLI; only admins may;
bad input stores nothing. (Digest credentials: test_digest_credentials.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import OPERATOR, PASSWORD, Account

from vigil.config import Settings
from vigil.formats import collect_qr
from vigil.services import accounts, devices
from vigil.services.access import sha256_hex
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, DeviceToken, DigestCredential

API = "/api/v1/devices"
PROBLEM = "application/problem+json"


def counts(db: Database) -> dict[str, int]:
    """Rows that issuing, revoking or setting a password could touch."""
    with db.reading() as session:
        return {
            cls.__tablename__: int(session.scalar(select(func.count()).select_from(cls)) or 0)
            for cls in (DeviceToken, DigestCredential, AuditEvent)
        }


def issue(client: TestClient, users: dict[str, Account], **body: Any) -> httpx.Response:
    payload = {"username": "monitor", "label": "patrol 2 tablet", **body}
    return client.post(API, json=payload, headers=users["admin"].headers)


def assert_problem(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == code and r.json()["detail"]
    if field is not None:
        assert field in [e["field"] for e in r.json().get("errors", [])], r.json()


# --- the API ---------------------------------------------------------------------------------


def test_admin_issues_a_phone_and_the_qr_holds_its_server_url(db, users, client) -> None:
    r = issue(client, users)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    token = body["token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # token_urlsafe(32): safe in a URL path
    assert body["server_url"] == f"http://testserver/key/{token}"
    settings = collect_qr.read_payload(body["settings_payload"])
    assert settings["general"]["server_url"].endswith(f"/key/{token}")
    assert settings["general"]["form_update_mode"] == "match_exactly"
    assert settings["project"]["name"] == "Vigil"  # no mission configured
    assert body["qr_svg"].startswith("<svg") and body["qr_png"].startswith("data:image/png;")
    assert (body["username"], body["label"], body["revoked_at"]) == (
        "monitor",
        "patrol 2 tablet",
        None,
    )
    with db.reading() as session:
        row = session.get(DeviceToken, body["id"])
        assert row is not None and row.token_hash == sha256_hex(token)
        admin = accounts.find_user(session, "admin")
        assert admin is not None and row.created_by == admin.id
        who, device_id = devices.device_principal(session, token) or (None, None)
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "device.issue"))
        logged = [e.after or "" for e in events]
    assert who is not None and device_id == body["id"]
    assert (who.username, who.role.value, who.via) == ("monitor", "monitor", "device")
    assert len(logged) == 1 and token not in logged[0] and sha256_hex(token) not in logged[0]


def test_list_never_shows_tokens_and_revoke_stops_the_token(db, users, client) -> None:
    first, second = issue(client, users).json(), issue(client, users, label="spare").json()
    listed = client.get(API, headers=users["admin"].headers)
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()] == [second["id"], first["id"]]  # newest first
    assert first["token"] not in listed.text and "token" not in listed.json()[0]
    done = client.post(f"{API}/{first['id']}/revoke", headers=users["admin"].headers)
    assert done.status_code == 200, done.text
    assert done.json()["revoked_at"] is not None and done.json()["id"] == first["id"]
    with db.reading() as session:
        assert devices.device_principal(session, first["token"]) is None
        assert devices.device_principal(session, second["token"]) is not None
    before = counts(db)
    again = client.post(f"{API}/{first['id']}/revoke", headers=users["admin"].headers)
    assert_problem(again, 409, "state_conflict")
    assert "revoked already" in again.json()["detail"]
    assert_problem(
        client.post(f"{API}/999/revoke", headers=users["admin"].headers), 404, "not_found"
    )
    assert counts(db) == before
    states = {
        d["id"]: d["revoked_at"] for d in client.get(API, headers=users["admin"].headers).json()
    }
    assert states[second["id"]] is None and states[first["id"]] is not None


def test_public_url_setting_names_the_server(db, users, tmp_path: Path) -> None:
    from vigil.web.app import create_app

    cfg = Settings(
        data_dir=tmp_path,
        database_url=db.url,
        fusion_auto=False,
        public_url="https://v.example.org/",
    )
    with TestClient(create_app(cfg, db)) as client:
        body = issue(client, users).json()
    assert body["server_url"] == f"https://v.example.org/key/{body['token']}"


def test_the_mission_names_the_project(db, users, client) -> None:
    from vigil.services.mission import set_mission

    with db.writing() as session:
        set_mission(
            session, OPERATOR, {"name": "Karabakh Monitoring", "mandate_start": "2025-11-10"}
        )
    settings = collect_qr.read_payload(issue(client, users).json()["settings_payload"])
    assert settings["project"]["name"] == "Karabakh Monitoring"


@pytest.mark.parametrize("role", ["monitor", "analyst", "head_of_mission", "party_liaison", None])
def test_only_admins_manage_phones(db, users, client, role: str | None) -> None:
    made = issue(client, users).json()
    headers = users[role].headers if role else {}
    status, code = (403, "forbidden") if role else (401, "not_authenticated")
    before = counts(db)
    assert_problem(client.get(API, headers=headers), status, code)
    body = {"username": "monitor", "label": "mine"}
    assert_problem(client.post(API, json=body, headers=headers), status, code)
    assert_problem(client.post(f"{API}/{made['id']}/revoke", headers=headers), status, code)
    page = client.get("/devices", headers=headers, follow_redirects=False)
    assert page.status_code == (403 if role else 303)
    assert counts(db) == before


def _disable(db: Database, username: str) -> None:
    with db.writing() as session:
        accounts.disable_user(session, OPERATOR.actor, username)


BAD = [
    ({"username": "nobody"}, 422, "unknown_reference", "username"),
    ({"label": ""}, 422, "validation_failed", "label"),
    ({"label": "   "}, 422, "validation_failed", "label"),
    ({"label": "x" * 201}, 422, "validation_failed", "label"),
    ({"username": "party-liaison"}, 422, "validation_failed", "username"),
    ({"username": "head-of-mission"}, 422, "validation_failed", "username"),
    ({"username": "analyst", "disable": True}, 422, "validation_failed", "username"),
    ({"username": None}, 422, "validation_failed", "username"),
]


@pytest.mark.parametrize(("change", "status", "code", "field"), BAD)
def test_bad_input_is_refused_and_stores_nothing(
    db, users, client, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    change = dict(change)  # the parameter is shared by both database legs
    if change.pop("disable", False):
        _disable(db, change["username"])
    before = counts(db)
    assert_problem(issue(client, users, **change), status, code, field)
    assert counts(db) == before


def test_broken_and_non_json_bodies_are_refused(db, users, client) -> None:
    before = counts(db)
    headers = {**users["admin"].headers, "content-type": "application/json"}
    assert_problem(client.post(API, content=b"{", headers=headers), 400, "malformed_request")
    form = client.post(API, data={"username": "monitor"}, headers=users["admin"].headers)
    assert_problem(form, 415, "unsupported_media_type")
    assert counts(db) == before


def test_device_principal_refuses_unknown_long_and_disabled(db, users, client) -> None:
    token = issue(client, users).json()["token"]
    with db.reading() as session:
        assert devices.device_principal(session, token + "x") is None
        assert devices.device_principal(session, "") is None
        assert devices.device_principal(session, "a" * 10_000) is None
        assert devices.device_principal(session, users["monitor"].token) is None  # an API token
    _disable(db, "monitor")
    with db.reading() as session:
        assert devices.device_principal(session, token) is None


# --- the page --------------------------------------------------------------------------------


def _signed_in(client: TestClient, username: str) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return str(client.get("/api/v1/me").json()["csrf_token"])


def test_the_page_issues_shows_the_qr_once_and_revokes(db, users, client) -> None:
    csrf = _signed_in(client, "admin")
    page = client.get("/devices")
    assert page.status_code == 200 and "Issue a phone" in page.text
    assert 'value="party-liaison"' not in page.text and 'value="monitor"' in page.text
    form = {"username": "monitor", "label": "patrol 2 tablet", "csrf_token": csrf}
    shown = client.post("/devices", data=form)
    assert shown.status_code == 200, shown.text
    assert "Scan with ODK Collect: Add project -&gt; Configure with QR code" in shown.text
    url = re.search(r'<code class="server-url">(http://testserver/key/([^<]+))</code>', shown.text)
    assert url is not None and "<svg" in shown.text
    assert "only works on the server itself" not in shown.text
    with db.reading() as session:
        found = devices.device_principal(session, url.group(2))
    assert found is not None
    device_id = found[1]
    listed = client.get("/devices")
    assert url.group(2) not in listed.text and "patrol 2 tablet" in listed.text  # shown once
    done = client.post(
        f"/devices/{device_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/devices?revoked={device_id}"
    assert f"Phone {device_id} was revoked" in client.get(done.headers["location"]).text
    before = counts(db)
    twice = client.post(f"/devices/{device_id}/revoke", data={"csrf_token": csrf})
    assert twice.status_code == 409 and "revoked already" in twice.text
    assert counts(db) == before


def test_the_page_warns_when_phones_cannot_reach_the_address(db, users, tmp_path: Path) -> None:
    from vigil.web.app import create_app

    cfg = Settings(
        data_dir=tmp_path,
        database_url=db.url,
        fusion_auto=False,
        public_url="http://127.0.0.1:8000",
    )
    with TestClient(create_app(cfg, db)) as client:
        csrf = _signed_in(client, "admin")
        form = {"username": "monitor", "label": "tablet", "csrf_token": csrf}
        shown = client.post("/devices", data=form)
    assert shown.status_code == 200 and "http://127.0.0.1:8000/key/" in shown.text
    assert "only works on the server itself" in shown.text


def test_page_writes_need_the_csrf_token_and_good_input(db, users, client) -> None:
    csrf = _signed_in(client, "admin")
    made = issue(client, users).json()
    before = counts(db)
    forged = {"username": "monitor", "label": "x", "csrf_token": "forged"}
    assert client.post("/devices", data=forged).status_code == 403
    assert client.post(f"/devices/{made['id']}/revoke", data={"csrf_token": ""}).status_code == 403
    liaison = client.post(
        "/devices", data={"username": "party-liaison", "label": "x", "csrf_token": csrf}
    )
    assert liaison.status_code == 422 and "may not report" in liaison.text
    empty = client.post("/devices", data={"username": "monitor", "label": " ", "csrf_token": csrf})
    assert empty.status_code == 422 and "name the phone" in empty.text
    assert counts(db) == before


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_issues_lists_and_revokes(db, users, cli) -> None:
    code, out, err = cli(
        "device", "issue", "monitor", "--label", "tablet 7", "--url", "https://v.example.org/"
    )
    assert code == 0, err
    token = re.search(r"^token: (\S+)$", out, re.M)
    assert token is not None
    assert f"server URL: https://v.example.org/key/{token.group(1)}" in out
    assert "Add project -> Configure with QR code" in out and "▀" in out  # the QR in the terminal
    with db.reading() as session:
        found = devices.device_principal(session, token.group(1))
        issued = session.scalars(select(AuditEvent).where(AuditEvent.action == "device.issue"))
        actors = [e.actor for e in issued]
    assert found is not None and found[0].username == "monitor"
    assert len(actors) == 1 and actors[0].startswith("cli:")
    code, out, _ = cli("device", "list")
    assert code == 0 and "tablet 7" in out and "monitor" in out and token.group(1) not in out
    code, out, _ = cli("device", "revoke", str(found[1]))
    assert code == 0 and f"phone {found[1]} revoked" in out
    before = counts(db)
    code, _, err = cli("device", "revoke", str(found[1]))
    assert code == 1 and "revoked already" in err and len(err.strip().splitlines()) == 1
    assert cli("device", "revoke", "999")[0] == 1
    assert counts(db) == before
    with db.reading() as session:
        assert devices.device_principal(session, token.group(1)) is None


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_cli_writes_the_qr_code_to_a_file(db, users, cli, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"phone{suffix}"
    code, out, err = cli(
        "device",
        "issue",
        "monitor",
        "--label",
        "t",
        "--url",
        "http://10.0.0.5:8000",
        "--qr",
        str(target),
    )
    assert code == 0, err
    assert f"QR code: {target}" in out and "▀" not in out
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else data.startswith(b"<svg")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--label", "t", "--url", "https://v.example.org"], "no user 'nobody'"),
        (["party-liaison", "--label", "t", "--url", "https://v.example.org"], "may not report"),
        (["monitor", "--label", " ", "--url", "https://v.example.org"], "name the phone"),
        (["monitor", "--label", "t", "--url", "ftp://v.example.org"], "server's address"),
        (["monitor", "--label", "t"], "give --url"),
        (
            ["monitor", "--label", "t", "--url", "https://v.example.org", "--qr", "x.gif"],
            ".png or .svg",
        ),
        (
            ["monitor", "--label", "t", "--url", "https://v.example.org", "--qr", "/no/such/x.png"],
            "no folder",
        ),
    ],
)
def test_cli_bad_input_is_one_line_and_stores_nothing(
    db, users, cli, args: list[str], message: str
) -> None:
    before = counts(db)
    code, out, err = cli("device", "issue", *args)
    assert code == 1 and message in err, err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1
    assert "token:" not in out
    assert counts(db) == before
