"""The monitor's web report: what the form offers, and one observation stored with its files
in one transaction, so a refused photo means no observation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from vigil.domain.compass import DEFAULT_NORTH, NorthCorrection, bearing_to_true_north
from vigil.domain.observation import ObservationDraft
from vigil.domain.roles import REPORTERS
from vigil.domain.taxonomy import WEAPON_CLASSES
from vigil.errors import FieldError, VigilError
from vigil.formats import geojson, media
from vigil.queries.common import list_all
from vigil.services.access import Principal, require
from vigil.services.compass import post_positions
from vigil.services.evidence import EvidenceRules, attach, store_file
from vigil.services.map import mission_zone
from vigil.services.observations import record_observations, signed_by_monitor
from vigil.store.blobs import BlobStore
from vigil.store.tables import Category, Post, Zone

PHOTO_FIELD = "photos"  # the form field the files come in, kept on each link


@dataclass(frozen=True)
class ReportChoices:
    """What the form lets a monitor choose from, and the mission's clock."""

    categories: list[tuple[str, str]]  # code, label, parents before their children
    posts: list[tuple[str, str]]  # code, name
    weapon_classes: tuple[str, ...]
    features: dict[str, Any]  # GeoJSON of the zones and posts, for the small map
    timezone: tzinfo


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it."""

    name: str
    stream: BinaryIO


@dataclass(frozen=True)
class AttachedFile:
    """A stored file linked to the observation, with what comparing it to the report found."""

    name: str
    kind: str
    sha256: str
    flags: list[str]
    distance_m: float | None
    time_gap_s: float | None


@dataclass(frozen=True)
class Reported:
    """The observation as stored (created now, or found: a retry), its files and its day."""

    id: int
    client_id: str
    created: bool
    observed_at: datetime
    day: date  # in mission time, for the map of that day
    timezone: tzinfo  # the mission's
    files: list[AttachedFile]
    bearing_deg: float | None = None  # as stored: from true north
    north: NorthCorrection | None = None  # the turn from magnetic north, when made


def report_choices(session: Session, who: Principal | None) -> ReportChoices:
    """Categories with their labels, the active posts, weapon classes, zones, time zone."""
    require(who, REPORTERS)
    rows = list_all(session, Category, Category.code)
    categories = [(c.code, c.label) for c in rows]
    posts = [p for p in list_all(session, Post, Post.code) if p.active]
    features = geojson.collection(
        geojson.zone_features(list_all(session, Zone, Zone.id)) + geojson.post_features(posts)
    )
    return ReportChoices(
        categories=categories,
        posts=[(p.code, p.name) for p in posts],
        weapon_classes=WEAPON_CLASSES,
        features=features,
        timezone=mission_zone(session),
    )


def report_observation(
    session: Session,
    who: Principal | None,
    draft: ObservationDraft,
    uploads: Sequence[Upload],
    blobs: BlobStore,
    rules: EvidenceRules,
    now: datetime | None = None,
    future_tolerance_s: int = 300,
    north: str = DEFAULT_NORTH,
) -> Reported:
    """Record one observation from the web form and attach its files; all or nothing.

    The draft's bearing is from `north`: a magnetic one (the phone's compass) is stored
    from true north, turned as the ODK form's are. Each file's type is checked by its
    content before anything is written, so a refused file and a wrong field are reported
    together and nothing reaches the store."""
    who = require(who, REPORTERS)
    now = now or datetime.now(UTC)
    draft, correction = bearing_to_true_north(draft, north, post_positions(session))
    draft = signed_by_monitor(session, who, draft)
    refused = file_problems(uploads)
    try:
        [done] = record_observations(
            session, who, [draft], "web", [""], now=now, future_tolerance_s=future_tolerance_s
        )
    except VigilError as e:
        if not refused:
            raise
        errors = e.errors or [FieldError("form", e.detail)]
        raise VigilError("validation_failed", e.detail, errors + refused) from e
    if refused:
        raise VigilError("unsupported_file_type", refused[0].message, refused)
    observation_id = int(done.values["id"])
    files = [_store(session, who, observation_id, u, blobs, rules, now) for u in uploads]
    observed_at = done.values["observed_at"]
    tz = mission_zone(session)
    return Reported(
        id=observation_id,
        client_id=str(done.values["client_id"]),
        created=done.created,
        observed_at=observed_at,
        day=observed_at.astimezone(tz).date(),
        timezone=tz,
        files=files,
        bearing_deg=done.values.get("bearing_deg"),
        north=correction,
    )


def file_problems(uploads: Sequence[Upload]) -> list[FieldError]:
    """The files whose content is no photo, video or sound, each named (nothing is kept)."""
    return [e for e in map(_type_problem, uploads) if e is not None]


def _type_problem(upload: Upload) -> FieldError | None:
    """A file whose content is no photo, video or sound, named; None when it is one."""
    try:
        media.sniff(upload.stream)
    except VigilError as e:
        return FieldError(PHOTO_FIELD, f"{upload.name}: {e.detail}")
    finally:
        upload.stream.seek(0)
    return None


def _store(
    session: Session,
    who: Principal,
    observation_id: int,
    upload: Upload,
    blobs: BlobStore,
    rules: EvidenceRules,
    now: datetime,
) -> AttachedFile:
    """Keep one file and link it to the observation; a refusal names the file."""
    try:
        row = store_file(session, who, blobs, upload.stream, rules, now)
    except VigilError as e:
        message = f"{upload.name}: {e.detail}"
        raise VigilError(e.code, message, [FieldError(PHOTO_FIELD, message)]) from e
    link = attach(session, who, observation_id, row, upload.name, PHOTO_FIELD, rules, now)
    return AttachedFile(
        name=link.name,
        kind=row.kind,
        sha256=row.sha256,
        flags=list(link.flags or []),
        distance_m=link.distance_m,
        time_gap_s=link.time_gap_s,
    )
