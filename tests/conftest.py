"""Fixtures shared by every test: real databases (SQLite and PostgreSQL), apps and users.

Every storage test runs twice, on SQLite and on PostgreSQL. The PostgreSQL leg needs
VIGIL_TEST_POSTGRES_URL (an admin URL such as postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
.ci/run sets it. Each test gets a database of its own, copied from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vigil.domain.roles import Role
from vigil.services import accounts
from vigil.services.setup import init_database, operator
from vigil.store.db import Database

PG_ADMIN_URL = os.environ.get("VIGIL_TEST_POSTGRES_URL")
PG_SKIP = (
    "PostgreSQL leg skipped: set VIGIL_TEST_POSTGRES_URL to an admin URL, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres (.ci/run does)"
)
OPERATOR = operator("test")
PASSWORD = "correct horse battery"


def _pg_admin():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 (still real) at its lowest cost in-process: fixtures hash many passwords."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(1, 1024, 1))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the taxonomy, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    init_database(db, OPERATOR)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as TEMPLATE for each test's database."""
    if not PG_ADMIN_URL:
        if os.environ.get("VIGIL_REQUIRE_ALL_LEGS"):
            pytest.fail("VIGIL_REQUIRE_ALL_LEGS is set but VIGIL_TEST_POSTGRES_URL is not")
        pytest.skip(PG_SKIP)
    name = f"vigil_template_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(_pg_url(name))
    init_database(db, OPERATOR)
    db.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database with the default taxonomy: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "vigil.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    template = request.getfixturevalue("pg_template")
    name = f"vigil_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    database = Database(_pg_url(name))
    yield database
    database.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Account:
    """A test user of one role with a bearer token."""

    username: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def users(db: Database) -> dict[str, Account]:
    """One account per role (the liaison belongs to party P1), each with a token."""
    from vigil.services.mission import add_parties

    made: dict[str, Account] = {}
    with db.writing() as session:
        add_parties(
            session,
            OPERATOR,
            [
                {"code": "P1", "names": {"en": "Party One"}},
                {"code": "P2", "names": {"en": "Party Two"}},
            ],
        )
        for role in Role:
            name = role.value.replace("_", "-")
            party = "P1" if role is Role.party_liaison else None
            accounts.add_user(session, OPERATOR.actor, name, role.value, PASSWORD, "", party)
            token = accounts.create_token(session, OPERATOR.actor, name, "tests")
            made[role.value] = Account(name, role.value, token)
    return made


@pytest.fixture
def app(db: Database, tmp_path: Path):
    """The web app on the test database, its evidence files in the test's own folder."""
    from vigil.config import Settings
    from vigil.web.app import create_app

    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=db.url,
        fusion_auto=False,
        safety_auto=False,
        hotline_auto=False,
    )
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator:
    """An HTTP client for the app (no server: in-process ASGI)."""
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c
