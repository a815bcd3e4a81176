"""Files to test evidence with, made here byte by byte: photos with EXIF written by Pillow,
containers with just their headers, bombs and impostors."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import ExifTags, Image


def photo(
    lat: float | None = None,
    lon: float | None = None,
    taken: str | None = None,
    offset: str | None = None,
    size: tuple[int, int] = (800, 400),
    orientation: int | None = None,
    colour: str = "red",
) -> bytes:
    """A JPEG with EXIF DateTimeOriginal (+ OffsetTimeOriginal) and a GPS IFD, as a phone
    writes them (degrees, minutes, seconds as rationals; N/S/E/W references)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if taken is not None:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        ifd[ExifTags.Base.DateTimeOriginal] = taken
        if offset is not None:
            ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if lat is not None and lon is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(abs(lat))
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(abs(lon))
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def image(fmt: str, mode: str = "RGB", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small image in a format Pillow writes (PNG, GIF, WEBP, JPEG)."""
    out = io.BytesIO()
    Image.new(mode, size, "blue").save(out, fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring width x height pixels, with almost no data: tiny on
    disk, enormous once decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def zip_bomb(megabytes: int = 200) -> bytes:
    """A small zip whose one member expands to `megabytes` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("photo.jpg", "w") as m:
        zeros = b"\0" * (1024 * 1024)
        for _ in range(megabytes):
            m.write(zeros)
    return out.getvalue()


def box(kind: bytes, body: bytes = b"") -> bytes:
    """One ISO base media box."""
    return struct.pack(">I", 8 + len(body)) + kind + body


def iso_media(major: bytes, compatible: list[bytes], tracks: list[bytes]) -> bytes:
    """An MP4/3GP/M4A/HEIF-like file: ftyp, a media data box, then moov with one track per
    handler type (vide, soun), as phones write them (moov last)."""
    ftyp = box(b"ftyp", major + b"\0\0\0\0" + b"".join(compatible))
    traks = b"".join(
        box(b"trak", box(b"tkhd", b"\0" * 84) + box(b"mdia", box(b"hdlr", _hdlr(t))))
        for t in tracks
    )
    return ftyp + box(b"mdat", b"\0" * 256) + box(b"moov", box(b"mvhd", b"\0" * 100) + traks)


def _hdlr(handler: bytes) -> bytes:
    return b"\0" * 8 + handler + b"\0" * 12 + b"track\0"


HTML = b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03" + b"\0" * 200
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"\0" * 10 + b"\xff\xfb\x90\x00" + b"\0" * 400
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00" + b"\0" * 200
OGG_OPUS = b"OggS\x00\x02" + b"\0" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\0" * 100
AMR = b"#!AMR\n" + b"\x3c" + b"\0" * 200
AAC = b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\0" * 200
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\0" * 200
MKV = b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + b"\0" * 200
