"""Who a phone is: an OpenRosa request authenticates by a phone's key in the path, HTTP Basic
(the argon2 password) or HTTP Digest (the stored HA1), and only reporting roles get in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from vigil.domain.roles import REPORTERS, Role
from vigil.errors import VigilError
from vigil.services import accounts, devices
from vigil.services.access import Principal, require
from vigil.store.tables import User

WRONG = "unknown user or wrong password"


@dataclass(frozen=True)
class PhoneCaller:
    """An authenticated OpenRosa client: the reporting user, and the phone when it used a key."""

    principal: Principal
    device_id: int | None = None


def _principal(user: User, via: str) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.party_id, via)


def by_device_key(session: Session, token: str) -> PhoneCaller:
    """The phone whose key is in the path; a revoked or unknown key is refused (403: no
    password would help, the phone needs a new QR code)."""
    found = devices.device_principal(session, token)
    if found is None:
        raise VigilError(
            "forbidden",
            "this phone's key is unknown or was revoked: ask an administrator for a new QR code",
        )
    who, device_id = found
    return PhoneCaller(require(who, REPORTERS), device_id)


def by_password(session: Session, username: str, password: str) -> PhoneCaller:
    """HTTP Basic: the user's argon2 password, checked as the web login checks it."""
    user = accounts.find_user(session, username)
    stored = user.password_hash if user is not None else None
    # Verified even for unknown users (against a dummy hash), so timing reveals nothing.
    ok = accounts.password_matches(stored, password)
    if user is None or not ok or user.disabled:
        raise VigilError("invalid_credentials", WRONG)
    return PhoneCaller(require(_principal(user, "basic"), REPORTERS))


def by_digest(session: Session, username: str, verify: Callable[[str], bool]) -> PhoneCaller:
    """HTTP Digest: `verify` checks the client's response against the user's stored HA1."""
    found = accounts.digest_credential(session, username)
    if found is None or not verify(found[1]):
        raise VigilError("invalid_credentials", WRONG)
    return PhoneCaller(require(_principal(found[0], "digest"), REPORTERS))
