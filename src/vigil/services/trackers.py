"""Tracked phones: a duty officer or admin registers a phone running Traccar Client or OsmAnd
to one person, lists them with each one's last position, and revokes a lost one. The device
identifier is the phone's credential: only its SHA-256 is stored, and it is shown once."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from vigil.domain.roles import INTERNAL, TRACKER_KEEPERS
from vigil.errors import VigilError, invalid
from vigil.queries import accounts as accounts_q
from vigil.queries import trackers as trackers_q
from vigil.services.access import Principal, require, sha256_hex
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import Position, TrackerDevice, User

MAX_LABEL = 200
MIN_ID_CHARS = 8  # a phone's own id must still be hard to guess: it is the credential
MAX_ID_CHARS = 128
ID_PATTERN = re.compile(r"^[A-Za-z0-9._~-]+$")  # survives a URL unescaped


@dataclass(frozen=True)
class Device:
    """A tracked phone as lists show it, with its last position (None: none yet)."""

    id: int
    username: str
    display_name: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last: Position | None


def new_identifier() -> str:
    """A fresh identifier: 24 URL-safe characters (144 random bits)."""
    return secrets.token_urlsafe(18)


def identifier_hash(identifier: str) -> str:
    """How an identifier is stored and looked up."""
    return sha256_hex(identifier.strip())


def _clean_identifier(identifier: str | None) -> str:
    if identifier is None or not identifier.strip():
        return new_identifier()
    text = identifier.strip()
    if not MIN_ID_CHARS <= len(text) <= MAX_ID_CHARS:
        raise invalid("identifier", f"{MIN_ID_CHARS} to {MAX_ID_CHARS} characters")
    if not ID_PATTERN.match(text):
        raise invalid("identifier", "letters, digits and . _ ~ - only")
    return text


def _clean_label(label: str) -> str:
    text = " ".join(label.split())
    if len(text) > MAX_LABEL:
        raise invalid("label", f"at most {MAX_LABEL} characters")
    return text


def _holder(session: Session, username: str) -> User:
    """The person a phone tracks: an enabled account of the mission (not a liaison)."""
    user = accounts_q.user_by_name(session, username.strip())
    if user is None:
        raise invalid("username", f"no user {username.strip()!r}", "unknown_reference")
    if user.disabled:
        raise invalid("username", f"the account {user.username!r} is disabled")
    if user.role not in {r.value for r in INTERNAL}:
        raise invalid("username", f"a {user.role} is not a member of the mission")
    return user


def register(
    session: Session,
    who: Principal | None,
    username: str,
    label: str = "",
    identifier: str | None = None,
    now: datetime | None = None,
) -> tuple[TrackerDevice, str]:
    """Register a phone to a person; returns the row and the identifier (shown this once)."""
    who = require(who, TRACKER_KEEPERS)
    now = now or datetime.now(UTC)
    ident = _clean_identifier(identifier)
    clean = _clean_label(label)
    user = _holder(session, username)
    if trackers_q.device_by_hash(session, identifier_hash(ident)) is not None:
        raise VigilError("already_exists", "a device with this identifier is registered already")
    row = TrackerDevice(
        identifier=identifier_hash(ident), user_id=user.id, label=clean or user.username,
        created_at=now, revoked_at=None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("tracker.register", row)
    return row, ident


def revoke(
    session: Session, who: Principal | None, device_id: int, now: datetime | None = None
) -> TrackerDevice:
    """Stop a phone's reports at once (a lost phone); its positions stay."""
    who = require(who, TRACKER_KEEPERS)
    now = now or datetime.now(UTC)
    row = session.get(TrackerDevice, device_id)
    if row is None:
        raise VigilError("not_found", f"no tracked device {device_id}")
    if row.revoked_at is not None:
        when = row.revoked_at.isoformat(timespec="seconds")
        raise VigilError("state_conflict", f"device {device_id} was revoked already ({when})")
    before = row_values(row)
    row.revoked_at = now
    session.flush()
    Auditor(session, who.actor, now).changed("tracker.revoke", row, before)
    return row


def list_devices(session: Session, who: Principal | None) -> list[Device]:
    """Every device, newest first, with its last position; never the identifiers."""
    require(who, TRACKER_KEEPERS)
    pairs = trackers_q.devices(session)
    last = trackers_q.last_positions(session, [d.id for d, _ in pairs])
    return [describe(d, u, last.get(d.id)) for d, u in pairs]


def describe(row: TrackerDevice, user: User, last: Position | None = None) -> Device:
    """A stored device as lists show it."""
    return Device(row.id, user.username, user.display_name, row.label, row.created_at,
                  row.revoked_at, last)  # fmt: skip


def holders(session: Session, who: Principal | None) -> list[User]:
    """The accounts a phone may be registered to."""
    require(who, TRACKER_KEEPERS)
    internal = {r.value for r in INTERNAL}
    return [u for u in accounts_q.users(session) if not u.disabled and u.role in internal]


def live_device(session: Session, identifier: str) -> TrackerDevice | None:
    """The registered, unrevoked device with this identifier, or None."""
    if not identifier or len(identifier) > MAX_ID_CHARS:
        return None
    row = trackers_q.device_by_hash(session, identifier_hash(identifier))
    return row if row is not None and row.revoked_at is None else None
