"""ODK Collect's settings QR code: the settings JSON, zlib-compressed and base64-encoded, as
Collect's "Configure with QR code" (and KoBoCollect's) reads it."""

from __future__ import annotations

import base64
import io
import json
import zlib
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

import segno

from vigil.errors import invalid

PROJECT_ICON = "V"
PROJECT_COLOR = "#1d3557"  # the navy of Vigil's top bar
MAX_PAYLOAD_CHARS = 2000  # far above any real settings; keeps the QR code scannable
MAX_SETTINGS_BYTES = 64 * 1024  # what a payload may inflate to when read back


def collect_settings(
    server_url: str, project_name: str, username: str | None = None
) -> dict[str, Any]:
    """The settings a phone gets: the server, exact form updates, sending on any network."""
    general: dict[str, Any] = {
        "server_url": server_url,
        "form_update_mode": "match_exactly",
        "autosend": "wifi_and_cellular",
    }
    if username:
        general["username"] = username
    return {
        "general": general,
        "admin": {},
        "project": {"name": project_name, "icon": PROJECT_ICON, "color": PROJECT_COLOR},
    }


def base_url(url: str) -> str:
    """The address phones reach Vigil at, without a trailing slash; refused unless http(s)."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("url", "give the server's address, e.g. https://vigil.example.org")
    if parts.query or parts.fragment:
        raise invalid("url", "the address may not carry a query (?) or a fragment (#)")
    return text.rstrip("/")


def device_server_url(base: str, token: str) -> str:
    """The server URL a phone is set up with: Collect appends /formList and /submission."""
    return f"{base_url(base)}/key/{token}"


def settings_payload(settings: dict[str, Any]) -> str:
    """What the QR code holds: base64(zlib(JSON))."""
    data = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(zlib.compress(data)).decode("ascii")


def read_payload(payload: str) -> dict[str, Any]:
    """The settings a QR payload holds (the reverse of settings_payload)."""
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise invalid("payload", f"longer than {MAX_PAYLOAD_CHARS} characters")
    try:
        inflate = zlib.decompressobj()
        data = inflate.decompress(base64.b64decode(payload, validate=True), MAX_SETTINGS_BYTES)
        if inflate.unconsumed_tail or not inflate.eof:
            raise ValueError(f"more than {MAX_SETTINGS_BYTES} bytes, or cut short")
        settings = json.loads(data)
    except (ValueError, zlib.error) as exc:
        raise invalid("payload", f"not an ODK Collect settings code: {exc}") from exc
    if not isinstance(settings, dict):
        raise invalid("payload", "not an ODK Collect settings code: not a JSON object")
    return settings


def _code(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False)


def qr_svg(payload: str) -> str:
    """The QR code as an inline <svg> element (white quiet zone, so dark themes scan too)."""
    return str(
        _code(payload).svg_inline(scale=4, dark="#000", light="#fff", title="ODK Collect settings")
    )


def qr_png(payload: str) -> bytes:
    """The QR code as a PNG image."""
    buffer = io.BytesIO()
    _code(payload).save(buffer, kind="png", scale=6, dark="#000", light="#fff")
    return buffer.getvalue()


def qr_png_data_url(payload: str) -> str:
    """The QR code as a data: URL of a PNG, for an <img src> or a JSON client."""
    return "data:image/png;base64," + base64.b64encode(qr_png(payload)).decode("ascii")


def qr_terminal(payload: str, out: TextIO) -> None:
    """The QR code drawn with block characters, for a terminal."""
    _code(payload).terminal(out=out, compact=True)


@dataclass(frozen=True)
class PhoneSetup:
    """Everything a phone is set up with: its server URL, the settings and their QR payload."""

    server_url: str
    settings: dict[str, Any]
    payload: str


def phone_setup(base: str, token: str, project_name: str) -> PhoneSetup:
    """The settings for a phone that signs in with a device token in the URL path."""
    url = device_server_url(base, token)
    settings = collect_settings(url, project_name)
    return PhoneSetup(url, settings, settings_payload(settings))
