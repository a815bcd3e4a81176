"""The tables. Every table but the audit log and sessions is audited: each row has an audit
trail whose last state `vigil verify` compares it with."""

from __future__ import annotations

from vigil.store.tables.accounts import ApiToken, DeviceToken, DigestCredential, User
from vigil.store.tables.agreement import ProvisionFlag, ProvisionRule, ProvisionTerm
from vigil.store.tables.audit import AuditEvent, WebSession
from vigil.store.tables.base import Base
from vigil.store.tables.evidence import EvidenceFile, ObservationEvidence
from vigil.store.tables.field import (
    FormMedia,
    FormVersion,
    ImportFile,
    Submission,
    SubmissionAttachment,
)
from vigil.store.tables.hotline import HotlineEscalation, HotlineMessage, HotlineThread
from vigil.store.tables.incidents import (
    FusionDecision,
    FusionRun,
    Incident,
    IncidentFusion,
    IncidentObservation,
    IncidentSummary,
)
from vigil.store.tables.observations import Observation
from vigil.store.tables.operations import (
    Alarm,
    AlarmDelivery,
    CheckIn,
    Patrol,
    PatrolMember,
    PatrolVehicle,
    Position,
    TrackerDevice,
    Vehicle,
)
from vigil.store.tables.reference import Category, Mission, Party, Place, Post, Provision, Zone
from vigil.store.tables.restrictions import MovementRestriction
from vigil.store.tables.simulation import TruthCover, TruthEvent, TruthLink
from vigil.store.tables.verification import (
    AttributionEvidence,
    AttributionPolicy,
    IncidentReview,
    ReviewAssignment,
    ReviewPolicy,
    SourceProfile,
)

__all__ = [
    "Alarm",
    "AlarmDelivery",
    "CheckIn",
    "Patrol",
    "PatrolMember",
    "PatrolVehicle",
    "Position",
    "TrackerDevice",
    "Vehicle",
    "HotlineEscalation",
    "HotlineMessage",
    "HotlineThread",
    "ApiToken",
    "AttributionEvidence",
    "AttributionPolicy",
    "AuditEvent",
    "Base",
    "Category",
    "DeviceToken",
    "DigestCredential",
    "EvidenceFile",
    "FormMedia",
    "FormVersion",
    "FusionDecision",
    "FusionRun",
    "ImportFile",
    "Incident",
    "IncidentFusion",
    "IncidentObservation",
    "IncidentReview",
    "IncidentSummary",
    "Mission",
    "MovementRestriction",
    "Observation",
    "ObservationEvidence",
    "Party",
    "Place",
    "Post",
    "Provision",
    "ProvisionFlag",
    "ProvisionRule",
    "ProvisionTerm",
    "ReviewAssignment",
    "ReviewPolicy",
    "SourceProfile",
    "Submission",
    "SubmissionAttachment",
    "TruthCover",
    "TruthEvent",
    "TruthLink",
    "User",
    "WebSession",
    "Zone",
    "audited_tables",
]


def audited_tables() -> list[type[Base]]:
    """The ORM classes whose rows carry an audit trail, in dependency order."""
    classes = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}
    ordered = (classes[t.name] for t in Base.metadata.sorted_tables)
    return [cls for cls in ordered if cls.__audited__]
