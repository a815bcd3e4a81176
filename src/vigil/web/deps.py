"""Request dependencies: the database, the caller, and the roles each endpoint declares."""

from __future__ import annotations

import hmac
from collections.abc import Collection
from datetime import UTC, datetime

from fastapi import Depends, Request

from vigil.config import Settings
from vigil.domain.roles import Role
from vigil.errors import VigilError
from vigil.services import access
from vigil.services.access import Principal
from vigil.store.db import Database

SESSION_COOKIE = "vigil_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def database(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db  # type: ignore[no-any-return]


def settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


def caller(request: Request, db: Database = Depends(database)) -> Principal | None:
    """Who is asking: a bearer token, else a session cookie, else nobody (anonymous)."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if auth:
        if scheme.lower() != "bearer" or not token.strip():
            raise VigilError("invalid_credentials", "use 'Authorization: Bearer <token>'")
        with db.reading() as session:
            who = access.from_token(session, token.strip())
        if who is None:
            raise VigilError("invalid_credentials", "unknown or revoked token")
        return who
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with db.reading() as session:
        return access.from_session(session, cookie, datetime.now(UTC))


def check_csrf(request: Request, who: Principal | None, submitted: str | None) -> None:
    """A browser's unsafe request must carry its session's CSRF token (forms or header)."""
    if who is None or who.via != "session" or request.method not in UNSAFE:
        return
    token = submitted or request.headers.get(CSRF_HEADER)
    if not token or not who.csrf_token or not hmac.compare_digest(token, who.csrf_token):
        raise VigilError("csrf_failed", "send the CSRF token of your session")


class Access:
    """Declares who may call an endpoint; the permission-matrix test reads `roles`."""

    def __init__(self, roles: Collection[Role] | None) -> None:
        self.roles = frozenset(roles) if roles is not None else None

    def __call__(
        self, request: Request, who: Principal | None = Depends(caller)
    ) -> Principal | None:
        if self.roles is None:  # public
            return who
        who = access.require(who, self.roles)
        if request.url.path.startswith("/api/"):
            check_csrf(request, who, None)
        return who


def allow(roles: Collection[Role]) -> Principal:
    """Depend on this in an endpoint: the caller, whose role is one of `roles`."""
    return Depends(Access(roles))  # type: ignore[no-any-return]


def public() -> Principal | None:
    """Depend on this in an endpoint anyone may call, signed in or not."""
    return Depends(Access(None))  # type: ignore[no-any-return]
