"""The command-line contract of the README, run as a user runs it: `vigil` in a subprocess,
on a fresh SQLite data folder and on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from tests.conftest import PG_ADMIN_URL, PG_SKIP

from vigil.config import Settings
from vigil.store.db import Database
from vigil.store.tables import AuditEvent, User
from vigil.web.app import create_app

VIGIL = Path(sys.executable).parent / "vigil"


@dataclass
class Site:
    """Where one test's Vigil keeps its data, and how to run `vigil` against it."""

    env: dict[str, str]
    url: str
    cwd: Path

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """`vigil ARGS`; no output may ever hold a traceback."""
        done = subprocess.run(
            [str(VIGIL), *args],
            env=self.env,
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return done

    def ok(self, *args: str, stdin: str | None = None) -> str:
        done = self.run(*args, stdin=stdin)
        assert done.returncode == 0, f"vigil {' '.join(args)}: {done.stderr}"
        return done.stdout

    def count(self, table: type) -> int:
        db = Database(self.url)
        try:
            with db.reading() as session:
                return int(session.scalar(select(func.count()).select_from(table)) or 0)
        finally:
            db.dispose()


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    return {**env, "VIGIL_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """A place Vigil has never been: an empty data folder, or an empty PostgreSQL database."""
    env = _base_env(tmp_path)
    if request.param == "sqlite":
        yield Site(env, f"sqlite:///{tmp_path / 'data' / 'vigil.db'}", tmp_path)
        return
    if not PG_ADMIN_URL:
        pytest.skip(PG_SKIP)
    name = f"vigil_cli_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield Site({**env, "VIGIL_DATABASE_URL": url}, url, tmp_path)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_init_is_idempotent(site: Site) -> None:
    first = site.ok("init")
    assert "first admin: admin" in first and "password:" in first
    events, users = site.count(AuditEvent), site.count(User)
    assert users == 1 and events > 1
    second = site.ok("init")
    assert "first admin" not in second
    assert (site.count(AuditEvent), site.count(User)) == (events, users)
    assert "intact" in site.ok("verify")


def test_commands_before_init_ask_for_init(site: Site) -> None:
    for args in (["user", "list"], ["verify"], ["token", "create", "admin"]):
        done = site.run(*args)
        assert done.returncode != 0
        assert "run `vigil init`" in done.stderr, done.stderr


def _client(site: Site) -> Iterator[TestClient]:
    db = Database(site.url)
    with TestClient(create_app(Settings(database_url=site.url), db)) as client:
        yield client
    db.dispose()


def _signs_in(client: TestClient, username: str, password: str) -> bool:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": username, "password": password, "csrf_token": token.group(1)}
    done = client.post("/login", data=form, follow_redirects=False)
    client.cookies.clear()
    return done.status_code == 303


def test_user_add_list_token_and_disable(site: Site) -> None:
    site.ok("init")
    site.ok("user", "add", "alice", "--role", "analyst", "--password-stdin", stdin="s3cret-pass\n")
    listed = site.ok("user", "list")
    assert re.search(r"alice\s.*analyst", listed), listed
    created = site.ok("token", "create", "alice", "--label", "laptop")
    token = created.strip().splitlines()[-1]
    assert re.fullmatch(r"vgl_[A-Za-z0-9_-]{40,}", token), created
    bearer = {"Authorization": f"Bearer {token}"}
    for client in _client(site):
        me = client.get("/api/v1/me", headers=bearer)
        assert me.status_code == 200 and me.json()["username"] == "alice"
        assert me.json()["role"] == "analyst"
        assert _signs_in(client, "alice", "s3cret-pass")
        assert not _signs_in(client, "alice", "wrong-pass")
        site.ok("user", "disable", "alice")
        assert client.get("/api/v1/me", headers=bearer).status_code == 401
        assert not _signs_in(client, "alice", "s3cret-pass")
    assert re.search(r"alice\s.*analyst.*yes", site.ok("user", "list"))


def test_token_list_and_revoke(site: Site) -> None:
    site.ok("init")
    token = site.ok("token", "create", "admin", "--label", "sensor-7").strip().splitlines()[-1]
    listed = site.ok("token", "list", "admin")
    assert "sensor-7" in listed and token not in listed
    token_id = re.search(r"(\d+)\s+.*sensor-7", listed).group(1)  # type: ignore[union-attr]
    bearer = {"Authorization": f"Bearer {token}"}
    for client in _client(site):
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        site.ok("token", "revoke", token_id)
        assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert re.search(r"sensor-7\s+\S+\s+\S+", site.ok("token", "list", "admin"))
    missing = site.run("token", "revoke", "9999")
    assert missing.returncode == 1 and "no token 9999" in missing.stderr
    assert "intact" in site.ok("verify")


def test_no_database_file_is_left_behind(tmp_path: Path) -> None:
    site = Site(_base_env(tmp_path), "", tmp_path)
    assert site.run("user", "list").returncode == 1
    assert not (tmp_path / "data" / "vigil.db").exists()


def test_unknown_role_and_user_are_refused(site: Site) -> None:
    site.ok("init")
    events = site.count(AuditEvent)
    bad_role = site.run("user", "add", "bob", "--role", "general")
    assert bad_role.returncode != 0
    assert "general" in bad_role.stderr and "analyst" in bad_role.stderr, bad_role.stderr
    no_user = site.run("token", "create", "nobody")
    assert no_user.returncode == 1 and "nobody" in no_user.stderr
    assert len(no_user.stderr.strip().splitlines()) == 1, no_user.stderr
    short = site.run("user", "add", "carol", "--role", "monitor", "--password-stdin", stdin="x\n")
    assert short.returncode == 1 and "password" in short.stderr
    assert "bob" not in site.ok("user", "list")
    assert site.count(AuditEvent) == events


def test_verify_exit_codes(site: Site) -> None:
    site.ok("init")
    assert "intact" in site.ok("verify")
    engine = create_engine(site.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE user_account SET role = 'monitor' WHERE username = 'admin'"))
    engine.dispose()
    done = site.run("verify")
    assert done.returncode == 1
    assert "user_account 1 was edited" in done.stdout and "role" in done.stdout


def _observations(db_file: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT client_id, fingerprint FROM observation ORDER BY client_id")
        return [tuple(r) for r in rows]


def test_demo_with_a_seed_is_reproducible(tmp_path: Path) -> None:
    """SQLite only (the demo takes a few seconds): same seed, same observations."""
    runs = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        env = {**_base_env(folder)}
        done = Site(env, "", folder).run("demo", "--seed", "3")
        assert done.returncode == 0, done.stderr
        runs.append(_observations(folder / "data" / "vigil.db"))
    assert len(runs[0]) > 1000
    assert runs[0] == runs[1]
