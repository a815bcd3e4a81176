"""Accounts: users with argon2 passwords (and the HTTP Digest credential phones need), bearer
tokens for machines, browser sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from vigil.domain.roles import Role
from vigil.errors import VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries.common import get_by
from vigil.services.access import Principal, sha256_hex
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import ApiToken, DigestCredential, Party, User, WebSession

_HASHER = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _HASHER.hash("not a password")
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
# The realm of HTTP Digest (RFC 7616) challenges; the stored HA1 is bound to it.
DIGEST_REALM = "Vigil"


def add_user(
    session: Session,
    actor: str,
    username: str,
    role: str,
    password: str | None,
    display_name: str = "",
    party_code: str | None = None,
) -> User:
    """Create an account; a party liaison must name their party, nobody else may."""
    if not re.match(USERNAME_PATTERN, username):
        raise invalid("username", "2-64 characters: lower-case letters, digits, . _ -")
    if role not in Role.__members__:
        raise invalid("role", f"one of {', '.join(Role.__members__)}")
    if password is not None:
        _check_password(password)
    if accounts_q.user_by_name(session, username) is not None:
        raise VigilError("already_exists", f"user {username!r} exists already")
    party_id = _liaison_party(session, Role(role), party_code)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        party_id=party_id,
        password_hash=_HASHER.hash(password) if password else None,
        disabled=False,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    audit = Auditor(session, actor)
    audit.created("user.add", user)
    if password:
        _set_digest(session, audit, user, password)
    return user


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise invalid("password", "at least 8 characters")
    if len(password) > 1024:
        raise invalid("password", "at most 1024 characters")


def digest_ha1(username: str, password: str, realm: str = DIGEST_REALM) -> str:
    """MD5(username:realm:password): what an HTTP Digest (MD5) server keeps instead of the
    password, since the protocol needs it to check a response."""
    data = f"{username}:{realm}:{password}".encode()
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _set_digest(session: Session, audit: Auditor, user: User, password: str) -> None:
    """Write or replace the user's Digest credential, audited (its HA1 only as a SHA-256)."""
    ha1 = digest_ha1(user.username, password)
    row = session.get(DigestCredential, user.id)
    if row is None:
        row = DigestCredential(user_id=user.id, realm=DIGEST_REALM, ha1=ha1)
        session.add(row)
        session.flush()
        audit.created("digest.set", row)
        return
    before = row_values(row)
    row.realm, row.ha1 = DIGEST_REALM, ha1
    session.flush()
    audit.changed("digest.set", row, before)


def set_password(session: Session, actor: str, username: str, password: str) -> User:
    """Give a user a new password (and so a new Digest credential); their sessions end."""
    _check_password(password)
    user = accounts_q.user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    before = row_values(user)
    user.password_hash = _HASHER.hash(password)
    session.flush()
    audit = Auditor(session, actor)
    audit.changed("user.password", user, before)
    _set_digest(session, audit, user, password)
    accounts_q.delete_sessions_of(session, user.id)
    return user


def digest_credential(session: Session, username: str) -> tuple[User, str] | None:
    """The user and their Digest HA1 for the realm, or None (unknown, disabled, or no
    password set since Digest credentials were introduced)."""
    found = accounts_q.digest_of(session, username)
    if found is None or found[0].disabled or found[1].realm != DIGEST_REALM:
        return None
    return found[0], found[1].ha1


def _liaison_party(session: Session, role: Role, party_code: str | None) -> int | None:
    if role is not Role.party_liaison:
        if party_code:
            raise invalid("party", "only a party liaison belongs to a party")
        return None
    if not party_code:
        raise invalid("party", "a party liaison must name their party")
    party = get_by(session, Party, code=party_code)
    if party is None:
        raise invalid("party", f"no party {party_code!r}", "unknown_reference")
    return party.id


def find_user(session: Session, username: str) -> User | None:
    """The account with this name, or None."""
    return accounts_q.user_by_name(session, username)


def list_users(session: Session) -> Sequence[User]:
    """Every account, by username."""
    return accounts_q.users(session)


def disable_user(session: Session, actor: str, username: str) -> User:
    """Lock an account out: its sessions end and its tokens stop working."""
    user = accounts_q.user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    before = row_values(user)
    user.disabled = True
    session.flush()
    accounts_q.delete_sessions_of(session, user.id)
    Auditor(session, actor).changed("user.disable", user, before)
    return user


def create_token(session: Session, actor: str, username: str, label: str = "") -> str:
    """Issue a bearer token for a user; the secret is returned once and stored only hashed."""
    user = accounts_q.user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    if user.disabled:
        raise invalid("username", "the account is disabled")
    secret = "vgl_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        label=label,
        token_hash=sha256_hex(secret),
        created_at=datetime.now(UTC),
        revoked_at=None,
    )
    session.add(token)
    session.flush()
    Auditor(session, actor).created("token.create", token)
    return secret


def list_tokens(session: Session, username: str) -> Sequence[ApiToken]:
    """A user's tokens (live and revoked), oldest first; never the secrets."""
    user = accounts_q.user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    return accounts_q.tokens_of(session, user.id)


def revoke_token(session: Session, actor: str, token_id: int) -> ApiToken:
    """Stop a token from working at once; the row stays for the record."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise VigilError("not_found", f"no token {token_id}")
    if token.revoked_at is None:
        before = row_values(token)
        token.revoked_at = datetime.now(UTC)
        session.flush()
        Auditor(session, actor).changed("token.revoke", token, before)
    return token


@dataclass(frozen=True)
class Login:
    """A new browser session: the cookie value (secret) and its CSRF token."""

    cookie: str
    csrf_token: str
    principal: Principal


def login(session: Session, username: str, password: str, hours: int) -> Login | None:
    """Check a password and open a session; None when refused. Both outcomes are audited,
    so the caller commits either way."""
    user = accounts_q.user_by_name(session, username)
    ok = password_matches(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        Auditor(session, "anonymous").noted("login.failed", "login", username[:64], {})
        return None
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    accounts_q.delete_expired_sessions(session, now)
    session.add(
        WebSession(
            id_hash=sha256_hex(cookie),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    Auditor(session, user.username).noted("login", "login", user.username, {})
    who = Principal(user.id, user.username, Role(user.role), user.party_id, "session", csrf)
    return Login(cookie, csrf, who)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def logout(session: Session, cookie: str) -> None:
    """End a browser session."""
    accounts_q.delete_session(session, sha256_hex(cookie))
