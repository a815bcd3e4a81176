"""The OpenRosa server as ODK Collect sees it (SQLite and PostgreSQL): form list, download,
manifest and media, Digest and Basic authentication, phone keys in the path, the version
header, and who may call what. Submissions: test_openrosa_submissions.py."""

from __future__ import annotations

import io
import time
from base64 import b64encode
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient
from PIL import Image
from tests.conftest import OPERATOR, PASSWORD, Account
from tests.integration.odk_collect import (
    MANIFEST_NS,
    Collect,
    collect_headers,
    digest_header,
    md5,
    parse_challenge,
    response_message,
)

from vigil.config import Settings
from vigil.domain.roles import REPORTERS, Role
from vigil.services import accounts, devices, form_media, forms
from vigil.services.access import system_principal
from vigil.services.evidence import EvidenceRules
from vigil.store.blobs import BlobStore
from vigil.store.db import Database
from vigil.web.app import create_app
from vigil.web.openrosa import auth, routes

XML = "text/xml; charset=utf-8"
CALLERS: list[Role | None] = [None, *Role]


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    pair = f"{username}:{password}".encode()
    return {**collect_headers(), "Authorization": "Basic " + b64encode(pair).decode()}


def assert_openrosa(r: httpx.Response) -> None:
    """Every OpenRosa answer, success or refusal, says its version and date."""
    assert r.headers["x-openrosa-version"] == "1.0", r.headers
    assert r.headers["date"].endswith(" GMT"), r.headers


def assert_refused(r: httpx.Response, status: int, code: str) -> list[str]:
    """An OpenRosaResponse with nature="error", this status and problem code; its fields."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == XML
    assert_openrosa(r)
    message, nature, found, fields = response_message(r)
    assert nature == "error" and found == code and message, r.text
    return fields


def assert_challenged(r: httpx.Response, stale: bool = False) -> None:
    """A 401 offering Digest (MD5, qop auth) first and Basic, in one header each."""
    offered = [parse_challenge(v) for v in r.headers.get_list("www-authenticate")]
    assert [scheme for scheme, _ in offered] == ["digest", "basic"], offered
    digest = offered[0][1]
    assert digest["realm"] == "Vigil" and digest["qop"] == "auth" and digest["nonce"]
    assert digest["algorithm"] == "MD5"
    assert (digest.get("stale") == "true") is stale
    assert offered[1][1]["realm"] == "Vigil"


def app_clients(db: Database, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Make clients on apps with chosen settings (the test's own evidence folder)."""
    made: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        options = {"data_dir": tmp_path / "data", "fusion_auto": False, **settings}
        app = create_app(Settings(database_url=db.url, **options), db)
        client = TestClient(app)
        made.append(client.__enter__())
        return client

    yield make
    for client in made:
        client.__exit__(None, None, None)


@pytest.fixture
def phone_app(db: Database, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """A client on an app with chosen settings."""
    yield from app_clients(db, tmp_path)


@pytest.fixture
def monitor(users: dict[str, Account], client: TestClient) -> Collect:
    """Collect configured with the monitor's user name and password, over http."""
    return Collect(client, username="monitor", password=PASSWORD)


def current_form(collect: Collect) -> tuple[dict[str, str], str]:
    """The observation form as listed, and its XForm as downloaded."""
    [entry] = [f for f in collect.form_list() if f["formID"] == forms.FORM_ID]
    return entry, collect.download(entry["downloadUrl"])


def test_form_list_as_collect_downloads_it(monitor: Collect) -> None:
    """Digest over http, the xformsList namespace, and a hash that matches the download."""
    listed = monitor.form_list()
    assert [f["formID"] for f in listed] == [forms.FORM_ID]
    entry = listed[0]
    assert set(entry) == {"formID", "name", "version", "hash", "downloadUrl"}  # no media
    assert entry["name"] and entry["version"]
    url = f"http://testserver/forms/{forms.FORM_ID}/{entry['version']}.xml"
    assert entry["downloadUrl"] == url
    xform = monitor.download(entry["downloadUrl"])
    assert entry["hash"] == "md5:" + md5(xform.encode("utf-8"))
    assert f'id="{forms.FORM_ID}"' in xform and f'version="{entry["version"]}"' in xform
    first = monitor.log[0]
    assert first.status_code == 401 and first.headers["content-type"] == XML
    assert_challenged(first)
    assert [r.status_code for r in monitor.log] == [401, 200, 200]  # one challenge, cached
    for r in monitor.log:
        assert_openrosa(r)
    assert monitor.log[1].headers["content-type"] == XML


def test_form_list_filter_and_public_url(users, phone_app) -> None:
    """?formID= (as Enketo asks) narrows the list; VIGIL_PUBLIC_URL names the server."""
    client = phone_app(public_url="https://vigil.example.org/")
    collect = Collect(client, username="analyst", password=PASSWORD)
    [entry] = collect.form_list()
    assert entry["downloadUrl"].startswith(f"https://vigil.example.org/forms/{forms.FORM_ID}/")
    one = client.get(f"/formList?formID={forms.FORM_ID}", headers=basic("analyst"))
    none = client.get("/formList?formID=nope", headers=basic("analyst"))
    assert len(fromstring(one.content)) == 1 and len(fromstring(none.content)) == 0


def _xlsform_with_media() -> bytes:
    """A mission's own form whose note shows an image (so it has a manifest)."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "media::image"])
    survey.append(["note", "intro", "Look at the map", "map.png"])
    survey.append(["text", "category", "Category", None])
    survey.append(["dateTime", "observed_at", "When", None])
    survey.append(["geopoint", "observer_position", "Where you are", None])
    survey.append(["geopoint", "target", "Where it was", None])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append(["Patrol sketch", "patrol_sketch", "3"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_manifest_lists_media_and_media_downloads(db, users, client, app) -> None:
    """A form with a media file gets a manifestUrl; the manifest's md5 matches the file."""
    png = _png()
    settings = app.state.settings
    with db.writing() as session:
        admin = system_principal(accounts.find_user(session, "admin"))
        forms.upload_form(session, admin, _xlsform_with_media())
        form_media.add_media(
            session,
            admin,
            "patrol_sketch",
            "3",
            "map.png",
            io.BytesIO(png),
            BlobStore.of(settings),
            EvidenceRules.of(settings),
        )
    collect = Collect(client, username="monitor", password=PASSWORD)
    [entry] = [f for f in collect.form_list() if f["formID"] == "patrol_sketch"]
    assert entry["manifestUrl"] == "http://testserver/forms/patrol_sketch/3/manifest"
    manifest = collect.request("GET", entry["manifestUrl"])
    assert manifest.status_code == 200 and manifest.headers["content-type"] == XML
    root = fromstring(manifest.content)
    assert root.tag == f"{MANIFEST_NS}manifest"
    [item] = root
    values = {c.tag.removeprefix(MANIFEST_NS): c.text for c in item}
    assert values["filename"] == "map.png" and values["hash"] == "md5:" + md5(png)
    got = collect.request("GET", values["downloadUrl"])
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png"
    assert_openrosa(got)
    missing = collect.request("GET", "/forms/patrol_sketch/3/media/other.png")
    assert_refused(missing, 404, "not_found")


def test_digest_round_trip_per_rfc(users, client) -> None:
    """The client's response computed here from the password; stale and forged nonces."""
    challenged = client.get("/formList", headers=collect_headers())
    assert challenged.status_code == 401
    assert_challenged(challenged)
    _, params = parse_challenge(challenged.headers.get_list("www-authenticate")[0])

    def answer(password: str, nonce_params: dict[str, str], uri: str = "/formList") -> Any:
        header = digest_header("monitor", password, "GET", uri, nonce_params, 1)
        return client.get("/formList", headers={**collect_headers(), "Authorization": header})

    assert answer(PASSWORD, params).status_code == 200
    wrong = answer("not the password", params)
    assert_refused(wrong, 401, "invalid_credentials")
    assert_challenged(wrong)
    stale = answer(PASSWORD, {**params, "nonce": auth.make_nonce(time.time() - 3600)})
    assert_refused(stale, 401, "invalid_credentials")
    assert_challenged(stale, stale=True)
    forged = answer(PASSWORD, {**params, "nonce": f"{int(time.time())}-{'0' * 32}"})
    assert_refused(forged, 401, "invalid_credentials")
    assert_refused(answer(PASSWORD, params, uri="/submission"), 400, "malformed_request")


def test_digest_for_a_user_who_may_not_report_is_403(users, client) -> None:
    collect = Collect(client, username="party-liaison", password=PASSWORD)
    r = collect.request("GET", "/formList")
    assert_refused(r, 403, "forbidden")


def test_basic_auth(users, client) -> None:
    """Basic (what Collect sends over https, and curl or Enketo may send)."""
    ok = client.get("https://testserver/formList", headers=basic("patrol-leader"))
    assert ok.status_code == 200 and b"xformsList" in ok.content
    for headers in (basic("patrol-leader", "wrong password"), basic("nobody")):
        refused = client.get("/formList", headers=headers)
        assert_refused(refused, 401, "invalid_credentials")
        assert_challenged(refused)
    for value in (b"Basic %%%", b"Basic \xf1\xf1==", b"Basic " + b64encode(b"no colon")):
        garbled = {**collect_headers(), "Authorization": value}
        assert_refused(client.get("/formList", headers=garbled), 401, "invalid_credentials")
    bearer = {**collect_headers(), "Authorization": f"Bearer {users['monitor'].token}"}
    assert_refused(client.get("/formList", headers=bearer), 401, "invalid_credentials")


def _issue(db: Database, username: str = "monitor") -> str:
    with db.writing() as session:
        _, token = devices.issue_device(session, OPERATOR, username, "patrol 2 tablet")
    return token


def test_phone_key_in_the_path(db, users, client) -> None:
    """The QR code's server URL (/key/{token}) signs the phone in without a password; the
    addresses it is given keep the key; a revoked key is refused."""
    token = _issue(db)
    collect = Collect(client, server=f"http://testserver/key/{token}")
    entry, _ = current_form(collect)
    assert entry["downloadUrl"].startswith(f"http://testserver/key/{token}/forms/")
    assert all(r.status_code == 200 for r in collect.log)
    probe = collect.request("HEAD", "/submission")
    assert probe.status_code == 204
    with db.writing() as session:
        [device] = devices.list_devices(session, OPERATOR)
        devices.revoke_device(session, OPERATOR, device.id)
    for path in ("/formList", "/submission", entry["downloadUrl"]):
        refused = collect.request("GET", path)
        fields = assert_refused(refused, 403, "forbidden")
        assert fields == [] and "revoked" in response_message(refused)[0]
    unknown = Collect(client, server="http://testserver/key/not-a-key")
    assert_refused(unknown.request("GET", "/formList"), 403, "forbidden")


def test_requests_without_the_version_header_are_refused(users, client) -> None:
    for method, path in [
        ("GET", "/formList"),
        ("HEAD", "/submission"),
        ("POST", "/submission"),
        ("GET", f"/forms/{forms.FORM_ID}/1.xml"),
        ("GET", "/key/whatever/formList"),
    ]:
        r = client.request(
            method, path, headers={"Authorization": basic("monitor")["Authorization"]}
        )
        assert r.status_code == 400 and r.headers["content-type"] == XML
        assert_openrosa(r)
        if method != "HEAD":
            assert response_message(r)[2] == "openrosa_version_required"


def test_head_probe_announces_the_upload_limit(users, phone_app) -> None:
    client = phone_app(max_upload_bytes=12_345_678)
    r = client.head("/submission", headers=basic("duty-officer"))
    assert r.status_code == 204 and r.content == b""
    assert r.headers["x-openrosa-accept-content-length"] == "12345678"
    assert_openrosa(r)
    assert client.get("/submission", headers=basic("duty-officer")).status_code == 204


def test_unknown_paths_and_methods_answer_in_openrosa(users, client) -> None:
    assert_refused(client.get("/key/x/nothing", headers=collect_headers()), 404, "not_found")
    put = client.put("/submission", headers=basic("monitor"))
    assert_refused(put, 405, "method_not_allowed")


def test_routes_stay_out_of_the_openapi_schema(client) -> None:
    spec = client.get("/api/openapi.json").json()
    assert not [p for p in spec["paths"] if "formList" in p or "submission" in p]


def _route_path(path: str, world: dict[str, str]) -> str:
    for name, value in world.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_who_may_call_each_openrosa_route(db, users, client) -> None:
    """Every OpenRosa route, with every role and anonymously: reporting roles get in, other
    roles 403, anonymous 401 with challenges; a phone key stands for its user."""
    entry, _ = current_form(Collect(client, username="monitor", password=PASSWORD))
    world = {
        "form_id": forms.FORM_ID,
        "version": entry["version"],
        "name": "none.png",
        "token": _issue(db),
    }
    failures = []
    seen = 0
    for route in routes.router.routes:
        for method in sorted(route.methods - {"HEAD"}):
            path = _route_path(route.path, world)
            for role in [None, *Role] if "{token}" not in route.path else [Role.monitor]:
                headers = collect_headers() if role is None or "{token}" in route.path else {}
                if role is not None and not headers:
                    headers = basic(role.value.replace("_", "-"))
                r = client.request(method, path, headers=headers)
                seen += 1
                assert_openrosa(r)
                allowed = role in REPORTERS
                if role is None and r.status_code != 401:
                    failures.append(f"{method} {path} anonymous: {r.status_code}")
                elif role is None:
                    assert_challenged(r)
                elif allowed and (r.status_code in (401, 403) or r.status_code >= 500):
                    failures.append(f"{method} {path} as {role}: {r.status_code} {r.text}")
                elif not allowed and r.status_code != 403:
                    failures.append(f"{method} {path} as {role}: {r.status_code}")
    assert seen >= 5 * len(CALLERS) + 5
    assert failures == [], "\n".join(failures)
