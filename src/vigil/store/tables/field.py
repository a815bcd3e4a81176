"""Field reporting: ODK forms and their media, OpenRosa submissions, imported files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vigil.store.tables.base import Base
from vigil.store.types import UTCDateTime


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
