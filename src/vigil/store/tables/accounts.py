"""Accounts and their credentials: people, API tokens, Digest credentials, phones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


class User(Base):
    """A person or machine account with one role; liaisons belong to a party."""

    __tablename__ = "user_account"
    __audit_digest__ = ("password_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for machines; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __audit_digest__ = ("token_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestCredential(Base):
    """MD5(username:realm:password), kept when a password is set: what HTTP Digest needs.

    A table of its own so accounts made before it keep verifying; only its SHA-256 is audited."""

    __tablename__ = "digest_credential"
    __audit_digest__ = ("ha1",)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    realm: Mapped[str] = mapped_column(String(100))
    ha1: Mapped[str] = mapped_column(String(32))


class DeviceToken(Base):
    """A phone's app-user token, used in the OpenRosa URL path; only its SHA-256 is stored."""

    __tablename__ = "device_token"
    __audit_digest__ = ("token_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(200))  # which phone, e.g. "patrol 2 tablet"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The admin who issued it; None when an operator issued it at the server's console.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
