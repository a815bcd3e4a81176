"""Evidence files judged by their content: types, EXIF, thumbnails, bombs (no database)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image, TiffImagePlugin
from tests import evidence_samples as s

from vigil.errors import VigilError
from vigil.formats import media
from vigil.formats.isobmff import handlers

ACCEPTED = [
    pytest.param(s.image("JPEG"), "image/jpeg", "image", id="jpeg"),
    pytest.param(s.image("PNG"), "image/png", "image", id="png"),
    pytest.param(s.image("GIF"), "image/gif", "image", id="gif"),
    pytest.param(s.image("WEBP"), "image/webp", "image", id="webp"),
    pytest.param(s.iso_media(b"heic", [b"mif1", b"heic"], []), "image/heic", "image", id="heic"),
    pytest.param(
        s.iso_media(b"isom", [b"isom", b"mp41"], [b"vide", b"soun"]), "video/mp4", "video", id="mp4"
    ),
    pytest.param(s.iso_media(b"qt  ", [b"qt  "], [b"vide"]), "video/quicktime", "video", id="mov"),
    pytest.param(
        s.iso_media(b"3gp4", [b"isom", b"3gp4"], [b"vide"]), "video/3gpp", "video", id="3gp"
    ),
    pytest.param(s.iso_media(b"3gp4", [b"3gp4"], [b"soun"]), "audio/3gpp", "audio", id="3gp-sound"),
    pytest.param(
        s.iso_media(b"M4A ", [b"M4A ", b"isom"], [b"soun"]), "audio/mp4", "audio", id="m4a"
    ),
    pytest.param(s.iso_media(b"mp42", [b"isom"], [b"soun"]), "audio/mp4", "audio", id="mp4-sound"),
    pytest.param(s.WEBM, "video/webm", "video", id="webm"),
    pytest.param(s.MKV, "video/x-matroska", "video", id="mkv"),
    pytest.param(s.MP3, "audio/mpeg", "audio", id="mp3"),
    pytest.param(s.WAV, "audio/wav", "audio", id="wav"),
    pytest.param(s.OGG_OPUS, "audio/ogg", "audio", id="ogg-opus"),
    pytest.param(s.AMR, "audio/amr", "audio", id="amr"),
    pytest.param(s.AAC, "audio/aac", "audio", id="aac"),
]


@pytest.mark.parametrize(("data", "media_type", "kind"), ACCEPTED)
def test_accepted_types_are_known_by_content(data: bytes, media_type: str, kind: str) -> None:
    assert media.sniff(io.BytesIO(data)) == media.Sniffed(media_type, kind)


REFUSED = [
    pytest.param(s.zip_bomb(1), "application/zip", id="zip"),
    pytest.param(s.PDF, "application/pdf", id="pdf"),
    pytest.param(s.EXE, "application/x-msdownload", id="exe"),
    pytest.param(s.HTML, "HTML", id="html"),
    pytest.param(
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "XML", id="svg"
    ),
    pytest.param("just some words, ça va".encode(), "text", id="text"),
    pytest.param(b"", "empty", id="empty"),
    pytest.param(s.iso_media(b"avif", [b"mif1", b"avif"], []), "image/avif", id="avif"),
    pytest.param(s.iso_media(b"crx ", [b"crx "], []), "ISO media of brand 'crx'", id="canon-raw"),
    pytest.param(s.image("TIFF"), "image/tiff", id="tiff"),
    pytest.param(bytes(range(256)) * 4, "unrecognised binary data", id="noise"),
]


@pytest.mark.parametrize(("data", "looks_like"), REFUSED)
def test_other_content_is_refused_naming_what_it_looks_like(data: bytes, looks_like: str) -> None:
    with pytest.raises(VigilError) as refused:
        media.sniff(io.BytesIO(data))
    assert refused.value.code == "unsupported_file_type"
    assert f"the content is {looks_like}," in refused.value.detail


def test_track_walk_survives_damaged_boxes() -> None:
    whole = s.iso_media(b"isom", [b"isom"], [b"vide"])
    assert handlers(io.BytesIO(whole)) == {"vide"}
    assert handlers(io.BytesIO(whole[:-20])) == set()  # moov cut short: nothing guessed
    lying = s.box(b"ftyp", b"isom\0\0\0\0") + b"\xff\xff\xff\xffmoov"
    assert handlers(io.BytesIO(lying)) == set()
    assert media.sniff(io.BytesIO(lying)).media_type == "video/mp4"


def test_exif_time_with_and_without_offset() -> None:
    dto, off = 0x9003, 0x9011
    with_offset = media.exif_time({dto: "2020:11:12 18:05:00", off: "+04:00"})
    assert with_offset == datetime(2020, 11, 12, 14, 5, tzinfo=UTC)
    assert with_offset.utcoffset() == timedelta(hours=4)
    assert media.exif_time({dto: "2020:11:12 18:05:00"}) == datetime(
        2020, 11, 12, 18, 5, tzinfo=UTC
    )
    west = media.exif_time({dto: b"2020:11:12 08:00:00\x00", off: "-03:30"})
    assert west == datetime(2020, 11, 12, 8, 0, tzinfo=timezone(-timedelta(hours=3, minutes=30)))
    assert media.exif_time({dto: "2020:11:12 18:05:00", off: "+99:00"}).utcoffset() == timedelta(0)
    for garbage in ("0000:00:00 00:00:00", "    :  :     :  :  ", "", 42, None):
        assert media.exif_time({dto: garbage}) is None
    assert media.exif_time({}) is None


def _r(n: int, d: int = 1) -> TiffImagePlugin.IFDRational:
    return TiffImagePlugin.IFDRational(n, d)


def test_exif_position_reads_references_and_rationals() -> None:
    south_west = {1: "S", 2: (_r(33), _r(30), _r(0)), 3: "W", 4: (_r(70), _r(15), _r(36, 10))}
    lat, lon = media.exif_position(south_west)  # type: ignore[misc]
    assert lat == pytest.approx(-33.5) and lon == pytest.approx(-(70 + 15 / 60 + 3.6 / 3600))
    north_east = {1: b"N", 2: (39.0, 48.0, 0.0), 3: "E", 4: (46.0, 45.0, 0.0)}
    assert media.exif_position(north_east) == (pytest.approx(39.8), pytest.approx(46.75))
    assert media.exif_position({**north_east, 1: ""}) is None  # no hemisphere: no guess
    assert media.exif_position({**north_east, 9: "V"}) is None  # receiver said void
    assert media.exif_position({**north_east, 2: (_r(1, 0), _r(0), _r(0))}) is None
    assert media.exif_position({**north_east, 2: (95.0, 0.0, 0.0)}) is None
    zero = {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}
    assert media.exif_position(zero) is None  # no fix written as 0, 0
    assert media.exif_position({}) is None


def test_image_facts_and_thumbnail_turned_by_orientation() -> None:
    data = s.photo(39.8, 46.75, "2020:11:12 18:05:00", "+04:00", size=(800, 400), orientation=6)
    facts = media.inspect_image(io.BytesIO(data), "image/jpeg", 60_000_000)
    assert (facts.width, facts.height) == (800, 400)
    assert facts.taken_at == datetime(2020, 11, 12, 14, 5, tzinfo=UTC)
    assert facts.lat == pytest.approx(39.8, abs=1e-6) and facts.lon == pytest.approx(46.75)
    thumb = Image.open(io.BytesIO(facts.thumbnail))
    assert thumb.format == "JPEG" and thumb.size == (160, 320)  # turned upright, 320 px high
    assert not thumb.getexif()  # the thumbnail carries no position


def test_transparent_and_paletted_images_get_thumbnails() -> None:
    for fmt, mode in (("PNG", "RGBA"), ("GIF", "P"), ("WEBP", "RGBA")):
        data = s.image(fmt, mode, (1000, 50))
        facts = media.inspect_image(
            io.BytesIO(data), media.sniff(io.BytesIO(data)).media_type, 10**8
        )
        assert Image.open(io.BytesIO(facts.thumbnail)).size == (320, 16)
        assert facts.taken_at is None and facts.lat is None


@pytest.mark.parametrize("size", [(40, 40), (100, 100), (100_000, 100_000)])
def test_decompression_bombs_are_refused_before_decoding(size: tuple[int, int]) -> None:
    """Over the limit (a warning in Pillow) and over twice the limit (an error) alike."""
    with pytest.raises(VigilError) as refused:
        media.inspect_image(io.BytesIO(s.png_bomb(*size)), "image/png", 1000)
    assert refused.value.code == "file_refused" and "decompression bomb" in refused.value.detail


def test_damaged_and_impostor_images_are_refused() -> None:
    whole = s.photo(size=(640, 480))
    for data, claimed in ((whole[: len(whole) // 2], "image/jpeg"), (s.image("PNG"), "image/jpeg")):
        with pytest.raises(VigilError) as refused:
            media.inspect_image(io.BytesIO(data), claimed, 10**8)
        assert refused.value.code == "file_refused"
