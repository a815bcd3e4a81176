"""Which import format a file is: by the name given or its extension, checked against its
content, so a spreadsheet, an archive or a web page is refused for what it is."""

from __future__ import annotations

from pathlib import PurePath

from vigil.errors import VigilError, invalid
from vigil.formats.import_csv import parse_csv
from vigil.formats.import_geojson import parse_geojson
from vigil.formats.import_gpx import parse_gpx
from vigil.formats.import_kml import parse_kml
from vigil.formats.import_rows import ParsedFile, refuse
from vigil.formats.import_xml import looks_like_html

FORMATS = ("csv", "geojson", "gpx", "kml")
EXTENSIONS = {
    ".csv": "csv",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpx": "gpx",
    ".kml": "kml",
    ".kmz": "kml",
}
NAMES = {"csv": "CSV", "geojson": "GeoJSON", "gpx": "GPX", "kml": "KML"}
# Magic numbers of files people upload by mistake (a spreadsheet saved as .xlsx, a PDF...).
MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or .ods spreadsheet?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel or Word file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
)


def format_of(filename: str, fmt: str | None) -> str:
    """The format asked for, else the one the file's extension names."""
    if fmt:
        if fmt.lower() not in FORMATS:
            raise invalid("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
        return fmt.lower()
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in EXTENSIONS:
        raise VigilError(
            "unsupported_file_type",
            f"cannot tell the format of {filename!r}: name it .csv, .geojson, .gpx, .kml or "
            ".kmz, or give the format",
        )
    return EXTENSIONS[suffix]


def sniff(data: bytes, fmt: str) -> None:
    """Refuse content that is plainly not the format (a KMZ is a ZIP: that one is allowed)."""
    if not data.strip():
        raise refuse("the file is empty")
    name = NAMES[fmt]
    if looks_like_html(data):
        raise VigilError("unsupported_file_type", f"this is HTML (a web page), not {name}")
    for magic, what in MAGIC:
        if data.startswith(magic) and not (fmt == "kml" and magic == b"PK\x03\x04"):
            raise VigilError("unsupported_file_type", f"this is {what}, not {name}")


def parse_import(
    data: bytes, filename: str, fmt: str | None, max_rows: int, max_bytes: int
) -> ParsedFile:
    """The file's rows in the format it claims to be, after checking its content."""
    chosen = format_of(filename, fmt)
    sniff(data, chosen)
    if chosen == "csv":
        return parse_csv(data, max_rows)
    if chosen == "geojson":
        return parse_geojson(data, max_rows)
    if chosen == "gpx":
        return parse_gpx(data, max_rows)
    return parse_kml(data, max_rows, max_bytes)
