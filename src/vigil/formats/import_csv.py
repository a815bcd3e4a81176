"""CSV imports: the documented template (one column per observation field), UTF-8 only."""

from __future__ import annotations

import csv
import io
from collections import Counter

from vigil.errors import FieldError
from vigil.formats.import_rows import (
    COLUMNS,
    IGNORED_COLUMNS,
    ParsedFile,
    ParsedRow,
    check_row_count,
    decode_utf8,
    refuse,
    unknown_names,
)

REQUIRED = ("observed_at", "observer_kind", "category")
EXAMPLES = (
    {
        "observed_at": "2020-11-12T14:05:00+04:00",
        "time_uncertainty_s": "60",
        "observer_kind": "post",
        "post": "OP-T1",
        "category": "ceasefire_violation.explosion.artillery",
        "weapon_class": "artillery",
        "count": "3",
        "bearing_deg": "120",
        "bearing_error_deg": "5",
        "distance_m": "4000",
        "distance_error_m": "1200",
        "text": "three explosions south-east",
        "reliability": "A",
        "credibility": "2",
    },
    {
        "observed_at": "2020-11-12T16:30:00+04:00",
        "observed_to": "2020-11-12T16:45:00+04:00",
        "observer_kind": "patrol",
        "observer_name": "Patrol 7",
        "observer_lat": "39.812",
        "observer_lon": "46.751",
        "category": "ceasefire_violation.small_arms.bursts",
        "count": "12",
        "lat": "39.805",
        "lon": "46.77",
        "location_error_m": "500",
        "text": "bursts of small-arms fire for a quarter of an hour",
        "reliability": "B",
        "credibility": "2",
    },
)


def template_csv() -> bytes:
    """The template: the header and two example rows (delete them before importing)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for example in EXAMPLES:
        writer.writerow([example.get(c, "") for c in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def _header(first: list[str]) -> list[str]:
    """The column names, checked: known, not repeated, the required ones present."""
    header = [h.strip().lower() for h in first]
    errors = [
        FieldError(f"column {i + 1}", "has no name") for i, name in enumerate(header) if not name
    ]
    errors += [FieldError(n, "appears twice") for n, k in Counter(header).items() if n and k > 1]
    errors += unknown_names(n for n in header if n and n not in IGNORED_COLUMNS)
    errors += [FieldError(n, "missing column") for n in REQUIRED if n not in header]
    if errors:
        first_error = errors[0]
        raise refuse(
            f"the CSV header is not the template's: {first_error.field}: {first_error.message}",
            [FieldError(f"header.{e.field}", e.message) for e in errors],
        )
    return header


def _delimiter(text: str) -> str:
    """Comma, or semicolon when the header uses it (spreadsheets in many locales do)."""
    line = text.split("\n", 1)[0]
    return ";" if line.count(";") > line.count(",") else ","


def _row(number: int, header: list[str], record: list[str]) -> ParsedRow | None:
    """One record as a parsed row; None for a blank line."""
    if not any(cell.strip() for cell in record):
        return None
    label = f"row {number}"
    original = {h: v for h, v in zip(header, record, strict=False)}
    errors = []
    extra = record[len(header) :]
    if any(cell.strip() for cell in extra):
        errors.append(FieldError("", f"{len(record)} values for {len(header)} columns"))
    fields = {
        h: v.strip()
        for h, v in zip(header, record, strict=False)
        if v.strip() and h not in IGNORED_COLUMNS
    }
    return ParsedRow(label, fields, errors, original)


def parse_csv(data: bytes, max_rows: int) -> ParsedFile:
    """Rows of a CSV in the template's columns; row numbers as a spreadsheet shows them."""
    text = decode_utf8(data, "CSV file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[ParsedRow] = []
    try:
        first = next(reader, None)
        if first is None:
            raise refuse("the CSV file is empty")
        header = _header(first)
        for number, record in enumerate(reader, start=2):
            row = _row(number, header, record)
            if row is not None:
                rows.append(row)
                check_row_count(len(rows), max_rows, "rows")
    except csv.Error as exc:
        raise refuse(f"the CSV file is malformed near line {reader.line_num}: {exc}") from exc
    return ParsedFile("csv", rows, columns=header)
