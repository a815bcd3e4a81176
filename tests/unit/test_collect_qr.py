"""The ODK Collect settings QR code: what it holds decodes back to the settings, exactly as
Collect reads it (base64, then zlib inflate, then JSON)."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from vigil.errors import VigilError
from vigil.formats import collect_qr

TOKEN = "Zq3-_xY0aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789a"


def test_payload_decodes_to_the_settings_as_collect_reads_them() -> None:
    setup = collect_qr.phone_setup("https://vigil.example.org/", TOKEN, "Mission Karabakh")
    raw = zlib.decompress(base64.b64decode(setup.payload))  # what Collect does
    settings = json.loads(raw)
    assert settings == setup.settings
    assert settings["general"] == {
        "server_url": f"https://vigil.example.org/key/{TOKEN}",
        "form_update_mode": "match_exactly",
        "autosend": "wifi_and_cellular",
    }
    assert settings["admin"] == {}
    project = settings["project"]
    assert project["name"] == "Mission Karabakh" and project["icon"] == "V"
    assert project["color"].startswith("#") and len(project["color"]) == 7
    assert setup.server_url.endswith(f"/key/{TOKEN}")
    assert collect_qr.read_payload(setup.payload) == settings


def test_username_goes_into_general_settings() -> None:
    settings = collect_qr.collect_settings("https://v.example.org", "Vigil", username="monitor")
    assert settings["general"]["username"] == "monitor"
    assert "username" not in collect_qr.collect_settings("https://v.example.org", "V")["general"]


def test_non_ascii_project_names_survive() -> None:
    settings = collect_qr.collect_settings("https://v.example.org/key/t", "Şuşa / Շուշի")
    payload = collect_qr.settings_payload(settings)
    assert payload.isascii()
    assert collect_qr.read_payload(payload)["project"]["name"] == "Şuşa / Շուշի"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://vigil.example.org", "https://vigil.example.org"),
        ("https://vigil.example.org/", "https://vigil.example.org"),
        (" http://10.0.0.5:8000/vigil/ ", "http://10.0.0.5:8000/vigil"),
    ],
)
def test_base_url_is_normalised(base: str, expected: str) -> None:
    assert collect_qr.base_url(base) == expected
    assert collect_qr.device_server_url(base, "t") == f"{expected}/key/t"


@pytest.mark.parametrize(
    "base", ["", "vigil.example.org", "ftp://vigil.example.org", "https://", "https://h/?a=b"]
)
def test_bad_base_urls_are_refused_naming_the_url(base: str) -> None:
    with pytest.raises(VigilError) as caught:
        collect_qr.base_url(base)
    assert caught.value.code == "validation_failed"
    assert caught.value.errors[0].field == "url"


def test_qr_images_are_svg_and_png() -> None:
    payload = collect_qr.phone_setup("https://v.example.org", TOKEN, "Vigil").payload
    svg = collect_qr.qr_svg(payload)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg  # inline in a page
    png = collect_qr.qr_png(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    data_url = collect_qr.qr_png_data_url(payload)
    assert base64.b64decode(data_url.removeprefix("data:image/png;base64,")) == png


def test_terminal_drawing_is_text() -> None:
    import io

    buffer = io.StringIO()
    collect_qr.qr_terminal("hello", buffer)
    lines = buffer.getvalue().splitlines()
    assert len(lines) > 10 and all("█" in line or "▀" in line for line in lines)


@pytest.mark.parametrize(
    "payload",
    [
        "not base64!",
        base64.b64encode(b"not zlib").decode(),
        base64.b64encode(zlib.compress(b"[1, 2]")).decode(),
        base64.b64encode(zlib.compress(b"{" * 10)).decode(),
        base64.b64encode(zlib.compress(b" " * 200_000)).decode(),  # inflates past the limit
    ],
)
def test_reading_a_bad_payload_is_a_clear_error(payload: str) -> None:
    with pytest.raises(VigilError) as caught:
        collect_qr.read_payload(payload)
    assert caught.value.errors[0].field == "payload"
