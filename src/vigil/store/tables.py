"""The tables. Every table but the audit log, sessions and the chain head is audited:
each row has an audit trail whose last state `vigil verify` compares it with."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vigil.store.types import BigId, UTCDateTime


class Base(DeclarativeBase):
    """Declarative base; `__audited__` marks tables whose rows verify compares."""

    __audited__ = True
    # Columns whose value is kept in the audit log only as a SHA-256 (secrets).
    __audit_digest__: tuple[str, ...] = ()


class Mission(Base):
    """The mission itself: one row."""

    __tablename__ = "mission"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    mandate_start: Mapped[date] = mapped_column(Date)
    mandate_end: Mapped[date | None] = mapped_column(Date)
    renewal_terms: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Party(Base):
    """A party to the agreement; parties are data, never code."""

    __tablename__ = "party"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    role: Mapped[str] = mapped_column(String(32), default="party")


class Category(Base):
    """One node of the mission's observation taxonomy."""

    __tablename__ = "category"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))


class Zone(Base):
    """A named geometry with a kind (line of contact, corridor, withdrawal zone, ...)."""

    __tablename__ = "zone"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)


class Place(Base):
    """A gazetteer entry: names in every language and every alias."""

    __tablename__ = "place"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Post(Base):
    """A fixed observation post, camera or acoustic sensor."""

    __tablename__ = "post"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    elevation_m: Mapped[float | None] = mapped_column(Float)
    view_from_deg: Mapped[float | None] = mapped_column(Float)
    view_to_deg: Mapped[float | None] = mapped_column(Float)
    range_m: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Provision(Base):
    """One obligation of the ceasefire agreement."""

    __tablename__ = "provision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    binding: Mapped[list[str]] = mapped_column(JSON)
    in_force_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    zones: Mapped[list[str]] = mapped_column(JSON)


class User(Base):
    """A person or machine account with one role; liaisons belong to a party."""

    __tablename__ = "user_account"
    __audit_digest__ = ("password_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for machines; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    __audit_digest__ = ("token_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestCredential(Base):
    """MD5(username:realm:password), kept when a password is set: what HTTP Digest needs.

    A table of its own so accounts made before it keep verifying; only its SHA-256 is audited."""

    __tablename__ = "digest_credential"
    __audit_digest__ = ("ha1",)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    realm: Mapped[str] = mapped_column(String(100))
    ha1: Mapped[str] = mapped_column(String(32))


class DeviceToken(Base):
    """A phone's app-user token, used in the OpenRosa URL path; only its SHA-256 is stored."""

    __tablename__ = "device_token"
    __audit_digest__ = ("token_hash",)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    label: Mapped[str] = mapped_column(String(200))  # which phone, e.g. "patrol 2 tablet"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The admin who issued it; None when an operator issued it at the server's console.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Observation(Base):
    """One thing one observer saw or heard, once. Never overwritten."""

    __tablename__ = "observation"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    submitted_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    observed_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_uncertainty_s: Mapped[float] = mapped_column(Float)
    observer_kind: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    observer_name: Mapped[str | None] = mapped_column(String(200))
    observer_lat: Mapped[float | None] = mapped_column(Float)
    observer_lon: Mapped[float | None] = mapped_column(Float)
    observer_error_m: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(ForeignKey("category.code"))
    weapon_class: Mapped[str | None] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_error_m: Mapped[float | None] = mapped_column(Float)
    bearing_deg: Mapped[float | None] = mapped_column(Float)
    bearing_error_deg: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    distance_error_m: Mapped[float | None] = mapped_column(Float)
    # Where the thing probably was (location, or bearing + distance, else the observer).
    est_lat: Mapped[float | None] = mapped_column(Float)
    est_lon: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text, default="")
    reliability: Mapped[str] = mapped_column(String(1))
    credibility: Mapped[str] = mapped_column(String(1))
    # new; replaced when an edit (ODK meta/deprecatedID) superseded it: fusion skips it.
    status: Mapped[str] = mapped_column(String(16), default="new")

    __table_args__ = (
        Index("ix_observation_time_place", "observed_at", "est_lon", "est_lat"),
        Index("ix_observation_category_time", "category", "observed_at"),
    )


class Incident(Base):
    """A real-world event as the mission believes it happened."""

    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("category.code"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    ellipse_major_m: Mapped[float | None] = mapped_column(Float)
    ellipse_minor_m: Mapped[float | None] = mapped_column(Float)
    ellipse_angle_deg: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    attribution_party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"))
    attribution_confidence: Mapped[str | None] = mapped_column(String(16))
    attribution_evidence: Mapped[str] = mapped_column(Text, default="")
    killed: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    damage: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    # The analyst who grouped it by hand; None when fusion created it.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_incident_time", "started_at"),)


class IncidentObservation(Base):
    """Which observations an incident was fused from."""

    __tablename__ = "incident_observation"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), primary_key=True)

    __table_args__ = (Index("ix_incident_observation_obs", "observation_id"),)


class FusionRun(Base):
    """One pass of fusion over a time range, and what it changed."""

    __tablename__ = "fusion_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))  # auto, cli, api, demo
    time_from: Mapped[datetime] = mapped_column(UTCDateTime)
    time_to: Mapped[datetime] = mapped_column(UTCDateTime)
    last_observation_id: Mapped[int] = mapped_column(BigId)
    observations: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    superseded: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentSummary(Base):
    """A multi-count report ("12 explosions 14:05-14:20") that also covers an incident."""

    __tablename__ = "incident_summary"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), primary_key=True)

    __table_args__ = (Index("ix_incident_summary_obs", "observation_id"),)


class IncidentFusion(Base):
    """How fusion arrived at an incident: its location fix, confidence and explanation."""

    __tablename__ = "incident_fusion"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    location_kind: Mapped[str] = mapped_column(String(16))  # point, wedge, degenerate, none
    cov_ee: Mapped[float | None] = mapped_column(Float)  # covariance, m², east/north
    cov_en: Mapped[float | None] = mapped_column(Float)
    cov_nn: Mapped[float | None] = mapped_column(Float)
    wedge: Mapped[str | None] = mapped_column(Text)  # GeoJSON polygon of a bearing-only area
    existence_p: Mapped[float] = mapped_column(Float)
    alt_events: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text)  # canonical JSON
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("fusion_run.id"))


class FusionDecision(Base):
    """An analyst's ruling that later fusion runs respect: merge, split, detach or pin."""

    __tablename__ = "fusion_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The incident it was made on (None for a grouping made from observations).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    # JSON: groups of observation ids (merge: one group; split: several; detach: one).
    groups: Mapped[str] = mapped_column(Text, default="[]")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    error_m: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(ForeignKey("category.code"))  # for a merge
    reason: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_fusion_decision_incident", "incident_id"),)


class EvidenceFile(Base):
    """A photo, video or audio file, stored once under its SHA-256 and never overwritten."""

    __tablename__ = "evidence_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))  # detected from the content
    kind: Mapped[str] = mapped_column(String(16))  # image, video, audio
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # From EXIF, when the file carries it.
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class ObservationEvidence(Base):
    """A file attached to an observation, with what comparing its EXIF to the report found."""

    __tablename__ = "observation_evidence"
    observation_id: Mapped[int] = mapped_column(ForeignKey("observation.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_file.sha256"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))  # the file name as the client sent it
    field: Mapped[str | None] = mapped_column(String(64))  # the form field, e.g. photo
    # Distance from the EXIF position to the reported place, and EXIF time minus report time.
    distance_m: Mapped[float | None] = mapped_column(Float)
    time_gap_s: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[list[str]] = mapped_column(JSON)  # e.g. far_from_report, time_mismatch
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (Index("ix_observation_evidence_sha256", "sha256"),)


class FormVersion(Base):
    """One version of an XForm that phones download: generated from the taxonomy, or uploaded."""

    __tablename__ = "form_version"
    __audit_digest__ = ("xlsform",)  # the workbook's bytes: the audit log keeps their SHA-256
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))  # generated, uploaded
    # SHA-256 of what a generated form was made from (taxonomy, posts): a change makes a version.
    basis: Mapped[str] = mapped_column(String(64), default="")
    xform: Mapped[str] = mapped_column(Text)
    md5: Mapped[str] = mapped_column(String(32))  # of the XForm bytes, as formList publishes
    xlsform: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # When a newer version replaced it, submissions to it are accepted until closes_at.
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("form_id", "version"),)


class FormMedia(Base):
    """A file a form version refers to (listed in its OpenRosa manifest): an image, audio or
    video, or a data file (the CSV of a select_one_from_file); its bytes are in the file store."""

    __tablename__ = "form_media"
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)


class Submission(Base):
    """An OpenRosa submission exactly as received (raw XML kept), and what it became."""

    __tablename__ = "submission"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(128), unique=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"))
    xml: Mapped[str] = mapped_column(Text)
    xml_sha256: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    device_token_id: Mapped[int | None] = mapped_column(ForeignKey("device_token.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False while parts of a split submission are still to come.
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observation.id"))
    # meta/deprecatedID: the instance this one edits (its observation is then replaced).
    deprecated_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_submission_deprecated", "deprecated_id"),)


class SubmissionAttachment(Base):
    """A file a submission names; sha256 stays empty until a part of the submission brings it."""

    __tablename__ = "submission_attachment"
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    field: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(ForeignKey("evidence_file.sha256"))


class ImportFile(Base):
    """A file imported into observations: what it was, and how many rows went in or not."""

    __tablename__ = "import_file"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))  # csv, geojson, gpx, kml
    rows: Mapped[int] = mapped_column(Integer)
    imported: Mapped[int] = mapped_column(Integer)  # new observations
    already: Mapped[int] = mapped_column(Integer)  # rows stored before (a re-import)
    refused: Mapped[int] = mapped_column(Integer)
    partial: Mapped[bool] = mapped_column(Boolean)
    imported_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_import_file_sha256", "sha256"),)


class IncidentReview(Base):
    """One step of an incident's review: from which status to which, why, by whom, under which
    rule of the mission's review policy."""

    __tablename__ = "incident_review"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    # What the policy check found (the rule that was met, or why none had to be).
    check: Mapped[dict[str, Any]] = mapped_column(JSON)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_incident_review_incident", "incident_id"),)


class ReviewAssignment(Base):
    """Who reviews an incident (one reviewer at a time)."""

    __tablename__ = "review_assignment"
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_review_assignment_reviewer", "reviewer_id"),)


class ReviewPolicy(Base):
    """The mission's rules for reaching a review status, e.g. verified needs two independent
    sources or one monitor's direct sighting (one row; data, never code)."""

    __tablename__ = "review_policy"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SourceProfile(Base):
    """The default reliability (Admiralty A-F) of a source: a post, a patrol, a sensor, a
    monitor or a third party (media, a party's statement); key "*" is the default of its kind."""

    __tablename__ = "source_profile"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    reliability: Mapped[str] = mapped_column(String(1))
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("kind", "key"),)


class TruthEvent(Base):
    """Ground truth of a simulated scenario, kept apart so fusion can be measured."""

    __tablename__ = "truth_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(100))
    weapon_class: Mapped[str | None] = mapped_column(String(50))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)


class TruthLink(Base):
    """Which simulated observation reports which true event (none for a false alarm)."""

    __tablename__ = "truth_link"
    client_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    truth_key: Mapped[str | None] = mapped_column(String(64))


class TruthCover(Base):
    """Further true events a simulated multi-count report covers, beyond its truth link."""

    __tablename__ = "truth_cover"
    client_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    truth_key: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuditEvent(Base):
    """One link of the append-only, hash-chained audit log."""

    __tablename__ = "audit_event"
    __audited__ = False
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


class WebSession(Base):
    """A signed-in browser; only the SHA-256 of its cookie is stored."""

    __tablename__ = "web_session"
    __audited__ = False
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


def audited_tables() -> list[type[Base]]:
    """The ORM classes whose rows carry an audit trail, in dependency order."""
    return [m.class_ for m in Base.registry.mappers if m.class_.__audited__]
