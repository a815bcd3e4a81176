"""Data files a form may refer to besides images, audio and video: the CSV of a
select_one_from_file or a pulldata(), a GeoJSON or XML of choices. Checked by content, as
evidence files are: a phone that downloads one must be able to read it."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from vigil.errors import VigilError
from vigil.formats.xform_instance import parse_xml

# The suffixes ODK reads as external data, and the type each is served with.
DATA_TYPES = {".csv": "text/csv", ".geojson": "application/geo+json", ".xml": "text/xml"}
MAX_DATA_BYTES = 50 * 1024 * 1024


def is_data_file(name: str) -> bool:
    """True for a name ODK reads as external data (by its suffix, as ODK does)."""
    return PurePosixPath(name).suffix.lower() in DATA_TYPES


def data_file_type(name: str, data: bytes) -> str:
    """The type a data file is served with, once its content is what its name says; else
    unsupported_file_type saying what is wrong."""
    suffix = PurePosixPath(name).suffix.lower()
    text = _utf8(name, data)
    if suffix == ".geojson":
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise _refuse(name, f"it is not JSON ({exc})") from None
        if not isinstance(parsed, dict) or parsed.get("type") != "FeatureCollection":
            raise _refuse(name, "it is not a GeoJSON FeatureCollection")
    elif suffix == ".xml":
        try:
            parse_xml(data)
        except VigilError as exc:
            raise _refuse(name, exc.detail) from None
    elif "\x00" in text or not text.strip():
        raise _refuse(name, "a CSV needs a header line and no NUL characters")
    return DATA_TYPES[suffix]


def _utf8(name: str, data: bytes) -> str:
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(name, f"it is not UTF-8 (byte {exc.start} cannot be read)") from None


def _refuse(name: str, why: str) -> VigilError:
    return VigilError("unsupported_file_type", f"{name}: {why}")
