"""What goes over the wire about attribution: the request, the attribution with its evidence
and history, and the publication policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vigil.domain import attribution as rules
from vigil.services.attribution import Attribution, EvidenceLine, HistoryEntry


class EvidenceIn(BaseModel):
    """One piece of evidence: an observation by id, or another kind with a note."""

    model_config = {"extra": "forbid"}
    kind: str = Field(max_length=32, description=", ".join(rules.EVIDENCE_KINDS))
    observation_id: int | None = Field(None, description="Required for kind `observation`.")
    note: str = Field(
        "", max_length=rules.MAX_NOTE, description="Required for every kind but observation."
    )


class AttributionIn(BaseModel):
    """An attribution: party code, confidence, at least one piece of evidence; the incident's
    ETag goes in If-Match. It replaces the incident's current attribution, if any."""

    model_config = {"extra": "forbid"}
    party: str | None = Field(None, max_length=rules.MAX_PARTY, description="A party's code.")
    confidence: str | None = Field(None, max_length=16, description="low, medium or high.")
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=rules.MAX_ITEMS)
    reason: str = Field("", max_length=rules.MAX_REASON)


class WithdrawIn(BaseModel):
    """Why an attribution is withdrawn (required); the ETag goes in If-Match."""

    model_config = {"extra": "forbid"}
    reason: str = Field("", max_length=rules.MAX_REASON)


class EvidenceOut(BaseModel):
    """One piece of evidence the current attribution rests on."""

    id: int
    kind: str
    label: str
    observation_id: int | None
    own_observation: bool | None = Field(
        description="For an observation: whether it is one of the incident's own reports."
    )
    note: str
    added_by: int | None
    added_at: datetime

    @classmethod
    def of(cls, line: EvidenceLine) -> EvidenceOut:
        """From an evidence row and whether its observation is the incident's."""
        r = line.row
        return cls(
            id=r.id, kind=r.kind, label=line.label, observation_id=r.observation_id,
            own_observation=line.own, note=r.note, added_by=r.added_by, added_at=r.added_at,
        )  # fmt: skip


class HistoryOut(BaseModel):
    """One attribution or withdrawal, as the audit log noted it."""

    seq: int = Field(description="The audit event's sequence number.")
    at: str
    actor: str
    action: str = Field(description="attribute or withdraw")
    details: dict[str, Any] = Field(description="Party, confidence, reason, evidence, pin.")

    @classmethod
    def of(cls, h: HistoryEntry) -> HistoryOut:
        """From a history entry."""
        return cls(seq=h.seq, at=h.at, actor=h.actor, action=h.action, details=h.details)


class AttributionOut(BaseModel):
    """An incident's attribution (party null: none), its evidence, history and ETag."""

    incident_id: int
    party: str | None
    confidence: str | None
    summary: str
    published: bool = Field(
        description="Whether reports show it: its confidence is at or above the policy's."
    )
    min_published_confidence: str
    evidence: list[EvidenceOut]
    history: list[HistoryOut]
    etag: str = Field(description="The incident's ETag now (send it as If-Match next time).")

    @classmethod
    def of(cls, a: Attribution) -> AttributionOut:
        """From the service's view of an attribution."""
        return cls(
            incident_id=a.incident_id, party=a.party, confidence=a.confidence,
            summary=a.summary, published=a.published, min_published_confidence=a.minimum,
            evidence=[EvidenceOut.of(e) for e in a.evidence],
            history=[HistoryOut.of(h) for h in a.history], etag=a.etag,
        )  # fmt: skip


class AttributionPolicyIn(BaseModel):
    """The lowest confidence the mission's reports show."""

    model_config = {"extra": "forbid"}
    min_published_confidence: str = Field(max_length=16, description="low, medium or high.")


class AttributionPolicyOut(BaseModel):
    """The publication policy in force, and whether it is Vigil's default (high)."""

    min_published_confidence: str
    default: bool
