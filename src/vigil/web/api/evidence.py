"""Evidence files over HTTP: attach a photo, video or sound file to an observation, list an
observation's files, and fetch a file (the exact bytes received) or its thumbnail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from vigil.config import Settings
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.errors import VigilError, invalid
from vigil.formats.media import EXTENSIONS
from vigil.queries.accounts import users
from vigil.services import evidence as service
from vigil.services.access import Principal
from vigil.store.blobs import BlobStore
from vigil.store.db import Database
from vigil.web.deps import allow, database, settings
from vigil.web.schemas.evidence import EvidenceOut

router = APIRouter(tags=["evidence"])
FILE_TYPES: dict[str, Any] = {"image/*": {}, "video/*": {}, "audio/*": {}}


def _names(session: Session) -> dict[int, str]:
    return {u.id: u.username for u in users(session)}


@router.post(
    "/api/v1/observations/{observation_id}/evidence",
    status_code=201,
    response_model=EvidenceOut,
    responses={200: {"description": "This file was attached to this observation before"}},
)
def add_evidence(
    observation_id: int,
    response: Response,
    file: UploadFile | None = File(None, description="The photo, video or sound file"),
    field: str | None = Form(None, description="The form field it belongs to, e.g. photo"),
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> EvidenceOut:
    """Attach a file (multipart field `file`) to an observation: kept as received under its
    SHA-256, its type checked by content, its EXIF compared with the report."""
    if file is None:
        raise invalid("file", "send the file as the multipart field 'file'")
    rules = service.EvidenceRules.of(cfg)
    with db.writing() as session:
        done, created = service.add_evidence(
            session,
            who,
            BlobStore.of(cfg),
            observation_id,
            file.file,
            file.filename or "",
            field,
            rules,
        )
        if not created:
            response.status_code = 200
        return EvidenceOut.of(done.link, done.file, _names(session))


@router.get("/api/v1/observations/{observation_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(
    observation_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[EvidenceOut]:
    """The files attached to an observation, in the order they were added."""
    with db.reading() as session:
        found = service.list_evidence(session, who, observation_id)
        names = _names(session)
        return [EvidenceOut.of(a.link, a.file, names) for a in found]


@router.get(
    "/api/v1/evidence/{sha256}",
    response_class=FileResponse,
    responses={200: {"content": FILE_TYPES, "description": "The exact bytes received"}},
)
def get_evidence(
    sha256: str,
    request: Request,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """A file exactly as received; Content-Type is the type detected from its content."""
    with db.reading() as session:
        found = service.get_file(session, who, sha256)
        key, media_type = found.sha256, found.media_type
    name = f"{key}.{EXTENSIONS.get(media_type, 'bin')}"
    return _send(BlobStore.of(cfg), key, media_type, name, request)


@router.get(
    "/api/v1/evidence/{sha256}/thumbnail",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_thumbnail(
    sha256: str,
    request: Request,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """An image's thumbnail: a JPEG at most 320 px wide or high (404 for other files)."""
    with db.reading() as session:
        found = service.get_file(session, who, sha256)
        key, thumbnail = found.sha256, found.thumbnail_sha256
    if not thumbnail:
        raise VigilError("not_found", f"evidence file {key} has no thumbnail (only images have)")
    return _send(BlobStore.of(cfg), thumbnail, "image/jpeg", f"{key}-thumbnail.jpg", request)


def _send(blobs: BlobStore, sha256: str, media_type: str, name: str, request: Request) -> Response:
    """The stored bytes, cached by their hash; never run as a page by the browser."""
    if not blobs.has(sha256):
        raise VigilError(
            "not_found",
            f"the stored file {sha256} is missing from the evidence store: run `vigil verify`",
        )
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=31536000, immutable",
        "Content-Disposition": f'inline; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return FileResponse(blobs.path(sha256), media_type=media_type, headers=headers)
