"""Evidence files (photos, videos, sound): kept exactly as received under their SHA-256,
accepted by what their content is, and compared with the report they came with."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import BinaryIO

from sqlalchemy.orm import Session

from vigil.config import Settings
from vigil.domain.evidence import Reported, Taken, compare
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.errors import VigilError, invalid
from vigil.formats import media
from vigil.queries import audit as audit_q
from vigil.queries import evidence as evidence_q
from vigil.queries import observations as obs_q
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.store.blobs import BlobStore, Staged, is_sha256
from vigil.store.tables import EvidenceFile, Observation, ObservationEvidence

MAX_FIELD = 64
MAX_NAME = 255


@dataclass(frozen=True)
class EvidenceRules:
    """The limits and thresholds evidence is judged by (from the settings)."""

    max_bytes: int
    max_pixels: int
    far_m: float
    time_gap_s: float

    @classmethod
    def of(cls, settings: Settings) -> EvidenceRules:
        """The rules a Vigil site is configured with."""
        return cls(
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            far_m=settings.evidence_far_m,
            time_gap_s=settings.evidence_time_gap_s,
        )


@dataclass(frozen=True)
class Attached:
    """A file attached to an observation: the link (name, flags) and the file's facts."""

    link: ObservationEvidence
    file: EvidenceFile


def store_file(
    session: Session,
    who: Principal | None,
    blobs: BlobStore,
    stream: BinaryIO,
    rules: EvidenceRules,
    now: datetime | None = None,
) -> EvidenceFile:
    """Keep a file once under its SHA-256 (the same bytes again return the stored row),
    after checking by content that it is an image, video or audio file."""
    who = require(who, REPORTERS)
    now = now or datetime.now(UTC)
    with blobs.staging(stream, rules.max_bytes) as staged:
        found = evidence_q.file(session, staged.sha256)
        if found is None:
            sniffed, facts = _examine(staged, rules)
            audit_q.lock_chain(session)  # the same file sent twice at once: one row
            found = evidence_q.file(session, staged.sha256)
            if found is None:
                return _keep(session, who, blobs, staged, sniffed, facts, now)
        _restore(blobs, staged, found, rules)
        return found


def _restore(blobs: BlobStore, staged: Staged, found: EvidenceFile, rules: EvidenceRules) -> None:
    """The same bytes sent again put back a file lost from the store (same hash, so the very
    bytes), and its thumbnail when it comes out the same."""
    if not blobs.has(found.sha256):
        blobs.keep(staged)
    thumb = found.thumbnail_sha256
    if not thumb or blobs.has(thumb):
        return
    try:
        facts = _examine(staged, rules)[1]
    except VigilError:
        return  # e.g. a lower pixel limit now: the stored file stays as it is
    if facts is not None and hashlib.sha256(facts.thumbnail).hexdigest() == thumb:
        blobs.put_bytes(facts.thumbnail)


def _examine(staged: Staged, rules: EvidenceRules) -> tuple[media.Sniffed, media.ImageFacts | None]:
    """What the content is; for an image Pillow can decode, its EXIF and thumbnail."""
    with staged.open() as f:
        sniffed = media.sniff(f)
        if sniffed.media_type not in media.PIL_FORMATS:
            return sniffed, None
        return sniffed, media.inspect_image(f, sniffed.media_type, rules.max_pixels)


def _keep(
    session: Session,
    who: Principal,
    blobs: BlobStore,
    staged: Staged,
    sniffed: media.Sniffed,
    facts: media.ImageFacts | None,
    now: datetime,
) -> EvidenceFile:
    """Put the file and its thumbnail in the store, then record and audit the row."""
    thumb = blobs.put_bytes(facts.thumbnail) if facts is not None else None
    blobs.keep(staged)
    row = EvidenceFile(
        sha256=staged.sha256,
        size=staged.size,
        media_type=sniffed.media_type,
        kind=sniffed.kind,
        width=facts.width if facts else None,
        height=facts.height if facts else None,
        taken_at=facts.taken_at.astimezone(UTC) if facts and facts.taken_at else None,
        lat=facts.lat if facts else None,
        lon=facts.lon if facts else None,
        thumbnail_sha256=thumb.sha256 if thumb else None,
        received_at=now,
        received_by=who.user_id,
    )
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("evidence.store", row)
    return row


def attach(
    session: Session,
    who: Principal | None,
    observation_id: int,
    file: EvidenceFile,
    name: str,
    field: str | None,
    rules: EvidenceRules,
    now: datetime | None = None,
) -> ObservationEvidence:
    """Attach a stored file to an observation, comparing its EXIF time and position with
    the report; attaching it again returns the existing link."""
    return _attach(session, who, observation_id, file, name, field, rules, now)[0]


def _attach(
    session: Session,
    who: Principal | None,
    observation_id: int,
    file: EvidenceFile,
    name: str,
    field: str | None,
    rules: EvidenceRules,
    now: datetime | None,
) -> tuple[ObservationEvidence, bool]:
    """The link, and whether this call made it."""
    who = require(who, REPORTERS)
    now = now or datetime.now(UTC)
    field = clean_field(field)
    observation = _observation(session, observation_id)
    audit_q.lock_chain(session)  # the same attachment sent twice at once: one link
    found = evidence_q.link(session, observation_id, file.sha256)
    if found is not None:
        return found, False
    taken = Taken(file.taken_at, file.lat, file.lon)
    result = compare(taken, reported(observation), rules.far_m, rules.time_gap_s)
    row = ObservationEvidence(
        observation_id=observation_id,
        sha256=file.sha256,
        name=clean_name(name, file),
        field=field,
        distance_m=result.distance_m,
        time_gap_s=result.time_gap_s,
        flags=result.flags,
        added_at=now,
        added_by=who.user_id,
    )
    session.add(row)
    session.flush()
    Auditor(session, who.actor, now).created("evidence.attach", row)
    return row, True


def add_evidence(
    session: Session,
    who: Principal | None,
    blobs: BlobStore,
    observation_id: int,
    stream: BinaryIO,
    name: str,
    field: str | None,
    rules: EvidenceRules,
    now: datetime | None = None,
) -> tuple[Attached, bool]:
    """Store a file and attach it to an observation; True when the link is new. The
    observation and field are checked first, so a refusal stores nothing."""
    require(who, REPORTERS)
    clean_field(field)
    _observation(session, observation_id)
    stored = store_file(session, who, blobs, stream, rules, now)
    link, created = _attach(session, who, observation_id, stored, name, field, rules, now)
    return Attached(link, stored), created


def reported(o: Observation) -> Reported:
    """Where and when an observation says: the observer's position and the estimated point."""
    places = [
        (lat, lon)
        for lat, lon in ((o.observer_lat, o.observer_lon), (o.est_lat, o.est_lon))
        if lat is not None and lon is not None
    ]
    return Reported(o.observed_at, o.observed_to, places)


def clean_field(field: str | None) -> str | None:
    """The form field a file was sent in, e.g. photo; None when not given."""
    if field is None or not field.strip():
        return None
    field = field.strip()
    if len(field) > MAX_FIELD or not field.isprintable():
        raise invalid("field", f"at most {MAX_FIELD} printable characters")
    return field


def clean_name(name: str, file: EvidenceFile) -> str:
    """The client's file name without folders or control characters, at most 255
    characters; when it gives none, the hash and the type's usual extension."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if not base:
        base = f"{file.sha256[:16]}.{media.EXTENSIONS.get(file.media_type, 'bin')}"
    return base[:MAX_NAME]


def _observation(session: Session, observation_id: int) -> Observation:
    found = obs_q.by_ids(session, [observation_id])
    if not found:
        raise VigilError("not_found", f"no observation {observation_id}")
    return found[0]


def evidence_for(
    session: Session, who: Principal | None, observation_ids: list[int]
) -> dict[int, list[Attached]]:
    """The files attached to each of these observations (those without any are absent)."""
    require(who, INTERNAL)
    found: dict[int, list[Attached]] = {}
    for link, stored in evidence_q.for_observations(session, observation_ids):
        found.setdefault(link.observation_id, []).append(Attached(link, stored))
    return found


def list_evidence(session: Session, who: Principal | None, observation_id: int) -> list[Attached]:
    """The files of one observation, in the order they were added."""
    require(who, INTERNAL)
    _observation(session, observation_id)
    return evidence_for(session, who, [observation_id]).get(observation_id, [])


def get_file(session: Session, who: Principal | None, sha256: str) -> EvidenceFile:
    """A stored file's facts, for internal roles; not_found for an unknown or malformed hash."""
    require(who, INTERNAL)
    key = sha256.strip().lower()
    if not is_sha256(key):
        raise VigilError("not_found", f"{sha256[:80]!r} is not a SHA-256 (64 hexadecimal digits)")
    found = evidence_q.file(session, key)
    if found is None:
        raise VigilError("not_found", f"no evidence file {key}")
    return found
