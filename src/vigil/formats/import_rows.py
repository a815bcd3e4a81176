"""What every import format shares: the template's columns, parsed rows, UTF-8 decoding,
deterministic client ids, and turning a row into an ObservationDraft with readable errors."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from vigil.domain.audit_chain import canonical
from vigil.domain.observation import ObservationDraft
from vigil.errors import FieldError, VigilError

# The CSV template's columns, in order; GeoJSON properties and KML/GPX data use the same names.
COLUMNS: tuple[str, ...] = (
    "client_id",
    "observed_at",
    "observed_to",
    "time_uncertainty_s",
    "observer_kind",
    "post",
    "observer_name",
    "observer_lat",
    "observer_lon",
    "observer_error_m",
    "category",
    "weapon_class",
    "count",
    "lat",
    "lon",
    "location_error_m",
    "bearing_deg",
    "bearing_error_deg",
    "distance_m",
    "distance_error_m",
    "text",
    "reliability",
    "credibility",
)
# Written by a file of refused rows; ignored on import, so a corrected file imports again.
REFUSED_ROW, REASON = "refused_row", "reason"
IGNORED_COLUMNS = frozenset({REFUSED_ROW, REASON})
_FOREIGN_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# Where each draft field (pydantic's location) comes from in the flat template.
_NESTED: dict[tuple[str, str], str] = {
    ("observer", "kind"): "observer_kind",
    ("observer", "post"): "post",
    ("observer", "name"): "observer_name",
    ("observer", "lat"): "observer_lat",
    ("observer", "lon"): "observer_lon",
    ("observer", "error_m"): "observer_error_m",
    ("location", "lat"): "lat",
    ("location", "lon"): "lon",
    ("location", "error_m"): "location_error_m",
    ("bearing", "deg"): "bearing_deg",
    ("bearing", "error_deg"): "bearing_error_deg",
    ("distance", "m"): "distance_m",
    ("distance", "error_m"): "distance_error_m",
    ("grade", "reliability"): "reliability",
    ("grade", "credibility"): "credibility",
}


@dataclass
class ParsedRow:
    """One row, feature, waypoint or placemark: its values by template name, or why not."""

    label: str
    fields: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)
    original: dict[str, str] = field(default_factory=dict)  # the row as written (CSV)
    observer_here: bool = False  # GPX/KML: by default the uploader observed it from there


@dataclass
class ParsedFile:
    """A file's rows, what was deliberately not imported (with why), and its columns."""

    format: str
    rows: list[ParsedRow]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def refuse(detail: str, errors: list[FieldError] | None = None) -> VigilError:
    """The whole file is refused; nothing is imported."""
    return VigilError("import_refused", detail, errors or [FieldError("file", detail)])


def check_row_count(n: int, max_rows: int, what: str) -> None:
    """Refuse a file with more rows than an import may hold."""
    if n > max_rows:
        raise refuse(
            f"the file holds more than {max_rows} {what}; split it (VIGIL_MAX_IMPORT_ROWS)"
        )


def decode_utf8(data: bytes, what: str) -> str:
    """The text of a UTF-8 file (a BOM is dropped); any other encoding is refused, never guessed."""
    for bom, name in _FOREIGN_BOMS:
        if data.startswith(bom):
            raise refuse(f"the {what} is {name} (byte order mark at offset 0); save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise refuse(
            f"the {what} is not UTF-8 text: byte offset {nul} is a NUL byte "
            "(UTF-16 without a byte order mark?); save it as UTF-8"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        raise refuse(
            f"the {what} is not UTF-8: byte offset {start} (line {line}) is 0x{data[start]:02x}, "
            "which UTF-8 cannot decode (cp1251 or another legacy encoding?); save it as UTF-8"
        ) from exc


def text_of(value: Any) -> str:
    """A value as the template writes it: numbers without noise, None as empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def resolved(row: ParsedRow, uploader: str) -> dict[str, str]:
    """The row's values as text, with the GPX/KML default observer (the uploader, there)."""
    values = {k: text_of(v) for k, v in row.fields.items() if text_of(v)}
    if row.observer_here and "observer_kind" not in values:
        values["observer_kind"] = "monitor"
        values.setdefault("observer_name", uploader)
        for mine, there in (("observer_lat", "lat"), ("observer_lon", "lon")):
            if mine not in values and there in values:
                values[mine] = values[there]
    return values


def client_id_of(values: Mapping[str, str]) -> str:
    """The row's client id, else one derived from its content: the same row, the same id."""
    given = values.get("client_id")
    if given:
        return given
    content = {k: v for k, v in values.items() if k != "client_id"}
    return "import:" + hashlib.sha256(canonical(content)).hexdigest()[:32]


def _nested(values: Mapping[str, str]) -> dict[str, Any]:
    """The draft's nested shape from the flat template values."""
    body: dict[str, Any] = {}
    groups: dict[str, dict[str, str]] = {}
    flat_to_nested = {flat: pair for pair, flat in _NESTED.items()}
    for name, value in values.items():
        if name in flat_to_nested:
            group, key = flat_to_nested[name]
            groups.setdefault(group, {})[key] = value
        else:
            body[name] = value
    body["observer"] = groups.get("observer", {})
    for group in ("location", "bearing", "distance", "grade"):
        if group in groups:
            body[group] = groups[group]
    return body


def template_field(loc: Iterable[Any]) -> str:
    """Pydantic's location of a draft error as the template column it comes from."""
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and (parts[0], parts[1]) in _NESTED:
        return _NESTED[(parts[0], parts[1])]
    return parts[0] if parts else ""


def to_draft(values: Mapping[str, str], client_id: str) -> ObservationDraft | list[FieldError]:
    """Validate a row exactly as the API validates an observation."""
    body = _nested({**values, "client_id": client_id})
    try:
        return ObservationDraft.model_validate(body)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            message = str(e["msg"]).removeprefix("Value error, ")
            errors.append(FieldError(template_field(e["loc"]), message))
        return errors


def unknown_names(names: Iterable[str]) -> list[FieldError]:
    """A field error for each name that is not a template column."""
    return [
        FieldError(n, f"unknown field; the fields are the template's columns ({_hint(n)})")
        for n in names
        if n not in COLUMNS
    ]


def _hint(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), COLUMNS, n=1)
    return f"did you mean {close[0]!r}?" if close else "see docs/imports.md"


def refused_csv(columns: list[str], rows: Iterable[tuple[str, Mapping[str, str], str]]) -> bytes:
    """Refused rows as CSV: their values, the row they were, and why they were refused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    header = [c for c in columns if c not in IGNORED_COLUMNS]
    writer.writerow([*header, REFUSED_ROW, REASON])
    for label, values, reason in rows:
        writer.writerow([*(values.get(c, "") for c in header), label, reason])
    return buffer.getvalue().encode("utf-8")
