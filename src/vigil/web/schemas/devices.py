"""What goes over the wire about phones: never a token, except once when it is issued."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vigil.services.devices import Device


class DeviceIn(BaseModel):
    """A phone to issue a token for: the reporting user it acts as, and which phone it is."""

    username: str = Field(max_length=64, description="A user who may report observations.")
    label: str = Field(max_length=200, description="Which phone, e.g. 'patrol 2 tablet'.")


class DeviceOut(BaseModel):
    """A phone: whose it is, its label, when it was issued and revoked."""

    id: int
    username: str
    label: str
    issued_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, d: Device) -> DeviceOut:
        """From the service's view of a phone."""
        return cls(
            id=d.id,
            username=d.username,
            label=d.label,
            issued_at=d.issued_at,
            revoked_at=d.revoked_at,
        )


class IssuedDeviceOut(DeviceOut):
    """A phone just issued: its token and how to set it up. Shown once, never again."""

    token: str = Field(description="The app-user token; stored only as its SHA-256.")
    server_url: str = Field(description="The server URL the phone uses: <base>/key/<token>.")
    settings_payload: str = Field(
        description="The ODK Collect settings the QR code holds: base64(zlib(JSON))."
    )
    qr_svg: str = Field(description="The QR code as an inline <svg> element.")
    qr_png: str = Field(description="The QR code as a data: URL of a PNG image.")
