"""The audit chain: every write is logged in its transaction, links hold, and `vigil verify`
names any edit made behind Vigil's back (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from tests.conftest import OPERATOR, PASSWORD, Account
from tests.factories import SQUARE, add_post, observation

from vigil.domain.audit_chain import GENESIS, EventContent
from vigil.domain.observation import ObservationDraft
from vigil.services import access
from vigil.services.observations import record_observations
from vigil.store.db import Database
from vigil.store.tables import AuditEvent

VIGIL = Path(sys.executable).parent / "vigil"


def events(db: Database, after: int = 0) -> list[AuditEvent]:
    """Audit events after a sequence number, in order."""
    with db.reading() as session:
        query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq)
        found = list(session.scalars(query))
        session.expunge_all()  # keep the values readable after the session ends
        return found


def last_seq(db: Database) -> int:
    found = events(db)
    return found[-1].seq if found else 0


def vigil(db: Database, *args: str) -> subprocess.CompletedProcess:
    """`vigil ARGS` in a subprocess on the test's database."""
    env = {**os.environ, "VIGIL_DATABASE_URL": db.url}
    done = subprocess.run([str(VIGIL), *args], env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stdout + done.stderr
    return done


def verify_in_process(db: Database) -> tuple[int, str]:
    """`vigil verify` through Typer's runner: the same command, without a new interpreter."""
    from typer.testing import CliRunner

    from vigil.cli.main import app
    from vigil.config import get_settings

    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["verify"], env={"VIGIL_DATABASE_URL": db.url})
    finally:
        get_settings.cache_clear()
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    output = done.stdout + (done.stderr if done.stderr_bytes is not None else "")
    assert "Traceback" not in output
    return done.exit_code, output


@pytest.fixture
def filled(db: Database, users: dict[str, Account], client: TestClient) -> dict[str, Any]:
    """A post, three observations and an incident fused from the first two."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    batch = {"observations": [observation() for _ in range(3)]}
    made = client.post("/api/v1/observations/batch", json=batch, headers=users["monitor"].headers)
    assert made.status_code == 201, made.text
    ids = [item["id"] for item in made.json()["items"]]
    incident = client.post(
        "/api/v1/incidents",
        json={"observation_ids": ids[:2]},
        headers=users["analyst"].headers,
    )
    assert incident.status_code == 201, incident.text
    return {"observations": ids, "incident": incident.json()["id"]}


def _login(client: TestClient, users: dict[str, Account]) -> Any:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": "analyst", "password": PASSWORD, "csrf_token": token.group(1)}
    return client.post("/login", data=form, follow_redirects=False)


def _api_writes(users: dict[str, Account]) -> list[tuple[str, Callable, list[tuple[str, str]]]]:
    """(name, do(client), the events it must append) for each write the API offers."""
    admin, monitor = users["admin"].headers, users["monitor"].headers
    one, three = observation(), {"observations": [observation() for _ in range(3)]}
    record = ("observation.record", "observation")
    zone = {"code": "sq", "kind": "buffer_zone", "names": {"en": "Sq"}, "geometry": SQUARE}
    place = {"code": "agdam", "names": {"az": "Ağdam"}, "lat": 39.99, "lon": 46.93}
    post = {"code": "OP-9", "name": "Nine", "kind": "camera", "lat": 39.9, "lon": 46.8}
    return [
        ("record", lambda c: c.post("/api/v1/observations", json=one, headers=monitor), [record]),
        ("retry", lambda c: c.post("/api/v1/observations", json=one, headers=monitor), []),
        (
            "batch",
            lambda c: c.post("/api/v1/observations/batch", json=three, headers=monitor),
            [record] * 3,
        ),
        (
            "zone",
            lambda c: c.post("/api/v1/zones", json=zone, headers=admin),
            [("zone.add", "zone")],
        ),
        (
            "place",
            lambda c: c.post("/api/v1/places", json=place, headers=admin),
            [("place.add", "place")],
        ),
        (
            "post",
            lambda c: c.post("/api/v1/posts", json=post, headers=admin),
            [("post.add", "post")],
        ),
        ("login", lambda c: _login(c, users), [("login", "login")]),
    ]


def test_every_api_write_appends_its_events(db, users, client: TestClient) -> None:
    with db.writing() as session:
        add_post(session, OPERATOR)
    for name, do, expected in _api_writes(users):
        before = last_seq(db)
        response = do(client)
        assert response.status_code < 400, f"{name}: {response.text}"
        got = [(e.action, e.entity_type) for e in events(db, before)]
        assert got == expected, name
    ids = [
        o["id"]
        for o in client.get("/api/v1/observations", headers=users["monitor"].headers).json()[
            "items"
        ]
    ][:2]
    before = last_seq(db)
    made = client.post(
        "/api/v1/incidents", json={"observation_ids": ids}, headers=users["analyst"].headers
    )
    assert made.status_code == 201
    got = [(e.action, e.entity_type) for e in events(db, before)]
    # the analyst's grouping is a decision; fusion then writes the incident it makes
    assert got[0] == ("fusion.merge", "fusion_decision")
    assert ("fusion.create", "incident") in got and ("fusion.create", "incident_fusion") in got
    assert got.count(("fusion.create", "incident_observation")) >= 2  # and the period's others
    assert got[-1] == ("fusion.run", "fusion_run")


def test_cli_account_writes_append_their_events(db: Database) -> None:
    before = last_seq(db)
    add = subprocess.run(
        [str(VIGIL), "user", "add", "sensor-1", "--role", "monitor", "--password-stdin"],
        env={**os.environ, "VIGIL_DATABASE_URL": db.url},
        input="a long enough secret\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert add.returncode == 0, add.stderr
    assert vigil(db, "token", "create", "sensor-1").returncode == 0
    assert vigil(db, "user", "disable", "sensor-1").returncode == 0
    got = [(e.action, e.entity_type, e.actor.startswith("cli:")) for e in events(db, before)]
    assert got == [
        ("user.add", "user_account", True),
        ("digest.set", "digest_credential", True),
        ("token.create", "api_token", True),
        ("user.disable", "user_account", True),
    ]


def test_failed_writes_leave_no_audit_event(db, users, client: TestClient) -> None:
    with db.writing() as session:
        add_post(session, OPERATOR)
    monitor, admin = users["monitor"].headers, users["admin"].headers
    zone = {"code": "sq", "kind": "buffer_zone", "names": {"en": "Sq"}, "geometry": SQUARE}
    assert client.post("/api/v1/zones", json=zone, headers=admin).status_code == 201
    before = last_seq(db)
    bad = {"observations": [observation(), observation(category="no.such")]}
    assert client.post("/api/v1/observations/batch", json=bad, headers=monitor).status_code == 422
    assert client.post("/api/v1/zones", json=zone, headers=admin).status_code == 409
    refused = client.post(
        "/api/v1/incidents", json={"observation_ids": [999]}, headers=users["analyst"].headers
    )
    assert refused.status_code == 422
    assert last_seq(db) == before
    who = _principal(db, users["monitor"])
    with pytest.raises(RuntimeError), db.writing() as session:  # fails after the audit append
        record_observations(session, who, [ObservationDraft.model_validate(observation())], "api")
        assert last_seq_in(session) == before + 1
        raise RuntimeError("the transaction fails after the write")
    assert last_seq(db) == before
    assert client.get("/api/v1/observations", headers=monitor).json()["items"] == []


def last_seq_in(session: Any) -> int:
    return int(session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)))


def _principal(db: Database, account: Account) -> access.Principal:
    with db.reading() as session:
        who = access.from_token(session, account.token)
    assert who is not None
    return who


def assert_chain_links(db: Database) -> list[AuditEvent]:
    """Each event links to the one before it and its hash covers its content."""
    chain = events(db)
    prev = GENESIS
    for i, e in enumerate(chain, start=1):
        assert e.seq == i, f"sequence has a gap before {e.seq}"
        assert e.prev_hash == prev, f"event {e.seq} does not link to {e.seq - 1}"
        content = EventContent(
            e.seq, e.at, e.actor, e.action, e.entity_type, e.entity_id, e.before, e.after
        )
        assert content.hash_with(prev) == e.hash, f"event {e.seq}'s hash is wrong"
        prev = e.hash
    return chain


def test_chain_links_and_verify_is_intact(db, filled) -> None:
    chain = assert_chain_links(db)
    assert len(chain) > 10
    done = vigil(db, "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "intact" in done.stdout


def _one(db: Database, sql: str, **params: Any) -> Any:
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _tamper(db: Database, *statements: tuple[str, dict[str, Any]]) -> None:
    """Change the database behind Vigil's back: raw SQL, no service, no audit."""
    with db.engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)


def _edit_count(db: Database, f: dict[str, Any]) -> list[str]:
    x = f["observations"][2]
    _tamper(db, ("UPDATE observation SET count = count + 1 WHERE id = :x", {"x": x}))
    return [f"observation {x} was edited", "count: table has 4, audit event"]


def _edit_event(db: Database, f: dict[str, Any]) -> list[str]:
    x = str(f["observations"][2])
    seq = _one(
        db, "SELECT seq FROM audit_event WHERE entity_type = 'observation' AND entity_id = :x", x=x
    )
    after = orjson.loads(_one(db, "SELECT after FROM audit_event WHERE seq = :s", s=seq))
    after["count"] = 30
    _tamper(
        db,
        (
            "UPDATE audit_event SET after = :a WHERE seq = :s",
            {"a": orjson.dumps(after).decode(), "s": seq},
        ),
    )
    return [f"audit event {seq} (observation.record observation {x}) was altered"]


def _delete_row(db: Database, f: dict[str, Any]) -> list[str]:
    x = f["observations"][0]
    _tamper(
        db,
        ("DELETE FROM incident_observation WHERE observation_id = :x", {"x": x}),
        ("DELETE FROM observation WHERE id = :x", {"x": x}),
    )
    return [f"observation {x} was deleted", f"incident_observation {f['incident']}/{x} was deleted"]


def _insert_row(db: Database, f: dict[str, Any]) -> list[str]:
    _tamper(
        db,
        ("INSERT INTO party (code, names, role) VALUES ('P9', '{\"en\": \"Nine\"}', 'party')", {}),
    )
    key = _one(db, "SELECT id FROM party WHERE code = 'P9'")
    return [f"party {key} is in the table but not in the audit log"]


def _delete_event(db: Database, f: dict[str, Any]) -> list[str]:
    mid = last_seq(db) // 2
    _tamper(db, ("DELETE FROM audit_event WHERE seq = :s", {"s": mid}))
    return [f"event {mid} is missing", f"broken at event {mid + 1}"]


def _edit_password(db: Database, f: dict[str, Any]) -> list[str]:
    key = _one(db, "SELECT id FROM user_account WHERE username = 'monitor'")
    _tamper(db, ("UPDATE user_account SET password_hash = 'known' WHERE id = :k", {"k": key}))
    return [f"user_account {key} was edited", "password_hash"]


@pytest.mark.parametrize(
    "tamper",
    [_edit_count, _edit_event, _delete_row, _insert_row, _delete_event, _edit_password],
    ids=["edit-row", "edit-event", "delete-row", "insert-row", "delete-event", "edit-password"],
)
def test_verify_names_what_was_tampered(db, filled, tamper: Callable) -> None:
    expected = tamper(db, filled)
    code, output = verify_in_process(db)
    assert code == 1, output
    output = " ".join(output.split())  # undo any line wrapping
    for phrase in expected:
        assert phrase in output, f"{phrase!r} not in {output}"


def test_deleted_row_is_not_hidden_by_a_reused_id(db, filled, users, client) -> None:
    """Delete the newest observation behind Vigil's back, then record another: SQLite hands
    out the freed id again, PostgreSQL a new one; either way verify names the deletion."""
    last = filled["observations"][2]
    _tamper(
        db,  # fusion made it an incident of its own: the links go first
        ("DELETE FROM incident_observation WHERE observation_id = :x", {"x": last}),
        ("DELETE FROM observation WHERE id = :x", {"x": last}),
    )
    made = client.post("/api/v1/observations", json=observation(), headers=users["monitor"].headers)
    assert made.status_code == 201, made.text
    code, output = verify_in_process(db)
    output = " ".join(output.split())
    assert code == 1, output
    if made.json()["id"] == last:
        assert f"observation {last} was created again" in output, output
    else:
        assert f"observation {last} was deleted" in output, output


def test_concurrent_writers_keep_one_chain(db, users) -> None:
    """Four writers, fifty transactions each: no fork, no duplicate seq, verify passes."""
    with db.writing() as session:
        add_post(session, OPERATOR)
    who = _principal(db, users["monitor"])
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(50):
                draft = ObservationDraft.model_validate(observation(client_id=f"w{n}-{i}"))
                with db.writing() as session:
                    record_observations(session, who, [draft], "api")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    chain = assert_chain_links(db)
    records = [e for e in chain if e.action == "observation.record"]
    assert len(records) == 200
    assert len({e.seq for e in chain}) == len(chain)
    done = vigil(db, "verify")
    assert done.returncode == 0, done.stdout


def test_repeated_logins_are_not_taken_for_a_hidden_deletion(db, users, client) -> None:
    """Logins are notes that recur under one name, not rows: verify must not call them
    re-created rows."""
    for _ in range(2):
        assert _login(client, users).status_code == 303
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        form = {"username": "nobody", "password": "wrong password", "csrf_token": token.group(1)}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 401
    code, output = verify_in_process(db)
    assert code == 0 and "intact" in output, output
