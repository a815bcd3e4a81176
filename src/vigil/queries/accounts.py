"""SQL of accounts: users, API tokens and web sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigil.store.tables import ApiToken, DigestCredential, User, WebSession


def user_by_name(session: Session, username: str) -> User | None:
    """The user with this username, or None."""
    return session.scalars(select(User).where(User.username == username)).first()


def users(session: Session) -> Sequence[User]:
    """All users by name."""
    return session.scalars(select(User).order_by(User.username)).all()


def tokens_of(session: Session, user_id: int) -> Sequence[ApiToken]:
    """A user's tokens, oldest first."""
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def token_owner(session: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    """The live token with this hash and its user, or None."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def session_owner(session: Session, id_hash: str, now: datetime) -> tuple[WebSession, User] | None:
    """The unexpired web session with this hash and its user, or None."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id_hash == id_hash, WebSession.expires_at > now)
    ).first()
    return (row[0], row[1]) if row else None


def delete_session(session: Session, id_hash: str) -> None:
    """End one web session."""
    session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))


def delete_sessions_of(session: Session, user_id: int) -> None:
    """End every web session of a user (when the account is disabled)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def delete_expired_sessions(session: Session, now: datetime) -> None:
    """Forget web sessions that have expired (done at each login, so the table stays small)."""
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))


def digest_of(session: Session, username: str) -> tuple[User, DigestCredential] | None:
    """The user with this username and their HTTP Digest credential, or None."""
    row = session.execute(
        select(User, DigestCredential)
        .join(DigestCredential, DigestCredential.user_id == User.id)
        .where(User.username == username)
    ).first()
    return (row[0], row[1]) if row else None
