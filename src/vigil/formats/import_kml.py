"""KML (and zipped KMZ) imports: each Point placemark is an observation; its time from
TimeStamp or TimeSpan, its fields from ExtendedData, as in the CSV template."""

from __future__ import annotations

import io
import zipfile
import zlib
from xml.etree.ElementTree import Element

from vigil.errors import FieldError, VigilError
from vigil.formats.import_rows import COLUMNS, ParsedFile, ParsedRow, check_row_count
from vigil.formats.import_xml import check_root, child_text, local, parse_xml

# A KMZ may expand to at most this many times its compressed size (above a small floor):
# KML compresses ten- to twentyfold, a zip bomb a thousandfold.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
LINES = {"LineString", "LinearRing", "Polygon", "MultiGeometry", "Model", "Track", "MultiTrack"}
NOT_A_POINT = "not imported: only Point placemarks are observations"


def _bomb(why: str) -> VigilError:
    return VigilError("file_refused", f"the KMZ file is refused: {why}")


def unzip_kmz(data: bytes, max_bytes: int) -> bytes:
    """The KML inside a KMZ (doc.kml, else the first .kml), decompressed within bounds."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        kmls = [i for i in archive.infolist() if i.filename.lower().endswith(".kml")]
        if not kmls:
            raise _bomb("it holds no .kml file")
        info = next((i for i in kmls if i.filename.lower() == "doc.kml"), kmls[0])
        limit = min(max_bytes, max(RATIO_FLOOR, info.compress_size * MAX_RATIO))
        out = bytearray()
        with archive.open(info) as stream:
            while chunk := stream.read(64 * 1024):
                out += chunk
                if len(out) > limit:
                    raise _bomb(
                        f"{info.filename} expands beyond {limit} bytes from "
                        f"{info.compress_size} (a zip bomb?)"
                    )
        return bytes(out)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _bomb(f"the archive is damaged or encrypted ({exc})") from exc


def _point(placemark: Element) -> tuple[dict[str, str], list[FieldError]] | None:
    """lat/lon of the placemark's Point; {} without geometry; None for a line or polygon."""
    for child in placemark:
        name = local(child.tag)
        if name in LINES:
            return None
        if name == "Point":
            parts = child_text(child, "coordinates").replace(" ", "").split(",")
            if len(parts) not in (2, 3) or not all(parts[:2]):
                return {}, [FieldError("coordinates", "must be lon,lat or lon,lat,alt")]
            return {"lon": parts[0], "lat": parts[1]}, []
    return {}, []


def _times(placemark: Element) -> dict[str, str]:
    for child in placemark:
        if local(child.tag) == "TimeStamp":
            return {"observed_at": child_text(child, "when")}
        if local(child.tag) == "TimeSpan":
            return {
                "observed_at": child_text(child, "begin"),
                "observed_to": child_text(child, "end"),
            }
    return {}


def _extended(placemark: Element) -> tuple[dict[str, str], list[FieldError]]:
    """<Data name="category"><value>..</value></Data> and <SimpleData name="..">..</SimpleData>."""
    fields: dict[str, str] = {}
    errors: list[FieldError] = []
    for ext in (c for c in placemark if local(c.tag) == "ExtendedData"):
        for element in ext.iter():
            kind, name = local(element.tag), element.get("name")
            if kind not in ("Data", "SimpleData") or name is None:
                continue
            value = child_text(element, "value") if kind == "Data" else (element.text or "")
            if name in ("lat", "lon"):
                errors.append(FieldError(name, "the placemark's Point is the location"))
            elif name not in COLUMNS:
                errors.append(FieldError(name, "unknown field; see the CSV template's columns"))
            else:
                fields[name] = value.strip()
    return fields, errors


def _placemark(n: int, placemark: Element) -> ParsedRow | tuple[str, str]:
    label = f"placemark {n}"
    where = _point(placemark)
    if where is None:
        name = child_text(placemark, "name")
        return label + (f" ({name[:60]})" if name else ""), NOT_A_POINT
    fields, errors = where
    text = " — ".join(
        p for p in (child_text(placemark, "name"), child_text(placemark, "description")) if p
    )
    extra, bad = _extended(placemark)
    values = {**({"text": text} if text else {}), **_times(placemark), **fields, **extra}
    values = {k: v for k, v in values.items() if v}
    return ParsedRow(label, values, errors + bad, observer_here=True)


def parse_kml(data: bytes, max_rows: int, max_bytes: int) -> ParsedFile:
    """Placemarks anywhere in the document (folders included), numbered from 1."""
    if data.startswith(b"PK\x03\x04"):
        data = unzip_kmz(data, max_bytes)
    root = parse_xml(data, "KML")
    check_root(root, "kml", "KML")
    placemarks = [e for e in root.iter() if local(e.tag) == "Placemark"]
    check_row_count(len(placemarks), max_rows, "placemarks")
    rows: list[ParsedRow] = []
    skipped: list[tuple[str, str]] = []
    for i, placemark in enumerate(placemarks, start=1):
        done = _placemark(i, placemark)
        if isinstance(done, ParsedRow):
            rows.append(done)
        else:
            skipped.append(done)
    return ParsedFile("kml", rows, skipped)
