"""What goes over the wire about source grading: source profiles, and an incident's
confidence with its derivation."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vigil.domain.confidence import Confidence
from vigil.store.tables import SourceProfile


class SourceProfileIn(BaseModel):
    """A source's default reliability: create it, or change the one of (kind, key)."""

    kind: str = Field(
        max_length=32, description="post, patrol, monitor, sensor (camera, acoustic) or third_party"
    )
    key: str = Field(
        max_length=400,
        description="A post's code, or an observer's name (trimmed, case-insensitive); "
        "* is the default of the kind.",
    )
    reliability: str = Field(max_length=8, description="Admiralty reliability A-F.")
    label: str | None = Field(None, max_length=400, description="Kept when not given.")
    notes: str | None = Field(None, max_length=10000, description="Kept when not given.")


class SourceProfileOut(BaseModel):
    """A source's profile."""

    id: int
    kind: str
    key: str
    label: str
    reliability: str
    notes: str

    @classmethod
    def of(cls, row: SourceProfile) -> SourceProfileOut:
        """From the stored row."""
        return cls(
            id=row.id,
            kind=row.kind,
            key=row.key,
            label=row.label,
            reliability=row.reliability,
            notes=row.notes,
        )


class GradedReportOut(BaseModel):
    """One report of a source: its grade as reported and as used, and its probability."""

    observation_id: int
    client_id: str
    grade_reported: str = Field(description="Reliability and credibility as reported, e.g. F2.")
    grade_used: str = Field(description="With F replaced by the source's profile, e.g. B2.")
    reliability_from: str = Field(description="report, profile, kind default or ungraded")
    p: float = Field(description="Probability the report is true.")
    counted: bool = Field(description="True for the source's best report, the one that counts.")


class SourceOut(BaseModel):
    """One independent source of the incident and what it contributes."""

    identity: str = Field(description="kind:key, e.g. post:OP-1 or patrol:patrol 2")
    kind: str
    key: str
    p: float = Field(description="Its best report's probability.")
    reports: list[GradedReportOut]


class ConfidenceOut(BaseModel):
    """How sure the mission is that an incident happened, and how that was derived."""

    incident_id: int
    p: float = Field(description="1 - prod(1 - p) over the independent sources.")
    level: str = Field(description="confirmed, high, medium or low")
    strong_sources: int = Field(description="Independent sources rated B or better.")
    a1: bool = Field(description="True when a report is graded A1.")
    formula: str
    sources: list[SourceOut]

    @classmethod
    def of(cls, incident_id: int, c: Confidence) -> ConfidenceOut:
        """From the derived confidence."""
        return cls.model_validate({"incident_id": incident_id, **c.as_data()})
