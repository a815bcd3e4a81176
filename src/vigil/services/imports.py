"""Importing observations from files: a dry run that reports every row, a real run that
stores every row or none (or, partial, the good ones), and re-imports that add nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from vigil.config import Settings
from vigil.domain.observation import ObservationDraft
from vigil.domain.roles import INTERNAL, REPORTERS, Role
from vigil.errors import FieldError, VigilError
from vigil.formats.import_detect import parse_import
from vigil.formats.import_rows import (
    COLUMNS,
    ParsedFile,
    client_id_of,
    refuse,
    refused_csv,
    resolved,
    to_draft,
)
from vigil.queries import imports as imports_q
from vigil.queries import observations as obs_q
from vigil.queries.accounts import user_by_name
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.observations import References, record_observations
from vigil.store.tables import ImportFile

Status = Literal["new", "already", "refused", "skipped"]
Tick = Callable[[str, int], None]
MAX_ERRORS = 1000  # field errors an all-or-nothing refusal lists (the count says how many rows)
CHUNK = 1000


@dataclass(frozen=True)
class ImportLimits:
    """How much one import may hold, and the clock skew allowed on its times."""

    max_rows: int = 100_000
    max_bytes: int = 64 * 1024 * 1024
    future_tolerance_s: int = 300

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        """The limits the settings configure."""
        return cls(settings.max_import_rows, settings.max_upload_bytes, settings.future_tolerance_s)


@dataclass
class RowResult:
    """What became of one row: new (imported or, in a dry run, would be), already there,
    refused with its reasons, or skipped (a GPX track) with why."""

    label: str
    status: Status = "refused"
    client_id: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    note: str = ""
    observation_id: int | None = None
    values: dict[str, str] = field(default_factory=dict)  # as read, for the refused file
    draft: ObservationDraft | None = field(default=None, repr=False)

    @property
    def what(self) -> str:
        """The row in a few words: category and time."""
        parts = (self.values.get("category", ""), self.values.get("observed_at", ""))
        return " at ".join(p for p in parts if p)

    @property
    def reason(self) -> str:
        """Why it was refused (or skipped), in one line."""
        if self.status == "skipped":
            return self.note
        return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in self.errors)


@dataclass
class ImportReport:
    """Every row of one file and what became of it; import_id is set by a real run."""

    filename: str
    format: str
    sha256: str
    dry_run: bool
    partial: bool
    columns: list[str]
    rows: list[RowResult]
    earlier: int = 0  # how often this very file was imported before
    import_id: int | None = None

    def count(self, status: Status) -> int:
        """How many rows have this status."""
        return sum(1 for r in self.rows if r.status == status)

    @property
    def total(self) -> int:
        """Rows that are observations (skipped tracks and lines not counted)."""
        return sum(1 for r in self.rows if r.status != "skipped")

    def refused_file(self) -> bytes:
        """The refused rows as CSV: as they were read, with the row and the reason."""
        rows = [r for r in self.rows if r.status == "refused"]
        return refused_csv(self.columns, [(r.label, r.values, r.reason) for r in rows])


def _quiet(stage: str, n: int) -> None:
    """No progress to show."""


def import_observations(
    session: Session,
    who: Principal | None,
    data: bytes,
    filename: str,
    fmt: str | None,
    dry_run: bool,
    partial: bool,
    now: datetime | None = None,
    limits: ImportLimits | None = None,
    tick: Tick = _quiet,
) -> ImportReport:
    """Check every row as the API would; unless a dry run, store all of them or refuse the
    file (partial: store the good ones), and record the import."""
    who = require(who, REPORTERS)
    now = now or datetime.now(UTC)
    limits = limits or ImportLimits()
    tick("reading", 0)
    parsed = parse_import(data, filename, fmt, limits.max_rows, limits.max_bytes)
    if not parsed.rows and not parsed.skipped:
        raise refuse("the file holds no observations")
    sha = hashlib.sha256(data).hexdigest()
    report = ImportReport(
        filename=filename,
        format=parsed.format,
        sha256=sha,
        dry_run=dry_run,
        partial=partial,
        columns=parsed.columns or list(COLUMNS),
        rows=_check(session, who, parsed, now, limits, tick),
        earlier=len(imports_q.by_sha256(session, sha)),
    )
    if dry_run:
        return report
    if report.count("refused") and not partial:
        raise refusal(report)
    _store(session, who, report, now, limits, tick)
    return report


def _check(
    session: Session,
    who: Principal,
    parsed: ParsedFile,
    now: datetime,
    limits: ImportLimits,
    tick: Tick,
) -> list[RowResult]:
    """Each row as a draft, checked against the database; skipped items reported last."""
    results: list[RowResult] = []
    for i, row in enumerate(parsed.rows, start=1):
        values = resolved(row, who.username)
        result = RowResult(row.label, values=row.original or values, errors=list(row.errors))
        if not result.errors:
            result.client_id = client_id_of(values)
            draft = to_draft(values, result.client_id)
            if isinstance(draft, list):
                result.errors = draft
            else:
                result.draft = draft
        results.append(result)
        if i % CHUNK == 0:
            tick("checking", CHUNK)
    tick("checking", len(parsed.rows) % CHUNK)
    pending = [r for r in results if r.draft is not None]
    _check_references(session, pending, now, limits.future_tolerance_s)
    _check_stored(session, [r for r in pending if not r.errors])
    results += [RowResult(label, "skipped", note=why) for label, why in parsed.skipped]
    return results


# The API's names for draft fields whose template column is named otherwise.
_COLUMN_OF = {"observer.post": "post"}


def _check_references(
    session: Session, pending: list[RowResult], now: datetime, tolerance_s: int
) -> None:
    """Categories, weapon classes, posts and times, exactly as the API checks them."""
    drafts = [r.draft for r in pending if r.draft is not None]
    refs = References.load(session, drafts, now, tolerance_s)
    for result in pending:
        assert result.draft is not None
        result.errors = [
            FieldError(_COLUMN_OF.get(e.field, e.field), e.message)
            for e in refs.errors(result.draft, "")
        ]


def _check_stored(session: Session, good: list[RowResult]) -> None:
    """New, already stored (the same content), or refused (the client id names other content)."""
    ids = [r.draft.client_id for r in good if r.draft is not None]
    stored = obs_q.fingerprints(session, list(dict.fromkeys(ids)))
    seen: dict[str, tuple[str, str]] = {}
    for result in good:
        assert result.draft is not None
        key, fp = result.draft.client_id, result.draft.fingerprint()
        if key in seen:
            first, first_fp = seen[key]
            result.status, result.note = "already", f"the same as {first}"
            if fp != first_fp:
                result.status, result.note = "refused", ""
                result.errors = [FieldError("client_id", f"{first} uses {key!r} for other content")]
            continue
        seen[key] = (result.label, fp)
        if key not in stored:
            result.status = "new"
            continue
        obs_id, stored_fp = stored[key]
        if stored_fp == fp:
            result.status, result.observation_id = "already", obs_id
            result.note = f"stored before as observation {obs_id}"
        else:
            message = f"{key!r} was stored before (observation {obs_id}) with other content"
            result.errors = [FieldError("client_id", message)]


def refusal(report: ImportReport) -> VigilError:
    """The all-or-nothing refusal: every refused row's reasons, and nothing stored."""
    refused = [r for r in report.rows if r.status == "refused"]
    errors = [
        FieldError(f"{r.label}.{e.field}" if e.field else r.label, e.message)
        for r in refused
        for e in r.errors
    ]
    first = errors[0]
    return VigilError(
        "import_refused",
        f"{len(refused)} of {report.total} rows refused, nothing imported "
        f"(import the good rows with partial): {first.field}: {first.message}",
        errors[:MAX_ERRORS],
        {"refused_rows": len(refused), "total_rows": report.total},
    )


def _store(
    session: Session,
    who: Principal,
    report: ImportReport,
    now: datetime,
    limits: ImportLimits,
    tick: Tick,
) -> None:
    """Record the new rows as observations (channel import) and the import itself."""
    new = [r for r in report.rows if r.status == "new" and r.draft is not None]
    if new:
        tick("storing", 0)
        drafts = [r.draft for r in new if r.draft is not None]
        done = record_observations(
            session,
            who,
            drafts,
            "import",
            [r.label for r in new],
            now,
            limits.future_tolerance_s,
        )
        for result, recorded in zip(new, done, strict=True):
            result.observation_id = recorded.values["id"]
        tick("storing", len(new))
    row = imports_q.add(
        session,
        {
            "sha256": report.sha256,
            "filename": report.filename[:255],
            "format": report.format,
            "rows": report.total,
            "imported": len(new),
            "already": report.count("already"),
            "refused": report.count("refused"),
            "partial": report.partial,
            "imported_by": who.user_id,
            "imported_at": now,
        },
    )
    Auditor(session, who.actor, now).created("import.file", row)
    report.import_id = row.id


def importer(session: Session, username: str) -> Principal:
    """The account a command-line import is made as: it must exist, be enabled and report."""
    user = user_by_name(session, username)
    if user is None:
        raise VigilError("not_found", f"no user {username!r}")
    if user.disabled:
        raise VigilError("forbidden", f"user {username!r} is disabled")
    who = Principal(user.id, user.username, Role(user.role), user.party_id, "system")
    return require(who, REPORTERS)


def list_imports(
    session: Session, who: Principal | None, limit: int = 100
) -> list[tuple[ImportFile, str]]:
    """The latest imports with who made them, for internal roles."""
    require(who, INTERNAL)
    return imports_q.latest(session, limit)
