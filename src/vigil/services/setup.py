"""Setting a database up: the schema (Alembic), the taxonomy, the first admin."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from vigil.domain.roles import Role
from vigil.services import accounts
from vigil.services.access import Principal
from vigil.services.mission import seed_taxonomy
from vigil.store.db import Database
from vigil.store.migrate import upgrade
from vigil.store.tables import User


def operator(name: str) -> Principal:
    """The principal of a person running commands on the server: an admin without an account."""
    return Principal(0, name[:64], Role.admin, None, "system")


def init_database(db: Database, who: Principal) -> int:
    """Migrate to the newest schema and seed the taxonomy; returns categories added."""
    upgrade(db.engine)
    with db.writing() as session:
        return seed_taxonomy(session, who)


def has_users(db: Database) -> bool:
    """True once any account exists."""
    with db.reading() as session:
        return bool(session.scalar(select(func.count()).select_from(User)))


def create_first_admin(db: Database, who: Principal, username: str, password: str | None) -> str:
    """Create the first admin; returns the password (generated when none is given)."""
    password = password or secrets.token_urlsafe(12)
    with db.writing() as session:
        accounts.add_user(session, who.actor, username, "admin", password, "Administrator")
    return password


def has_user(db: Database, username: str) -> bool:
    """True when an account with this name exists."""
    with db.reading() as session:
        return accounts.find_user(session, username) is not None
