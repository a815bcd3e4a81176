"""What goes over the wire about evidence files: the file's facts and its link to an
observation, with what comparing its EXIF to the report found."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vigil.store.tables import EvidenceFile, ObservationEvidence
from vigil.web.schemas import Point


class EvidenceFileOut(BaseModel):
    """A stored file: what its content is, what its EXIF says, and where to fetch it."""

    sha256: str = Field(description="SHA-256 of the bytes as received; the file's name.")
    size: int
    media_type: str = Field(description="Detected from the content, never from the name.")
    kind: str = Field(description="image, video or audio")
    width: int | None
    height: int | None
    taken_at: datetime | None = Field(description="EXIF DateTimeOriginal (UTC when no offset).")
    position: Point | None = Field(description="EXIF GPS position.")
    url: str
    thumbnail_url: str | None = Field(description="A 320 px JPEG, for images.")
    received_at: datetime

    @classmethod
    def of(cls, f: EvidenceFile) -> EvidenceFileOut:
        """Build from the stored row."""
        position = None if f.lat is None or f.lon is None else Point(lat=f.lat, lon=f.lon)
        url = f"/api/v1/evidence/{f.sha256}"
        return cls(
            sha256=f.sha256,
            size=f.size,
            media_type=f.media_type,
            kind=f.kind,
            width=f.width,
            height=f.height,
            taken_at=f.taken_at,
            position=position,
            url=url,
            thumbnail_url=f"{url}/thumbnail" if f.thumbnail_sha256 else None,
            received_at=f.received_at,
        )


class EvidenceOut(BaseModel):
    """A file attached to an observation."""

    observation_id: int
    sha256: str
    name: str = Field(description="The file name the client sent.")
    field: str | None = Field(description="The form field it was sent in, e.g. photo.")
    distance_m: float | None = Field(
        description="From the EXIF position to the nearer of the observer and the estimated "
        "point, in metres."
    )
    time_gap_s: float | None = Field(description="EXIF time minus the observation's time.")
    flags: list[str] = Field(description="far_from_report, time_mismatch")
    added_at: datetime
    added_by: str
    file: EvidenceFileOut

    @classmethod
    def of(cls, link: ObservationEvidence, f: EvidenceFile, users: dict[int, str]) -> EvidenceOut:
        """Build from the stored link and file; users maps account ids to names."""
        return cls(
            observation_id=link.observation_id,
            sha256=link.sha256,
            name=link.name,
            field=link.field,
            distance_m=link.distance_m,
            time_gap_s=link.time_gap_s,
            flags=list(link.flags or []),
            added_at=link.added_at,
            added_by=users.get(link.added_by, str(link.added_by)),
            file=EvidenceFileOut.of(f),
        )
