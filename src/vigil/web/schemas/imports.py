"""What goes over the wire about imports: the report of one file, and past imports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from vigil.services.imports import ImportReport, RowResult
from vigil.store.tables import ImportFile


class RowErrorOut(BaseModel):
    """One reason a row was refused: the template column (empty: the row) and the message."""

    field: str
    message: str


class ImportRowOut(BaseModel):
    """One row, feature, waypoint or placemark, and what became of it."""

    row: str = Field(description="Where it is in the file: 'row 7', 'feature 3', 'waypoint 2'.")
    status: Literal["new", "already", "refused", "skipped"] = Field(
        description="new: imported (a dry run: would be); already: stored before with the same "
        "content; refused: see errors; skipped: not an observation (a GPX track), see note."
    )
    client_id: str | None
    observation_id: int | None = Field(description="The stored observation (new or already).")
    what: str = Field(description="Category and time, as the row gives them.")
    note: str
    errors: list[RowErrorOut]

    @classmethod
    def of(cls, r: RowResult) -> ImportRowOut:
        """Build from a row's result."""
        return cls(
            row=r.label,
            status=r.status,
            client_id=r.client_id,
            observation_id=r.observation_id,
            what=r.what,
            note=r.note,
            errors=[RowErrorOut(field=e.field, message=e.message) for e in r.errors],
        )


class ImportReportOut(BaseModel):
    """A file's import (or dry run), row by row, with the counts."""

    id: int | None = Field(description="The import's record; null for a dry run.")
    filename: str
    format: str
    sha256: str
    dry_run: bool
    partial: bool
    rows: int = Field(description="Rows that are observations (skipped ones not counted).")
    new: int
    already: int
    refused: int
    skipped: int
    earlier_imports: int = Field(description="How often this very file was imported before.")
    items: list[ImportRowOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        """Build from the service's report."""
        return cls(
            id=report.import_id,
            filename=report.filename,
            format=report.format,
            sha256=report.sha256,
            dry_run=report.dry_run,
            partial=report.partial,
            rows=report.total,
            new=report.count("new"),
            already=report.count("already"),
            refused=report.count("refused"),
            skipped=report.count("skipped"),
            earlier_imports=report.earlier,
            items=[ImportRowOut.of(r) for r in report.rows],
        )


class ImportOut(BaseModel):
    """A past import: which file, by whom, and how many rows went in, were there or refused."""

    id: int
    filename: str
    format: str
    sha256: str
    rows: int
    imported: int
    already: int
    refused: int
    partial: bool
    imported_by: str
    imported_at: datetime

    @classmethod
    def of(cls, f: ImportFile, username: str) -> ImportOut:
        """Build from the stored record."""
        return cls(
            id=f.id,
            filename=f.filename,
            format=f.format,
            sha256=f.sha256,
            rows=f.rows,
            imported=f.imported,
            already=f.already,
            refused=f.refused,
            partial=f.partial,
            imported_by=username,
            imported_at=f.imported_at,
        )


class ImportList(BaseModel):
    """The latest imports, newest first."""

    items: list[ImportOut]
