"""What an evidence file is, judged by its content and never by its name: its media type, and
for an image its size, EXIF time and position, and a thumbnail. Videos and audio are not
decoded; only their container's header is read."""

from __future__ import annotations

import io
import math
import threading
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, BinaryIO

import filetype
from PIL import ExifTags, Image, ImageOps

from vigil.errors import VigilError
from vigil.formats.isobmff import brands, handlers

HEAD_BYTES = 8192  # what content sniffing looks at (as the filetype package does)
THUMBNAIL_PX = 320
# Accepted media types and their kind. HEIC is kept but not decoded (Pillow cannot).
ACCEPTED: dict[str, str] = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/apng": "image",
    "image/gif": "image",
    "image/webp": "image",
    "image/heic": "image",
    "video/mp4": "video",
    "video/3gpp": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "video/x-matroska": "video",
    "audio/mp4": "audio",
    "audio/3gpp": "audio",
    "audio/aac": "audio",
    "audio/mpeg": "audio",
    "audio/ogg": "audio",
    "audio/amr": "audio",
    "audio/wav": "audio",
}
ACCEPTED_WORDS = (
    "JPEG, PNG, GIF, WebP or HEIC images; MP4, 3GP, QuickTime, WebM or Matroska videos; "
    "M4A, 3GP, AAC, MP3, Ogg, AMR or WAV sound"
)
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/apng": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/3gpp": "3gp",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "audio/mp4": "m4a",
    "audio/3gpp": "3gp",
    "audio/aac": "aac",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/amr": "amr",
    "audio/wav": "wav",
}
# What Pillow must find in a file sniffed as each decodable image type.
PIL_FORMATS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"JPEG", "MPO"}),
    "image/png": frozenset({"PNG"}),
    "image/apng": frozenset({"PNG"}),
    "image/gif": frozenset({"GIF"}),
    "image/webp": frozenset({"WEBP"}),
}
_RENAMED = {"audio/x-wav": "audio/wav"}
_HEIF_BRANDS = {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"}
_AVIF_BRANDS = {"avif", "avis"}
_MP4_BRANDS = {"isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "mmp4"}
_MP4_BRANDS |= {"MSNV", "M4V ", "M4VH", "M4VP", "f4v ", "XAVC", "NDAS"}
# Pillow's pixel limit is process-wide: set it and open the header under one lock.
_OPEN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Sniffed:
    """A file's media type as its content shows it, and its kind (image, video, audio)."""

    media_type: str
    kind: str


@dataclass(frozen=True)
class ImageFacts:
    """What an image says of itself: size as encoded, EXIF time and position, a thumbnail."""

    width: int
    height: int
    taken_at: datetime | None
    lat: float | None
    lon: float | None
    thumbnail: bytes


def sniff(stream: BinaryIO) -> Sniffed:
    """The accepted type of a seekable stream's content, or unsupported_file_type naming
    what the content looks like."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    found = _iso_type(stream, head) if head[4:8] == b"ftyp" else _guess(head)
    if found in ACCEPTED:
        return Sniffed(found, ACCEPTED[found])
    raise VigilError(
        "unsupported_file_type",
        f"the content is {describe(head, found)}, not a photo, video or audio file "
        f"(accepted: {ACCEPTED_WORDS})",
    )


def _guess(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return _RENAMED.get(kind.mime, kind.mime) if kind is not None else None


def _iso_type(stream: BinaryIO, head: bytes) -> str:
    """ISO base media files (MP4, 3GP, M4A, QuickTime, HEIF) by brand, and for MP4 and 3GP
    by their tracks: a file with sound but no picture is audio."""
    major, compatible = brands(head)
    every = {major, *compatible}
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and every & _AVIF_BRANDS):
        return "image/avif"
    if major in _HEIF_BRANDS:
        return "image/heic"
    if major == "qt  ":
        return "video/quicktime"
    if major in ("M4A ", "M4B "):
        return "audio/mp4"
    if major.startswith("3g"):
        family = "3gpp"
    elif major in _MP4_BRANDS or every & {"isom", "mp41", "mp42"}:
        family = "mp4"
    else:
        return f"ISO media of brand {major.strip()!r}"
    tracks = handlers(stream)
    return f"audio/{family}" if "soun" in tracks and "vide" not in tracks else f"video/{family}"


def describe(head: bytes, media_type: str | None) -> str:
    """What refused content looks like, for the error message."""
    if media_type is not None:
        return media_type
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:1024]:
        return "HTML"
    if text.startswith(b"<?xml") or text.startswith(b"<svg"):
        return "XML"
    if not head:
        return "empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unrecognised binary data"
    return "text"


def inspect_image(stream: BinaryIO, media_type: str, max_pixels: int) -> ImageFacts:
    """Open an image safely (pixel limit against decompression bombs), read its EXIF and
    make its thumbnail; a damaged or over-large image is file_refused."""
    stream.seek(0)
    try:
        with _open(stream, max_pixels) as img:
            if img.format not in PIL_FORMATS.get(media_type, frozenset()):
                raise VigilError(
                    "file_refused", f"the file starts like {media_type} but is not a valid one"
                )
            exif = img.getexif()
            taken = exif_time(exif.get_ifd(ExifTags.IFD.Exif))
            where = exif_position(exif.get_ifd(ExifTags.IFD.GPSInfo))
            thumb = thumbnail(img)
            width, height = img.size
    except VigilError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large(max_pixels) from exc
    except Exception as exc:  # a hostile or damaged file may fail anywhere in a decoder
        raise VigilError("file_refused", f"the image is damaged: {exc}") from exc
    lat, lon = where if where else (None, None)
    return ImageFacts(width, height, taken, lat, lon, thumb)


def _open(stream: BinaryIO, max_pixels: int) -> Image.Image:
    """Image.open with the pixel limit, a bomb warning raised as an error."""
    with _OPEN_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = max_pixels
        img = Image.open(stream)
    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise _too_large(max_pixels)
    return img


def _too_large(max_pixels: int) -> VigilError:
    return VigilError(
        "file_refused",
        f"the image declares more than {max_pixels} pixels (VIGIL_MAX_IMAGE_PIXELS): "
        "refused as a decompression bomb",
    )


def thumbnail(img: Image.Image) -> bytes:
    """A JPEG at most 320 px on its longer side, turned as its EXIF orientation says, on
    white where the image is transparent; without EXIF."""
    img.draft("RGB", (THUMBNAIL_PX * 2, THUMBNAIL_PX * 2))  # JPEG: decode at a smaller scale
    img.seek(0)
    small = ImageOps.exif_transpose(img)
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    if small.mode in ("RGBA", "LA", "P", "PA"):
        rgba = small.convert("RGBA")
        small = Image.new("RGB", rgba.size, "white")
        small.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    small.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def exif_time(ifd: dict[int, Any]) -> datetime | None:
    """DateTimeOriginal with OffsetTimeOriginal; without an offset the time is taken as UTC.
    None when absent or unreadable."""
    raw = _text(ifd.get(ExifTags.Base.DateTimeOriginal))
    if raw is None:
        return None
    try:
        naive = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return naive.replace(tzinfo=_offset(_text(ifd.get(ExifTags.Base.OffsetTimeOriginal))))


def _offset(raw: str | None) -> timezone:
    """An EXIF offset such as +04:00; UTC when absent or unreadable."""
    if raw is None or len(raw) < 6 or raw[0] not in "+-" or raw[3] != ":":
        return UTC
    try:
        hours, minutes = int(raw[1:3]), int(raw[4:6])
    except ValueError:
        return UTC
    if hours > 14 or minutes > 59:
        return UTC
    sign = -1 if raw[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def exif_position(gps: dict[int, Any]) -> tuple[float, float] | None:
    """(lat, lon) from the GPS IFD; None when absent, void, without N/S/E/W, out of range,
    or exactly 0, 0 (what some cameras write without a fix)."""
    if (_text(gps.get(ExifTags.GPS.GPSStatus)) or "A").upper().startswith("V"):
        return None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or lat == lon == 0:
        return None
    return lat, lon


def _degrees(value: Any, ref: Any, refs: str) -> float | None:
    """Degrees, minutes and seconds (rationals) with their hemisphere letter."""
    letter = (_text(ref) or "").strip().upper()[:1]
    if not letter or letter not in refs:
        return None
    parts = value if isinstance(value, tuple | list) else (value,)
    try:
        numbers = [float(p) for p in parts[:3]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not numbers or not all(math.isfinite(n) and n >= 0 for n in numbers):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    return -degrees if letter == refs[1] else degrees


def _text(value: Any) -> str | None:
    """An EXIF ASCII value as text (Pillow gives str, sometimes bytes), without NULs."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip() or None
