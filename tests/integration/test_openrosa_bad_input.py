"""Bad submissions get an OpenRosaResponse with nature="error" and store nothing (SQLite and
PostgreSQL): each test counts submissions, their files, observations, evidence and audit
events before and after."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import PASSWORD
from tests.integration.odk_collect import (
    Collect,
    collect_headers,
    content_type,
    fill,
    multipart,
    response_message,
    submission_name,
)
from tests.integration.test_openrosa import XML, app_clients, assert_refused, current_form
from tests.integration.test_openrosa_submissions import VALUES, jpeg

from vigil.services import accounts, forms
from vigil.services.access import system_principal
from vigil.store.db import Database
from vigil.store.tables import (
    AuditEvent,
    EvidenceFile,
    FormVersion,
    Observation,
    ObservationEvidence,
    Submission,
    SubmissionAttachment,
)

TABLES = (
    Submission,
    SubmissionAttachment,
    Observation,
    ObservationEvidence,
    EvidenceFile,
    AuditEvent,
)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<data id="vigil_observation"><text>&lol9;</text>
<meta><instanceID>uuid:laughs</instanceID></meta></data>"""


def counts(db: Database) -> dict[str, int]:
    """Rows in every table a submission could touch."""
    with db.reading() as session:
        return {
            cls.__tablename__: int(session.scalar(select(func.count()).select_from(cls)) or 0)
            for cls in TABLES
        }


@pytest.fixture
def phone_app(db: Database, tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    yield from app_clients(db, tmp_path)


@pytest.fixture
def phone(users, client: TestClient) -> tuple[Collect, str]:
    """The monitor's Collect, and the observation form it downloaded."""
    collect = Collect(client, username="monitor", password=PASSWORD)
    return collect, current_form(collect)[1]


def refuse(
    db: Database,
    collect: Collect,
    xml: bytes,
    status: int,
    code: str,
    files: list[tuple[str, bytes]] = (),
) -> list[str]:
    """Submit as Collect does; the refusal and that nothing was stored. The fields named."""
    before = counts(db)
    [answer] = collect.submit(xml, list(files))
    fields = assert_refused(answer, status, code)
    assert counts(db) == before
    return fields


def test_malformed_xml(db, phone) -> None:
    collect, _ = phone
    refuse(db, collect, b"<data id='vigil_observation'><text>unclosed</data>", 400, "malformed_xml")
    refuse(db, collect, b"\x00\x01 not xml at all", 400, "malformed_xml")


def test_billion_laughs_is_refused_before_expanding(db, phone) -> None:
    collect, _ = phone
    started = time.monotonic()
    refuse(db, collect, BILLION_LAUGHS, 400, "malformed_xml")
    assert time.monotonic() - started < 5


def test_external_entities_never_reach_anything(db, phone) -> None:
    """XXE: the file is never read; its content appears in no answer and no row."""
    collect, xform = phone
    good = fill(xform, VALUES).decode()
    attacks = [
        good.replace(
            "<?xml version='1.0' ?>",
            '<?xml version="1.0"?><!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ).replace("three explosions", "&xxe;"),
        good.replace("<?xml version='1.0' ?>", '<!DOCTYPE data SYSTEM "file:///etc/passwd">'),
        good.replace(
            "<?xml version='1.0' ?>",
            '<!DOCTYPE data [<!ENTITY % x SYSTEM "file:///etc/passwd"> %x;]>',
        ),
    ]
    passwd = Path("/etc/passwd").read_text().splitlines()[0] if Path("/etc/passwd").exists() else ""
    for attack in attacks:
        refuse(db, collect, attack.encode(), 400, "malformed_xml")
        answer = collect.log[-1].text
        assert "passwd" not in answer and "root:" not in answer
        assert not passwd or passwd not in answer
    with db.reading() as session:
        events = session.scalars(select(AuditEvent.after)).all()
    assert not any("passwd" in (e or "") or "root:" in (e or "") for e in events)


def test_unknown_form_and_unknown_version(db, phone) -> None:
    collect, xform = phone
    xml = fill(xform, VALUES).decode()
    other_form = xml.replace('id="vigil_observation"', 'id="no_such_form"')
    refuse(db, collect, other_form.encode(), 404, "not_found")
    old = xml.split('version="')[1].split('"')[0]
    refuse(db, collect, xml.replace(old, "1999").encode(), 404, "not_found")


def test_closed_form_version(db, users, phone) -> None:
    collect, xform = phone
    version = fill(xform, VALUES).decode().split('version="')[1].split('"')[0]
    with db.writing() as session:
        admin = system_principal(accounts.find_user(session, "admin"))
        forms.close_version(session, admin, forms.FORM_ID, version)
    message = response_message(collect.submit(fill(xform, VALUES))[0])[0]
    assert "closed" in message
    refuse(db, collect, fill(xform, VALUES), 409, "form_closed")


def test_bad_values_name_the_form_field(db, phone) -> None:
    collect, xform = phone
    lat200 = fill(xform, {**VALUES, "observer_position": "200 46.75 0 5"})
    assert "observer_position" in refuse(db, collect, lat200, 422, "validation_failed")
    no_offset = fill(xform, {**VALUES, "observed_at": "2020-11-12T14:05:00.000"})
    assert "observed_at" in refuse(db, collect, no_offset, 422, "validation_failed")
    unknown = fill(xform, {**VALUES, "category": "weather.rain"})
    assert "category" in refuse(db, collect, unknown, 422, "unknown_category")
    future = fill(xform, {**VALUES, "observed_at": "2999-01-01T00:00:00.000Z"})
    assert "observed_at" in refuse(db, collect, future, 422, "validation_failed")


def test_overlong_ids_are_refused_not_truncated(db, phone) -> None:
    """PostgreSQL would refuse them with a crash; they are named instead."""
    collect, xform = phone
    long_id = fill(xform, VALUES, "uuid:" + "a" * 200)
    assert "instanceID" in refuse(db, collect, long_id, 422, "validation_failed")
    long_edit = fill(xform, {**VALUES, "deprecatedID": "uuid:" + "b" * 200})
    assert "deprecatedID" in refuse(db, collect, long_edit, 422, "validation_failed")


def test_no_instance_id_and_not_utf8(db, phone) -> None:
    collect, xform = phone
    xml = fill(xform, VALUES).decode()
    start = xml.index("<instanceID>")
    without = xml[:start] + xml[xml.index("</instanceID>") + len("</instanceID>") :]
    refuse(db, collect, without.encode(), 400, "malformed_xml")
    latin = ("<?xml version='1.0' encoding='ISO-8859-1'?>" + xml.split("?>", 1)[1]).replace(
        "three explosions", "trois détonations"
    )
    refuse(db, collect, latin.encode("latin-1"), 400, "malformed_xml")


def test_a_zip_posted_as_the_photo_refuses_the_whole_submission(db, phone) -> None:
    collect, xform = phone
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.txt", b"0" * 5_000_000)
    xml = fill(xform, {**VALUES, "photo": "photo.jpg", "video": "v.jpg"})
    files = [("v.jpg", jpeg(1)), ("photo.jpg", archive.getvalue())]
    refuse(db, collect, xml, 415, "unsupported_file_type", files)


def _raw_post(client: TestClient, body: bytes, kind: str) -> httpx.Response:
    headers = {**collect_headers(), "Content-Type": kind}
    auth = Collect(client, username="monitor", password=PASSWORD)
    return auth.request("POST", "/submission", content=body, headers=headers)


def test_malformed_envelopes(db, phone) -> None:
    collect, xform = phone
    xml = fill(xform, VALUES)
    before = counts(db)
    not_multipart = _raw_post(collect.client, xml, "text/xml")
    assert_refused(not_multipart, 415, "unsupported_media_type")
    photo_only, kind = multipart([("p.jpg", "p.jpg", "image/jpeg", jpeg(2))])
    assert_refused(_raw_post(collect.client, photo_only, kind), 400, "malformed_request")
    part = ("xml_submission_file", submission_name(), "text/xml", xml)
    twice, kind = multipart([part, part])
    assert_refused(_raw_post(collect.client, twice, kind), 400, "malformed_request")
    broken = b'--abc\r\nContent-Disposition: form-data; name="x"\r\n\r\nno end'
    refused = _raw_post(collect.client, broken, "multipart/form-data; boundary=abc")
    assert refused.status_code == 400 and response_message(refused)[1] == "error"
    assert counts(db) == before


def test_callers_who_may_not_submit_store_nothing(db, users, phone) -> None:
    collect, xform = phone
    xml = fill(xform, VALUES)
    liaison = Collect(collect.client, username="party-liaison", password=PASSWORD)
    before = counts(db)
    body, kind = multipart([("xml_submission_file", submission_name(), content_type("x.xml"), xml)])
    headers = {"Content-Type": kind}
    denied = liaison.request("POST", "/submission", content=body, headers=headers)
    assert_refused(denied, 403, "forbidden")
    stranger = Collect(collect.client, username="monitor", password="wrong password")
    assert_refused(
        stranger.request("POST", "/submission", content=body, headers=headers),
        401,
        "invalid_credentials",
    )
    garbled = {**collect_headers(), **headers, "Authorization": 'Digest username="monitor", x'}
    assert_refused(
        collect.client.post("/submission", content=body, headers=garbled),
        401,
        "invalid_credentials",
    )
    assert counts(db) == before


def _asgi_post(app: Any, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict, bytes, bool]:
    """Call the app directly, as a server would, with a receive that notes being read."""
    read = False
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal read
        read = True
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/submission",
        "raw_path": b"/submission",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    # In a thread of its own: in the whole suite, Playwright's sync API already runs an event
    # loop in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], names, body, read


def test_a_2_gb_upload_is_refused_without_reading_it(db, users, app) -> None:
    before = counts(db)
    headers = [
        (b"host", b"testserver"),
        (b"x-openrosa-version", b"1.0"),
        (b"content-type", b"multipart/form-data; boundary=abc"),
        (b"content-length", b"2147483648"),
    ]
    status, names, body, read = _asgi_post(app, headers)
    assert status == 413 and not read
    assert names["content-type"] == XML and names["x-openrosa-version"] == "1.0"
    assert "date" in names
    answer = httpx.Response(status, headers=names, content=body)
    assert response_message(answer)[1:3] == ("error", "body_too_large")
    assert counts(db) == before


def test_a_streamed_body_over_the_limit_is_refused(db, users, phone_app) -> None:
    client = phone_app(max_upload_bytes=100_000)
    collect = Collect(client, username="monitor", password=PASSWORD)
    xform = current_form(collect)[1]
    xml = fill(xform, {**VALUES, "photo": "big.jpg"})
    body, kind = multipart(
        [
            ("xml_submission_file", submission_name(), "text/xml", xml),
            ("big.jpg", "big.jpg", "image/jpeg", jpeg(3, size=600)),
        ]
    )
    assert len(body) > 100_000
    before = counts(db)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    refused = collect.request(
        "POST", "/submission", content=chunks(), headers={"Content-Type": kind}
    )
    assert_refused(refused, 413, "body_too_large")
    assert counts(db) == before


def test_form_rows_are_untouched_by_refusals(db, phone) -> None:
    """A refused submission changes no form version (no closing, no generation)."""
    collect, xform = phone
    with db.reading() as session:
        versions = [(f.version, f.closes_at) for f in session.scalars(select(FormVersion))]
    refuse(db, collect, fill(xform, {**VALUES, "bearing": "400"}), 422, "validation_failed")
    with db.reading() as session:
        assert [(f.version, f.closes_at) for f in session.scalars(select(FormVersion))] == versions


GARBLED_DIGEST = [
    "Digest",
    'Digest username="monitor", x',
    'Digest username="monitor", realm="Vigil", nonce="²-x", uri="/formList", response="r", '
    'qop=auth, nc=00000001, cnonce="c"',
    'Digest username="monitor", realm="Other", nonce="1-x", uri="/formList", response="r", '
    'qop=auth, nc=00000001, cnonce="c"',
    'Digest username="monitor", realm="Vigil", nonce="1-x", uri="/formList", response="r", '
    'qop=auth-int, nc=00000001, cnonce="c", algorithm=SHA-256',
    'Digest username="monitor", realm="Vigil", nonce="1-x", uri="/formList", response="ü", '
    'qop=auth, nc=00000001, cnonce="c"',
    "Negotiate abc",
]


@pytest.mark.parametrize("value", GARBLED_DIGEST)
def test_garbled_authorization_is_401_not_a_crash(db, users, client, value: str) -> None:
    headers = {**collect_headers(), "Authorization": value.encode("utf-8")}
    refused = client.get("/formList", headers=headers)
    assert_refused(refused, 401, "invalid_credentials")
    assert len(refused.headers.get_list("www-authenticate")) == 2
