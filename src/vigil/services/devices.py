"""Phones: app-user tokens an admin issues to one reporting user's phone and revokes when the
phone is lost. The token travels in the OpenRosa URL path (/key/{token}/...), so ODK Collect
needs no password; only its SHA-256 is stored."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain.roles import ADMINS, REPORTERS, Role
from vigil.errors import VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import devices as devices_q
from vigil.services.access import Principal, require, sha256_hex
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import DeviceToken, Mission, User

MAX_LABEL = 200
MAX_TOKEN_CHARS = 200  # far above token_urlsafe(32); longer paths are not worth hashing
DEFAULT_PROJECT = "Vigil"


@dataclass(frozen=True)
class Device:
    """A phone as the list shows it: whose it is, its label, when issued and revoked."""

    id: int
    username: str
    label: str
    issued_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: DeviceToken, user: User) -> Device:
        """From the stored row and its user."""
        return cls(row.id, user.username, row.label, row.created_at, row.revoked_at)


def _clean_label(label: str) -> str:
    text = " ".join(label.split())
    if not text:
        raise invalid("label", "name the phone, e.g. 'patrol 2 tablet'")
    if len(text) > MAX_LABEL:
        raise invalid("label", f"at most {MAX_LABEL} characters")
    return text


def _reporter(session: Session, username: str) -> User:
    """The account a phone reports as: it must exist, be enabled and be allowed to report."""
    user = accounts_q.user_by_name(session, username.strip())
    if user is None:
        raise invalid("username", f"no user {username.strip()!r}", "unknown_reference")
    if user.disabled:
        raise invalid("username", f"the account {user.username!r} is disabled")
    if Role(user.role) not in REPORTERS:
        allowed = ", ".join(sorted(r.value for r in REPORTERS))
        raise invalid("username", f"a {user.role} may not report observations (only {allowed})")
    return user


def _issuer_id(session: Session, who: Principal) -> int | None:
    """The account recorded as issuer; None for an operator at the server console, who has no
    account (the audit event names the operator)."""
    if who.user_id and session.get(User, who.user_id) is not None:
        return who.user_id
    return None


def issue_device(
    session: Session, who: Principal, username: str, label: str
) -> tuple[DeviceToken, str]:
    """Issue a token for a reporting user's phone; the secret is returned once, stored hashed."""
    require(who, ADMINS)
    clean = _clean_label(label)
    user = _reporter(session, username)
    token = secrets.token_urlsafe(32)
    row = DeviceToken(
        user_id=user.id,
        label=clean,
        token_hash=sha256_hex(token),
        created_at=datetime.now(UTC),
        created_by=_issuer_id(session, who),
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    Auditor(session, who.actor).created("device.issue", row)
    return row, token


def revoke_device(session: Session, who: Principal, device_id: int) -> Device:
    """Stop a phone's token at once (a lost phone); the row stays for the record."""
    require(who, ADMINS)
    row = session.get(DeviceToken, device_id)
    if row is None:
        raise VigilError("not_found", f"no phone {device_id}")
    if row.revoked_at is not None:
        when = row.revoked_at.isoformat(timespec="seconds")
        raise VigilError("state_conflict", f"phone {device_id} was revoked already ({when})")
    before = row_values(row)
    row.revoked_at = datetime.now(UTC)
    session.flush()
    Auditor(session, who.actor).changed("device.revoke", row, before)
    return describe(session, row)


def describe(session: Session, row: DeviceToken) -> Device:
    """A stored phone as the list shows it."""
    user = session.get(User, row.user_id)
    return Device(row.id, user.username if user else "?", row.label, row.created_at, row.revoked_at)


def list_devices(session: Session, who: Principal) -> list[Device]:
    """Every phone, live and revoked, newest first; never the tokens."""
    require(who, ADMINS)
    return [Device.of(row, user) for row, user in devices_q.devices(session)]


def phone_users(session: Session, who: Principal) -> Sequence[User]:
    """The accounts a phone may be issued to: enabled, and allowed to report."""
    require(who, ADMINS)
    reporters = {r.value for r in REPORTERS}
    return [u for u in accounts_q.users(session) if not u.disabled and u.role in reporters]


def device_principal(session: Session, token: str) -> tuple[Principal, int] | None:
    """Who a phone's token stands for, and the phone's id; None when the token is unknown or
    revoked, or the account is disabled."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    found = devices_q.device_owner(session, sha256_hex(token))
    if found is None or found[1].disabled:
        return None
    row, user = found
    return Principal(user.id, user.username, Role(user.role), user.party_id, "device"), row.id


def project_name(session: Session) -> str:
    """The name a phone shows for this server: the mission's, or Vigil's before one is set."""
    mission = session.get(Mission, 1)
    return mission.name if mission is not None and mission.name.strip() else DEFAULT_PROJECT
