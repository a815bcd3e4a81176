"""SQL of phones: the app-user tokens ODK Collect sends in the OpenRosa URL path."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store.tables import DeviceToken, User


def devices(session: Session) -> Sequence[tuple[DeviceToken, User]]:
    """Every phone (live and revoked) with its user, newest first."""
    rows = session.execute(
        select(DeviceToken, User)
        .join(User, User.id == DeviceToken.user_id)
        .order_by(DeviceToken.id.desc())
    ).all()
    return [(row[0], row[1]) for row in rows]


def device_owner(session: Session, token_hash: str) -> tuple[DeviceToken, User] | None:
    """The live (unrevoked) phone with this token hash and its user, or None."""
    row = session.execute(
        select(DeviceToken, User)
        .join(User, User.id == DeviceToken.user_id)
        .where(DeviceToken.token_hash == token_hash, DeviceToken.revoked_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None
