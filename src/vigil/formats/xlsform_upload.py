"""A mission's own XLSForm: checked as a safe .xlsx, converted with pyxform, and refused with
pyxform's own words (or the fields it lacks) when phones could not use it with Vigil."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vigil.domain.odk_mapping import missing_fields
from vigil.errors import FieldError, VigilError
from vigil.formats.xform_instance import XFormInfo, xform_info

if TYPE_CHECKING:  # openpyxl and pyxform are imported where used: they are slow to load
    from openpyxl.workbook.workbook import Workbook as XlsxBook
    from openpyxl.worksheet.worksheet import Worksheet

ZIP_MAGIC = b"PK\x03\x04"
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024  # an XLSForm is a few hundred kB at most
MAX_MEMBERS = 1000
FORM_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
VERSION = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# Fields whose type the mapping relies on, when the form has them.
TYPES = {"observed_at": "dateTime", "observer_position": "geopoint", "target": "geopoint"}


@dataclass(frozen=True)
class UploadedForm:
    """A converted XLSForm: what the XForm says of itself, the XForm, the workbook's bytes."""

    info: XFormInfo
    xform: str
    xlsform: bytes


def _refuse(detail: str, errors: list[FieldError] | None = None) -> VigilError:
    return VigilError("invalid_form", detail[:1000], errors or [])


def open_workbook(data: bytes) -> XlsxBook:
    """The .xlsx workbook in the bytes; refused when it is not one or would unpack too big."""
    if not data.startswith(ZIP_MAGIC):
        raise VigilError(
            "unsupported_file_type", "an XLSForm must be an .xlsx workbook (Excel 2007 or later)"
        )
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _refuse(f"the file is not a readable .xlsx workbook: {exc}") from None
    unpacked = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNZIPPED_BYTES:
        raise VigilError(
            "file_refused",
            f"the workbook would unpack to {unpacked} bytes in {len(members)} parts; "
            f"an XLSForm needs at most {MAX_UNZIPPED_BYTES} bytes",
        )
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise _refuse(f"the workbook cannot be read: {type(exc).__name__}: {exc}") from None


def _cell_text(value: Any) -> str | None:
    """A cell as pyxform reads it: 3.0 is "3", blanks are None."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _settings_sheet(book: XlsxBook) -> Worksheet | None:
    return next((book[n] for n in book.sheetnames if n.strip().lower() == "settings"), None)


def _settings(book: XlsxBook) -> dict[str, str]:
    """The settings sheet's first row of values by column header (lower case)."""
    sheet = _settings_sheet(book)
    if sheet is None:
        return {}
    rows = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    if len(rows) < 2:
        return {}
    found = {}
    for head, value in zip(rows[0], rows[1], strict=False):
        key, text = _cell_text(head), _cell_text(value)
        if key and text:
            found[key.lower()] = text
    return found


def _with_version(book: XlsxBook, version: str) -> bytes:
    """The workbook with a version in its settings sheet, as .xlsx bytes."""
    sheet = _settings_sheet(book)
    assert sheet is not None  # a form_id was found in it
    headers = [_cell_text(c.value) for c in sheet[1]]
    lower = [(h or "").lower() for h in headers]
    column = lower.index("version") + 1 if "version" in lower else len(headers) + 1
    sheet.cell(row=1, column=column, value="version")
    sheet.cell(row=2, column=column, value=version)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _convert(data: bytes) -> str:
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    try:
        return str(convert(xlsform=data, form_name="data", file_type=".xlsx", warnings=[]).xform)
    except PyXFormError as exc:
        raise _refuse(f"pyxform cannot convert the form: {exc}") from None
    except Exception as exc:  # pyxform's other failures: a message, never a traceback
        raise _refuse(f"pyxform cannot convert the form: {type(exc).__name__}: {exc}") from None


def _check(info: XFormInfo) -> None:
    """Identity fit for URLs and the database; the fields Vigil maps, with their types."""
    errors = [
        FieldError(name, "missing: Vigil maps it into observations")
        for name in missing_fields(info.fields)
    ]
    errors += [
        FieldError(name, f"must be of type {kind}, not {info.fields[name]}")
        for name, kind in TYPES.items()
        if name in info.fields and info.fields[name] != kind
    ]
    if not FORM_ID.match(info.form_id):
        errors.append(FieldError("settings.form_id", "letters, digits, _ . - (at most 64)"))
    if not VERSION.match(info.version or ""):
        errors.append(FieldError("settings.version", "letters, digits, _ . - (at most 32)"))
    if len(info.title) > 200:
        errors.append(FieldError("settings.form_title", "at most 200 characters"))
    if errors:
        names = ", ".join(e.field for e in errors)
        raise _refuse(f"the form cannot be used by Vigil: {names}", errors)


def read_upload(data: bytes, new_version: Callable[[str], str]) -> UploadedForm:
    """Convert an uploaded XLSForm; a form without a version gets new_version(form_id)."""
    book = open_workbook(data)
    settings = _settings(book)
    form_id = settings.get("form_id") or settings.get("id_string")
    if not form_id:
        raise _refuse(
            "the settings sheet must name the form's form_id",
            [FieldError("settings.form_id", "missing")],
        )
    if not settings.get("version"):
        data = _with_version(book, new_version(form_id))
    xform = _convert(data)
    info = xform_info(xform)
    _check(info)
    return UploadedForm(info, xform, data)
