"""Phones: issue an app-user token (shown once, with its ODK Collect QR code), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from vigil.config import Settings
from vigil.domain.roles import ADMINS
from vigil.formats import collect_qr
from vigil.services import devices as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, database, settings
from vigil.web.schemas.devices import DeviceIn, DeviceOut, IssuedDeviceOut

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


def public_base(request: Request, cfg: Settings) -> str:
    """Where phones reach this server: VIGIL_PUBLIC_URL, else the address of the request."""
    return collect_qr.base_url(cfg.public_url or str(request.base_url))


@router.get("", response_model=list[DeviceOut])
def list_devices(
    who: Principal = allow(ADMINS), db: Database = Depends(database)
) -> list[DeviceOut]:
    """Every phone, live and revoked, newest first (never the tokens)."""
    with db.reading() as session:
        return [DeviceOut.of(d) for d in service.list_devices(session, who)]


@router.post("", status_code=201, response_model=IssuedDeviceOut)
def issue_device(
    body: DeviceIn,
    request: Request,
    response: Response,
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> IssuedDeviceOut:
    """Issue a token for a reporting user's phone. The token, its server URL and the QR code
    of the ODK Collect settings are in this answer only: they are never shown again."""
    base = public_base(request, cfg)
    with db.writing() as session:
        row, token = service.issue_device(session, who, body.username, body.label)
        setup = collect_qr.phone_setup(base, token, service.project_name(session))
        shown = service.describe(session, row)
    response.headers["Cache-Control"] = "no-store"  # the token is in this answer
    return IssuedDeviceOut(
        **DeviceOut.of(shown).model_dump(),
        token=token,
        server_url=setup.server_url,
        settings_payload=setup.payload,
        qr_svg=collect_qr.qr_svg(setup.payload),
        qr_png=collect_qr.qr_png_data_url(setup.payload),
    )


@router.post("/{device_id}/revoke", response_model=DeviceOut)
def revoke_device(
    device_id: int, who: Principal = allow(ADMINS), db: Database = Depends(database)
) -> DeviceOut:
    """Revoke a phone's token: it stops working at once (revoking twice answers 409)."""
    with db.writing() as session:
        return DeviceOut.of(service.revoke_device(session, who, device_id))
