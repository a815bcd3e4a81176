"""The declarative base: `__audited__` and `__audit_digest__` say how verify treats a table."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base; `__audited__` marks tables whose rows verify compares."""

    __audited__ = True
    # Columns whose value is kept in the audit log only as a SHA-256 (secrets).
    __audit_digest__: tuple[str, ...] = ()
