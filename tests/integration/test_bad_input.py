"""Bad input gets a clear 4xx (or a one-line CLI message) and stores nothing (SQLite, PostgreSQL).

Each test counts observations, zones, places and audit events before and after, so a refusal
that still wrote something half-way fails here.
"""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy import select as sql_select
from tests.conftest import OPERATOR
from tests.factories import SQUARE, add_post, observation

from vigil.store.db import Database
from vigil.store.tables import AuditEvent, Observation, Place, Zone

PROBLEM = "application/problem+json"
OBS = "/api/v1/observations"
VIGIL = Path(sys.executable).parent / "vigil"
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[46.5, 39.5], [47.0, 40.0], [47.0, 39.5], [46.5, 40.0], [46.5, 39.5]]],
}


def counts(db: Database) -> dict[str, int]:
    """How many rows the tables that bad input could touch hold."""
    with db.reading() as session:
        return {
            cls.__tablename__: int(session.scalar(sql_select(func.count()).select_from(cls)) or 0)
            for cls in (Observation, Zone, Place, AuditEvent)
        }


def assert_problem(r: httpx.Response, status: int, code: str, field: str | None = None) -> dict:
    """A problem+json answer with this status and code (and naming this field)."""
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


@pytest.fixture
def monitor(db: Database, users) -> dict[str, str]:
    """The monitor's auth headers, with post OP-T1 in place."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    return users["monitor"].headers


def test_malformed_json(db, monitor, client: TestClient) -> None:
    before = counts(db)
    r = client.post(
        OBS, content=b'{"client_id": "x", ', headers={**monitor, "content-type": "application/json"}
    )
    assert_problem(r, 400, "malformed_request")
    assert counts(db) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"count": "many"}, "count"),
        ({"observer": "OP-T1"}, "observer"),
        ({"location": {"lat": 95, "lon": 46.7}, "bearing": None, "distance": None}, "location.lat"),
        ({"bearing": {"deg": 360}}, "bearing.deg"),
        ({"observed_at": "2020-11-12T14:05:00"}, "observed_at"),
        ({"colour": "red"}, "colour"),
        ({"grade": {"reliability": "G", "credibility": "2"}}, "grade.reliability"),
        ({"client_id": "has spaces in it"}, "client_id"),
    ],
    ids=[
        "wrong-type",
        "object-expected",
        "lat-95",
        "bearing-360",
        "naive-time",
        "unknown-field",
        "bad-grade",
        "bad-client-id",
    ],
)
def test_invalid_fields_are_named(db, monitor, client, changes: dict, field: str) -> None:
    before = counts(db)
    r = client.post(OBS, json=observation(**changes), headers=monitor)
    assert_problem(r, 422, "validation_failed", field)
    assert counts(db) == before


def test_a_distance_needs_a_bearing(db, monitor, client) -> None:
    body = observation(location={"lat": 39.7, "lon": 46.8})
    del body["bearing"]
    before = counts(db)
    problem = assert_problem(client.post(OBS, json=body, headers=monitor), 422, "validation_failed")
    assert "distance needs a bearing" in problem["detail"]
    assert counts(db) == before


def test_a_time_a_year_ahead_is_refused(db, monitor, client) -> None:
    ahead = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    before = counts(db)
    r = client.post(OBS, json=observation(observed_at=ahead), headers=monitor)
    assert_problem(r, 422, "validation_failed", "observed_at")
    batch = {"observations": [observation(), observation(observed_at=ahead)]}
    r = client.post(f"{OBS}/batch", json=batch, headers=monitor)
    assert_problem(r, 422, "validation_failed", "observations[1].observed_at")
    assert counts(db) == before


def test_unknown_category(db, monitor, client) -> None:
    before = counts(db)
    r = client.post(OBS, json=observation(category="ceasefire_violation.laser"), headers=monitor)
    assert_problem(r, 422, "unknown_category", "category")
    assert counts(db) == before


def test_wrong_content_type(db, monitor, client) -> None:
    before = counts(db)
    text = {**monitor, "content-type": "text/plain"}
    r = client.post(OBS, content=orjson.dumps(observation()), headers=text)
    assert_problem(r, 415, "unsupported_media_type")
    assert_problem(
        client.post(OBS, data={"client_id": "x"}, headers=monitor), 415, "unsupported_media_type"
    )
    assert counts(db) == before


def test_batch_of_10001_is_too_large(db, monitor, client) -> None:
    items = [observation(client_id=f"big-{i}") for i in range(10_001)]
    before = counts(db)
    r = client.post(f"{OBS}/batch", json={"observations": items}, headers=monitor)
    assert_problem(r, 413, "batch_too_large")
    assert counts(db) == before


def test_batch_with_unknown_field_is_refused(db, monitor, client) -> None:
    before = counts(db)
    r = client.post(f"{OBS}/batch", json={"observations": [observation()], "x": 1}, headers=monitor)
    assert_problem(r, 422, "validation_failed", "x")
    assert counts(db) == before


def test_same_client_id_different_content_is_409(db, monitor, client) -> None:
    body = observation()
    assert client.post(OBS, json=body, headers=monitor).status_code == 201
    before = counts(db)
    r = client.post(OBS, json={**body, "count": 99}, headers=monitor)
    assert_problem(r, 409, "idempotency_conflict", "client_id")
    batch = {"observations": [observation(), {**body, "text": "changed"}]}
    assert_problem(
        client.post(f"{OBS}/batch", json=batch, headers=monitor), 409, "idempotency_conflict"
    )
    assert counts(db) == before
    stored = client.get(OBS, headers=monitor).json()["items"]
    assert [(o["client_id"], o["count"]) for o in stored] == [(body["client_id"], 3)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"bbox": "47,40,46,39"}, "bbox"),
        ({"bbox": "46,39,47"}, "bbox"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"cursor": "%%%"}, "cursor"),
        ({"from": "2020-11-12T00:00:00"}, "from"),
        ({"limit": "0"}, "limit"),
    ],
    ids=[
        "bbox-min-over-max",
        "bbox-three-numbers",
        "cursor-damaged",
        "cursor-garbage",
        "naive-from",
        "limit-0",
    ],
)
def test_bad_query_parameters(db, monitor, client, query: dict, field: str) -> None:
    assert_problem(client.get(OBS, params=query, headers=monitor), 422, "validation_failed", field)


def test_non_integer_path_id(db, monitor, client) -> None:
    r = client.get(f"{OBS}/abc", headers=monitor)
    assert_problem(r, 422, "validation_failed", "observation_id")
    assert_problem(client.get(f"{OBS}/999999", headers=monitor), 404, "not_found")


def test_an_id_too_large_for_the_database_is_422(db, users, client) -> None:
    """A 21-digit id overflows SQLite's and PostgreSQL's integers: a clear 422, not a 500."""
    huge = "100000000000000000000"
    analyst = users["analyst"].headers
    for path in (f"/api/v1/incidents/{huge}", f"/api/v1/observations/{huge}"):
        got = client.get(path, headers=analyst)
        assert got.status_code == 422, (path, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")
        assert "larger than the database can hold" in got.json()["detail"]


def test_self_intersecting_zone_through_the_api(db, users, client) -> None:
    body = {"code": "bowtie", "kind": "buffer_zone", "names": {"en": "Bow"}, "geometry": BOWTIE}
    before = counts(db)
    r = client.post("/api/v1/zones", json=body, headers=users["admin"].headers)
    problem = assert_problem(r, 422, "invalid_geometry")
    assert "Self-intersection" in problem["detail"]
    assert counts(db) == before


def test_a_50_mb_body_is_refused(db, monitor, client) -> None:
    before = counts(db)
    big = b'{"client_id": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    r = client.post(OBS, content=big, headers={**monitor, "content-type": "application/json"})
    assert_problem(r, 413, "body_too_large")
    del big

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * (1024 * 1024)

    r = client.post(OBS, content=chunks(), headers={**monitor, "content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert_problem(r, 413, "body_too_large")
    assert counts(db) == before


@pytest.fixture
def server(app) -> Iterator[tuple[str, int]]:
    """The app behind a real uvicorn server on loopback, as `vigil serve` runs it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", date_header=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield sock.getsockname()
    srv.should_exit = True
    thread.join(10)
    sock.close()


def test_every_answer_carries_one_date_header(db, users, server) -> None:
    """The app dates its answers (OpenRosa clients read Date); uvicorn must not add a second."""
    base = f"http://{server[0]}:{server[1]}"
    answers = [
        httpx.get(f"{base}/api/v1/categories", headers=users["monitor"].headers),
        httpx.head(f"{base}/submission", headers={"X-OpenRosa-Version": "1.0"}),
        httpx.get(f"{base}/formList"),  # no version header: refused, still dated
    ]
    for r in answers:
        assert len(r.headers.get_list("date")) == 1, (r.request.url, r.headers)


def _head(token: str, framing: str) -> bytes:
    return (
        f"POST {OBS} HTTP/1.1\r\nHost: vigil\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()


def _reply(s: socket.socket) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of the server's answer (read with the socket's timeout)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"connection closed before an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += s.recv(65536)
    assert headers["content-type"].startswith(PROBLEM)
    return int(lines[0].split()[1]), orjson.loads(body)


def test_declared_50_mb_is_refused_before_it_is_read(db, users, server) -> None:
    """Only 64 KB of the 50 MB announced are sent: a server that waited for it would time out."""
    before = counts(db)
    with socket.create_connection(server, timeout=10) as s:
        s.sendall(_head(users["monitor"].token, f"Content-Length: {50 * 1024 * 1024}"))
        s.sendall(b"x" * 65536)
        status, body = _reply(s)
    assert (status, body["code"]) == (413, "body_too_large")
    assert counts(db) == before


def test_chunked_body_over_the_limit_is_cut_off(db, users, server) -> None:
    """Without Content-Length the server counts as it reads and stops at the limit."""
    before = counts(db)
    sent = 0
    with socket.create_connection(server, timeout=10) as s:
        s.sendall(_head(users["monitor"].token, "Transfer-Encoding: chunked"))
        chunk = b"x" * (1024 * 1024)
        try:
            while sent < 64 and not select.select([s], [], [], 0)[0]:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += 1
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server answered and stopped reading: what we want
        status, body = _reply(s)
    assert (status, body["code"]) == (413, "body_too_large")
    assert 16 <= sent < 64, f"sent {sent} MB before the answer"
    assert counts(db) == before


def run_cli(db: Database, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`vigil ARGS` in a subprocess, on the test's database."""
    env = {**os.environ, "VIGIL_DATABASE_URL": db.url}
    return subprocess.run(
        [str(VIGIL), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def _feature(code: str, geometry: dict) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "kind": "buffer_zone", "name": code},
        "geometry": geometry,
    }


def test_cli_refuses_a_self_intersecting_zone_file(db, tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    features = [_feature("good", SQUARE), _feature("bowtie", BOWTIE)]
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    before = counts(db)
    done = run_cli(db, "zones", "import", str(path))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Self-intersection" in output and "feature 2" in output and "nothing" in output
    assert "Traceback" not in output
    assert counts(db) == before


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        ("code,kind,lon,name_en\nshusha,settlement,46.75,Shusha\n", "'lat'"),
        ("code,kind,lat,lon\nshusha,settlement,39.76,46.75\n", "name_<lang>"),
        (
            "code,kind,lat,lon,name_en\nok,settlement,39.7,46.7,Ok\nbad,settlement,95,46.7,Bad\n",
            "row 3",
        ),
    ],
    ids=["missing-lat", "no-name-column", "latitude-95"],
)
def test_cli_refuses_a_bad_places_csv(db, tmp_path: Path, csv: str, expected: str) -> None:
    path = tmp_path / "places.csv"
    path.write_text(csv, encoding="utf-8")
    before = counts(db)
    done = run_cli(db, "places", "import", str(path))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert expected in output and "Traceback" not in output
    assert counts(db) == before


def test_cli_missing_file_is_a_clear_message(db, tmp_path: Path) -> None:
    done = run_cli(db, "zones", "import", str(tmp_path / "nope.geojson"))
    assert done.returncode != 0 and "nope.geojson" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_login_form_with_oversized_or_missing_fields_shows_the_form_again(db, client) -> None:
    page = client.get("/login")
    for form in (
        {"username": "x" * 5000, "password": "pw"},
        {"username": "", "password": ""},
        {"username": "admin", "password": "p" * 5000},
    ):
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found
        page = client.post(
            "/login", data={**form, "csrf_token": found.group(1)}, follow_redirects=False
        )
        assert page.status_code == 400, page.text[:200]
        assert "text/html" in page.headers["content-type"]
        assert "at most 64 characters" in page.text
        assert "vigil_session" not in page.cookies


def test_an_upload_with_a_text_where_the_file_goes_names_the_field(db, users, client) -> None:
    """A multipart endpoint's own fields are named, not answered with "send JSON"."""
    before = counts(db)
    r = client.post(
        "/api/v1/imports",
        data={"file": "not a file", "dry_run": "true"},
        files={"other": ("x.csv", b"a,b\n")},
        headers=users["monitor"].headers,
    )
    assert_problem(r, 422, "validation_failed", "file")
    assert counts(db) == before
