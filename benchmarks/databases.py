"""A fresh database per measurement: a SQLite file, or a PostgreSQL database made and dropped."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from vigil.domain.geography import PostDraft
from vigil.services import geography
from vigil.services.setup import operator
from vigil.store.db import Database
from vigil.store.tables import Post, User

DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OPERATOR = operator("benchmark")


def pg_unreachable(admin_url: str) -> str | None:
    """Why the PostgreSQL leg cannot run, or None when the server answers."""
    engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver or network error means: skip the leg
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def pg_version(admin_url: str) -> str | None:
    """The PostgreSQL server's version string, when it answers."""
    if pg_unreachable(admin_url):
        return None
    engine = create_engine(admin_url)
    with engine.connect() as conn:
        version = str(conn.scalar(text("SHOW server_version")))
    engine.dispose()
    return version


@contextmanager
def fresh_database(kind: str, folder: Path, pg_admin: str) -> Iterator[str]:
    """The URL of a new, empty database of this kind; it is removed afterwards."""
    name = f"vigil_bench_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.db"
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_posts(url: str, posts: list[Any]) -> None:
    """Add the posts through the geography service (as the operator), audited like any write."""
    db = Database(url)
    try:
        with db.writing() as session:
            geography.add_posts(session, OPERATOR, [PostDraft(**p.payload()) for p in posts])
    finally:
        db.dispose()


def ids(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Post code -> id and user name -> id, to point bulk rows at existing rows."""
    db = Database(url)
    try:
        with db.reading() as session:
            post_ids = {r.code: r.id for r in session.execute(select(Post.code, Post.id))}
            user_ids = {r.username: r.id for r in session.execute(select(User.username, User.id))}
    finally:
        db.dispose()
    return post_ids, user_ids


def count_rows(url: str, table: Any) -> int:
    """How many rows a table holds."""
    db = Database(url)
    try:
        with db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(table)) or 0)
    finally:
        db.dispose()
