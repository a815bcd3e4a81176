"""A row as the audit log records it: its column values, the same from any database.

Values stay as they are (canonical JSON renders times as RFC 3339 UTC and dates as ISO);
secrets are replaced by their SHA-256. Column lists are computed once per table, since
snapshots are taken for every row of a 10,000-observation batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import inspect

from vigil.store.tables import Base


@cache
def _columns(cls: type[Base]) -> tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]:
    """(column keys, secret keys, primary-key keys) of a table."""
    mapper = inspect(cls)
    keys = tuple(c.key for c in mapper.columns)
    return keys, frozenset(cls.__audit_digest__), tuple(c.key for c in mapper.primary_key)


def entity_type(cls: type[Base]) -> str:
    """The name an entity has in the audit log: its table name."""
    return str(cls.__tablename__)


def entity_id(cls: type[Base], values: Mapping[str, Any]) -> str:
    """The primary key as text; composite keys are joined with '/'."""
    return "/".join(str(values[k]) for k in _columns(cls)[2])


def _secret(value: Any) -> Any:
    if value is None:
        return None
    data = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def unsigned_zero(value: Any) -> Any:
    """-0.0 as 0.0: equal numbers, so the ORM never writes one over the other, yet JSON tells
    them apart; the audit log and verify must see one value."""
    return 0.0 if isinstance(value, float) and value == 0.0 else value


def snapshot(cls: type[Base], values: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of a row (-0.0 as 0.0); secrets only as their SHA-256."""
    keys, secrets, _ = _columns(cls)
    out = {k: unsigned_zero(values.get(k)) for k in keys}
    for k in secrets:
        out[k] = _secret(out[k])
    return out


def row_values(row: Base) -> dict[str, Any]:
    """The column values of an ORM object."""
    return {k: getattr(row, k) for k in _columns(type(row))[0]}
