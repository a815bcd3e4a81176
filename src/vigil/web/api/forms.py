"""Forms over HTTP: the versions phones download, their XForm and XLSForm, a mission's own
XLSForm uploaded, a version closed, media attached."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import BinaryIO

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile

from vigil.config import Settings
from vigil.domain.roles import ADMINS, INTERNAL
from vigil.errors import VigilError, invalid
from vigil.services import form_media
from vigil.services import forms as service
from vigil.services.access import Principal
from vigil.services.evidence import EvidenceRules
from vigil.store.blobs import BlobStore
from vigil.store.db import Database
from vigil.web.deps import allow, database, settings
from vigil.web.schemas.forms import FormMediaOut, FormVersionList, FormVersionOut

router = APIRouter(prefix="/api/v1/forms", tags=["forms"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_XLSFORM_BYTES = 10 * 1024 * 1024
VERSION_PATH = "/{form_id}/versions/{version}"


def read_xlsform(stream: BinaryIO) -> bytes:
    """An uploaded XLSForm's bytes, refused when larger than any XLSForm needs to be."""
    data = stream.read(MAX_XLSFORM_BYTES + 1)
    if len(data) > MAX_XLSFORM_BYTES:
        raise VigilError("body_too_large", f"an XLSForm may be at most {MAX_XLSFORM_BYTES} bytes")
    return data


def attachment(name: str) -> dict[str, str]:
    """Headers that make a browser save the body under a file name."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}


@router.get("", response_model=FormVersionList)
def list_forms(
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> FormVersionList:
    """Every version of every form, newest first per form; the observation form is generated
    first when the taxonomy or the posts changed."""
    now = datetime.now(UTC)
    with db.writing() as session:
        views = service.list_versions(session, who, now, service.FormRules.of(cfg))
        return FormVersionList(items=[FormVersionOut.of(v, now) for v in views])


@router.post(
    "",
    status_code=201,
    response_model=FormVersionOut,
    responses={200: {"description": "This very form (id, version, content) was uploaded before"}},
)
def upload_form(
    response: Response,
    file: UploadFile | None = File(None, description="The XLSForm (.xlsx)"),
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> FormVersionOut:
    """Upload a mission's own XLSForm (multipart field `file`): it becomes the current
    version of its form_id; the version it replaces accepts submissions for the grace days."""
    if file is None:
        raise invalid("file", "send the XLSForm as the multipart field 'file'")
    data = read_xlsform(file.file)
    now = datetime.now(UTC)
    with db.writing() as session:
        row, created = service.upload_form(session, who, data, now, service.FormRules.of(cfg))
        if not created:
            response.status_code = 200
        return FormVersionOut.of(service.view_of(session, row), now)


@router.get(
    VERSION_PATH + "/xform",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}, "description": "The XForm definition"}},
)
def get_xform(
    form_id: str, version: str, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """A version's XForm, as phones download it."""
    with db.reading() as session:
        row = service.get_version(session, who, form_id, version)
        body = row.xform.encode("utf-8")
    headers = attachment(f"{form_id}-{version}.xml")
    return Response(body, media_type="text/xml; charset=utf-8", headers=headers)


@router.get(
    VERSION_PATH + "/xlsform",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The XLSForm workbook"}},
)
def get_xlsform(
    form_id: str, version: str, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> Response:
    """A version's XLSForm (.xlsx), to adapt and upload again."""
    with db.reading() as session:
        body = service.get_version(session, who, form_id, version).xlsform
    return Response(body, media_type=XLSX, headers=attachment(f"{form_id}-{version}.xlsx"))


@router.post(VERSION_PATH + "/close", response_model=FormVersionOut)
def close_version(
    form_id: str, version: str, who: Principal = allow(ADMINS), db: Database = Depends(database)
) -> FormVersionOut:
    """Stop a version accepting submissions now (a closed observation form is generated
    afresh the next time phones ask for forms)."""
    now = datetime.now(UTC)
    with db.writing() as session:
        row = service.close_version(session, who, form_id, version, now)
        return FormVersionOut.of(service.view_of(session, row), now)


@router.post(
    VERSION_PATH + "/media",
    status_code=201,
    response_model=FormMediaOut,
    responses={200: {"description": "This file was attached under this name before"}},
)
def add_media(
    form_id: str,
    version: str,
    response: Response,
    file: UploadFile | None = File(None, description="An image, audio or video file"),
    name: str | None = Form(None, description="The name the form uses (default: the file's)"),
    who: Principal = allow(ADMINS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> FormMediaOut:
    """Attach a media file the form refers to (jr://images/<name>, ...); it is listed in the
    version's OpenRosa manifest with its MD5."""
    if file is None:
        raise invalid("file", "send the media file as the multipart field 'file'")
    with db.writing() as session:
        row, created = form_media.add_media(
            session,
            who,
            form_id,
            version,
            name or file.filename or "",
            file.file,
            BlobStore.of(cfg),
            EvidenceRules.of(cfg),
        )
        if not created:
            response.status_code = 200
        return FormMediaOut.of(row)
