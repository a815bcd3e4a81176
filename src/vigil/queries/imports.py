"""SQL of imported files: recording one, and the latest ones with who imported them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.store.tables import ImportFile, User


def add(session: Session, values: dict[str, Any]) -> ImportFile:
    """Insert the record of one import and flush it, so it has its id."""
    row = ImportFile(**values)
    session.add(row)
    session.flush()
    return row


def latest(session: Session, limit: int) -> list[tuple[ImportFile, str]]:
    """The latest imports, newest first, each with the importer's user name."""
    rows = session.execute(
        select(ImportFile, User.username)
        .join(User, User.id == ImportFile.imported_by)
        .order_by(ImportFile.imported_at.desc(), ImportFile.id.desc())
        .limit(limit)
    )
    return [(f, name) for f, name in rows]


def by_sha256(session: Session, sha256: str) -> list[ImportFile]:
    """Earlier imports of the same file content, oldest first."""
    return list(
        session.scalars(
            select(ImportFile).where(ImportFile.sha256 == sha256).order_by(ImportFile.id)
        )
    )
