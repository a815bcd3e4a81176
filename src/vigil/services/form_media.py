"""Media files a form refers to (images, audio, video in its questions and choices; CSV,
GeoJSON or XML data for select_one_from_file and pulldata): kept in the file store once under
their SHA-256, listed with their MD5 in the form's manifest."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import BinaryIO

from sqlalchemy.orm import Session

from vigil.domain.roles import ADMINS
from vigil.errors import VigilError, invalid
from vigil.formats.form_data_files import MAX_DATA_BYTES, data_file_type, is_data_file
from vigil.formats.xform_instance import media_references
from vigil.queries import forms as forms_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.evidence import EvidenceRules, store_file
from vigil.services.forms import find_version, is_open
from vigil.store.blobs import BlobStore
from vigil.store.tables import FormMedia

MAX_NAME = 255


def media_name(name: str) -> str:
    """A media file's name as the form refers to it: no folders, no control characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if not base or len(base) > MAX_NAME:
        raise invalid("name", f"give the file's name as the form refers to it (1-{MAX_NAME} chars)")
    return base


def _hash(stream: BinaryIO, algorithm: str) -> str:
    """A hash of the stream's bytes; the stream is read from the start and rewound."""
    h = hashlib.new(algorithm)
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        h.update(chunk)
    stream.seek(0)
    return h.hexdigest()


def _keep(
    session: Session,
    who: Principal,
    stream: BinaryIO,
    name: str,
    blobs: BlobStore,
    rules: EvidenceRules,
    now: datetime,
) -> tuple[str, str, int]:
    """Store the file: a data file (CSV, GeoJSON, XML) checked as such, anything else as an
    image, audio or video file. (sha256, media type, size)."""
    if not is_data_file(name):
        file = store_file(session, who, blobs, stream, rules, now)
        return file.sha256, file.media_type, file.size
    stream.seek(0)
    data = stream.read(MAX_DATA_BYTES + 1)
    if len(data) > MAX_DATA_BYTES:
        raise VigilError("body_too_large", f"a form's data file may hold {MAX_DATA_BYTES} bytes")
    media_type = data_file_type(name, data)
    blob = blobs.put_bytes(data)
    return blob.sha256, media_type, blob.size


def add_media(
    session: Session,
    who: Principal | None,
    form_id: str,
    version: str,
    name: str,
    stream: BinaryIO,
    blobs: BlobStore,
    rules: EvidenceRules,
    now: datetime | None = None,
) -> tuple[FormMedia, bool]:
    """Attach a media file to a form version under the name its XForm uses; (row, created).

    The same file under the same name again returns the stored row; other bytes under a
    name already attached are refused (phones that fetched it must not get another file)."""
    who = require(who, ADMINS)
    now = now or datetime.now(UTC)
    form = find_version(session, form_id, version)
    if not is_open(form, now):
        raise VigilError("form_closed", f"form {form_id!r} version {version!r} is closed")
    name = media_name(name)
    wanted = media_references(form.xform)
    if name not in wanted:
        listed = ", ".join(sorted(wanted)) or "no media files"
        raise invalid("name", f"the form does not refer to {name!r} (it refers to {listed})")
    stored = forms_q.find_media(session, form.id, name)
    if stored is not None:
        if stored.sha256 == _hash(stream, "sha256"):
            return stored, False
        raise VigilError("already_exists", f"{name!r} is attached to this version with other bytes")
    md5 = _hash(stream, "md5")
    sha256, media_type, size = _keep(session, who, stream, name, blobs, rules, now)
    row = FormMedia(
        form_version_id=form.id, name=name, sha256=sha256, md5=md5, media_type=media_type, size=size
    )
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("form.media", row)
    return row, True
