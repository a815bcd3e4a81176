"""A row as the audit log records it: plain JSON values, the same from any database."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import inspect

from vigil.store.tables import Base


def _plain(value: Any) -> Any:
    """A column value as JSON: UTC ISO times, ISO dates, everything else as is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def entity_type(cls: type[Base]) -> str:
    """The name an entity has in the audit log: its table name."""
    return str(cls.__tablename__)


def entity_id(cls: type[Base], values: Mapping[str, Any]) -> str:
    """The primary key as text; composite keys are joined with '/'."""
    keys = inspect(cls).primary_key
    return "/".join(str(values[c.key]) for c in keys)


def snapshot(cls: type[Base], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of a row as plain JSON; secrets only as their SHA-256."""
    out: dict[str, Any] = {}
    for column in inspect(cls).columns:
        value = _plain(values.get(column.key))
        if column.key in cls.__audit_digest__ and value is not None:
            value = "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
        out[column.key] = value
    return out


def row_values(row: Base) -> dict[str, Any]:
    """The column values of an ORM object."""
    return {c.key: getattr(row, c.key) for c in inspect(type(row)).columns}
