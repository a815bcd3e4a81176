"""The one access gate: who is asking, and may they do this."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vigil.domain.roles import Role
from vigil.errors import VigilError
from vigil.queries import accounts as accounts_q
from vigil.store.tables import User


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user, how they signed in, and their CSRF token if a browser."""

    user_id: int
    username: str
    role: Role
    party_id: int | None
    via: str  # "token", "session" or "system"
    csrf_token: str | None = None

    @property
    def actor(self) -> str:
        """The name the audit log records."""
        return self.username


def sha256_hex(secret: str) -> str:
    """How tokens and session ids are stored: never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def system_principal(user: User) -> Principal:
    """A principal for a command run by an operator on the server itself."""
    return Principal(user.id, user.username, Role(user.role), user.party_id, "system")


def from_token(session: Session, token: str) -> Principal | None:
    """The principal a bearer token stands for, or None when unknown, revoked or disabled."""
    found = accounts_q.token_owner(session, sha256_hex(token))
    if found is None or found[1].disabled:
        return None
    user = found[1]
    return Principal(user.id, user.username, Role(user.role), user.party_id, "token")


def from_session(session: Session, cookie: str, now: datetime) -> Principal | None:
    """The principal a session cookie stands for, or None when unknown, expired or disabled."""
    found = accounts_q.session_owner(session, sha256_hex(cookie), now)
    if found is None or found[1].disabled:
        return None
    web, user = found
    return Principal(
        user.id, user.username, Role(user.role), user.party_id, "session", web.csrf_token
    )


def require(who: Principal | None, roles: Collection[Role]) -> Principal:
    """The caller, if their role is among `roles`; otherwise 401 (anonymous) or 403."""
    if who is None:
        raise VigilError("not_authenticated", "sign in, or send a bearer token")
    if who.role not in roles:
        raise VigilError("forbidden", f"the role {who.role.value} may not do this")
    return who
