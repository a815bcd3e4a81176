"""Attributing an incident to a party, and withdrawing it.

Never a default: an analyst names the party, a confidence and the evidence, working from the
incident's ETag so two analysts cannot overwrite each other (the review workflow's check).
The incident row carries the party, confidence and a summary; each piece of evidence is a
row, kept (marked withdrawn) when the attribution is replaced or withdrawn. Every write is
audited, and each attribution and withdrawal is also noted under the entity `attribution`
with its reason and evidence, which is the history. Attributing pins the incident (as a
review's finding does) so that later fusion runs keep its reports together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from vigil.domain import attribution as rules
from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.errors import FieldError, VigilError
from vigil.queries import attribution as attribution_q
from vigil.queries import audit as audit_q
from vigil.queries import observations as obs_q
from vigil.queries import reviews as reviews_q
from vigil.services import provision_flags, reviews
from vigil.services.access import Principal, require
from vigil.services.attribution_policy import get_policy, minimum_published, set_policy
from vigil.services.audit import Auditor
from vigil.store.snapshots import row_values
from vigil.store.tables import AttributionEvidence, Incident, Party

__all__ = [
    "attribute", "attribution_of", "get_policy", "published_attribution", "set_policy",
    "withdraw",
]  # fmt: skip
HISTORY_KIND = "attribution"  # the audit log's entity for the reasons and evidence noted
ATTRIBUTE = "incident.attribute"
WITHDRAW = "incident.attribution_withdraw"
MAX_HISTORY = 1000


@dataclass(frozen=True)
class EvidenceLine:
    """One evidence row, and whether its observation is one of the incident's own."""

    row: AttributionEvidence
    own: bool | None  # None: not an observation item

    @property
    def label(self) -> str:
        """The kind as people read it."""
        return rules.EVIDENCE_KINDS.get(self.row.kind, self.row.kind)


@dataclass(frozen=True)
class HistoryEntry:
    """One attribution or withdrawal: who, when, what, why."""

    seq: int
    at: str
    actor: str
    action: str  # "attribute" or "withdraw"
    details: dict[str, Any]

    @property
    def when(self) -> datetime:
        """The audit event's time as a datetime (UTC)."""
        return datetime.fromisoformat(self.at.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Attribution:
    """An incident's attribution as it stands, its evidence, its history and its ETag."""

    incident_id: int
    party: str | None
    confidence: str | None
    summary: str
    evidence: list[EvidenceLine]
    history: list[HistoryEntry]
    etag: str
    minimum: str

    @property
    def published(self) -> bool:
        """Whether reports show this attribution under the mission's policy."""
        return self.party is not None and rules.shown_in_reports(self.confidence, self.minimum)


@dataclass(frozen=True)
class Published:
    """What reports may say about who did it."""

    party: str
    confidence: str


def attribute(
    session: Session,
    who: Principal | None,
    incident_id: int,
    party_code: Any,
    confidence: Any,
    evidence: Sequence[Any],
    reason: Any,
    expected_etag: str | None,
) -> Attribution:
    """Attribute an incident (replacing any attribution it has) if the caller's copy is
    current; a refusal writes nothing."""
    who = require(who, ANALYSTS)
    draft = rules.check_attribution(party_code, confidence, evidence, reason)
    incident = reviews.current_copy(session, incident_id, expected_etag)  # the review's ETag check
    successor = reviews_q.superseded_by(session, incident_id)
    if successor is not None:
        raise VigilError(
            "state_conflict",
            f"incident {incident_id} was superseded by {successor}: attribute that one",
        )
    party = _party(session, draft.party)
    members = attribution_q.member_ids(session, incident_id)
    _known_observations(session, draft)
    why = f"attribution: {party.code} ({draft.confidence})"
    pin = reviews.pin_finding(session, who, incident, why)
    now = datetime.now(UTC)
    audit = Auditor(session, who.actor, now)  # after the pin: its re-fusion wrote events
    before = row_values(incident)
    _retire_evidence(session, audit, incident_id, now)
    incident.attribution_party_id = party.id
    incident.attribution_confidence = draft.confidence
    incident.attribution_evidence = rules.summary(draft.evidence)
    session.flush()
    audit.changed(ATTRIBUTE, incident, before)
    rows = _add_evidence(session, audit, who, incident_id, draft.evidence, now)
    replaced = _code_of(session, before["attribution_party_id"])
    details = {
        "action": "attribute", "party": party.code, "confidence": draft.confidence,
        "reason": draft.reason, "evidence": [_item(r, members) for r in rows],
        "replaced": {"party": replaced, "confidence": before["attribution_confidence"]}
        if replaced else None,
        "pin": pin,
    }  # fmt: skip
    audit.noted(ATTRIBUTE, HISTORY_KIND, str(incident_id), details)
    provision_flags.flag_incident(session, who, incident)  # its own auditor: nothing after it
    return attribution_of(session, who, incident_id)


def withdraw(
    session: Session,
    who: Principal | None,
    incident_id: int,
    reason: Any,
    expected_etag: str | None,
) -> Attribution:
    """Withdraw an incident's attribution (a reason is required); the evidence is kept,
    marked withdrawn."""
    who = require(who, ANALYSTS)
    why = rules.check_reason(reason, required=True)
    incident = reviews.current_copy(session, incident_id, expected_etag)
    if incident.attribution_party_id is None:
        raise VigilError("state_conflict", f"incident {incident_id} is not attributed")
    now = datetime.now(UTC)
    audit = Auditor(session, who.actor, now)
    before = row_values(incident)
    retired = _retire_evidence(session, audit, incident_id, now)
    incident.attribution_party_id = None
    incident.attribution_confidence = None
    incident.attribution_evidence = ""
    session.flush()
    audit.changed(WITHDRAW, incident, before)
    details = {
        "action": "withdraw", "party": _code_of(session, before["attribution_party_id"]),
        "confidence": before["attribution_confidence"], "reason": why,
        "evidence_withdrawn": [r.id for r in retired],
    }  # fmt: skip
    audit.noted(WITHDRAW, HISTORY_KIND, str(incident_id), details)
    provision_flags.flag_incident(session, who, incident)  # its own auditor: nothing after it
    return attribution_of(session, who, incident_id)


def attribution_of(session: Session, who: Principal | None, incident_id: int) -> Attribution:
    """An incident's attribution, evidence and history (internal roles)."""
    require(who, INTERNAL)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    members = attribution_q.member_ids(session, incident_id)
    lines = [
        EvidenceLine(r, None if r.observation_id is None else r.observation_id in members)
        for r in attribution_q.evidence(session, incident_id)
    ]
    return Attribution(
        incident_id=incident_id,
        party=_code_of(session, incident.attribution_party_id),
        confidence=incident.attribution_confidence,
        summary=incident.attribution_evidence or "",
        evidence=lines,
        history=history(session, incident_id),
        etag=reviews.incident_etag(incident),
        minimum=minimum_published(session),
    )


def history(session: Session, incident_id: int) -> list[HistoryEntry]:
    """Each attribution and withdrawal of an incident, oldest first (from the audit log)."""
    events = audit_q.page(session, 0, MAX_HISTORY, HISTORY_KIND, str(incident_id))
    out = []
    for e in events:
        details = orjson.loads(e.after) if e.after else {}
        action = str(details.get("action", e.action.rsplit(".", 1)[-1]))
        out.append(HistoryEntry(e.seq, e.at, e.actor, action, details))
    return out


def published_attribution(session: Session, incident: Incident) -> Published | None:
    """Who did it, as reports may say: the party and confidence when the confidence is at or
    above the mission's minimum, else None. Every report and public view uses this."""
    if incident.attribution_party_id is None or incident.attribution_confidence is None:
        return None
    if not rules.shown_in_reports(incident.attribution_confidence, minimum_published(session)):
        return None
    code = _code_of(session, incident.attribution_party_id)
    return None if code is None else Published(code, incident.attribution_confidence)


def _party(session: Session, code: str) -> Party:
    party = attribution_q.party_by_code(session, code)
    if party is None:
        raise VigilError(
            "unknown_reference",
            f"party: no party {code!r} in the party table",
            [FieldError("party", f"no party {code!r}")],
        )
    return party


def _known_observations(session: Session, draft: rules.AttributionDraft) -> None:
    """Every observation the evidence names exists (422 naming each item that does not)."""
    found = {o.id for o in obs_q.by_ids(session, draft.observation_ids)}
    errors = [
        FieldError(f"evidence[{n}].observation_id", f"no observation {item.observation_id}")
        for n, item in enumerate(draft.evidence)
        if item.observation_id is not None and item.observation_id not in found
    ]
    if errors:
        raise VigilError("unknown_reference", f"{errors[0].field}: {errors[0].message}", errors)


def _retire_evidence(
    session: Session, audit: Auditor, incident_id: int, now: datetime
) -> list[AttributionEvidence]:
    """Mark the current evidence rows withdrawn (kept, never deleted)."""
    rows = list(attribution_q.evidence(session, incident_id))
    for row in rows:
        before = row_values(row)
        row.withdrawn_at = now
        session.flush()
        audit.changed("attribution.evidence_withdraw", row, before)
    return rows


def _add_evidence(
    session: Session,
    audit: Auditor,
    who: Principal,
    incident_id: int,
    items: Sequence[rules.EvidenceItem],
    now: datetime,
) -> list[AttributionEvidence]:
    rows = []
    for item in items:
        row = AttributionEvidence(
            incident_id=incident_id, kind=item.kind, observation_id=item.observation_id,
            note=item.note, added_by=who.user_id or None, added_at=now, withdrawn_at=None,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.created("attribution.evidence", row)
        rows.append(row)
    return rows


def _item(row: AttributionEvidence, members: set[int]) -> dict[str, Any]:
    own = None if row.observation_id is None else row.observation_id in members
    return {
        "id": row.id, "kind": row.kind, "observation_id": row.observation_id,
        "own_observation": own, "note": row.note,
    }  # fmt: skip


def _code_of(session: Session, party_id: int | None) -> str | None:
    if party_id is None:
        return None
    party = session.get(Party, party_id)
    return party.code if party else None
