"""Reviewing incidents: move one or many through the review states under the mission's policy.

Each move checks the caller, the incident's ETag (the SHA-256 of its audited snapshot, so
two analysts working from the same copy cannot overwrite each other), the transition table
and the policy; then writes the status and a review step, both audited, and pins a finding
for fusion. A refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from vigil.domain import review as rules
from vigil.domain.audit_chain import digest
from vigil.domain.roles import ANALYSTS, INTERNAL
from vigil.domain.sources import source_of
from vigil.errors import FieldError, VigilError, invalid
from vigil.queries import audit as audit_q
from vigil.queries import reviews as reviews_q
from vigil.queries import sources as sources_q
from vigil.services import fusion_decisions, provision_flags
from vigil.services.access import Principal, require
from vigil.services.audit import Auditor
from vigil.services.review_policy import current_policy
from vigil.store.snapshots import row_values, snapshot
from vigil.store.tables import Incident, IncidentReview, Observation, Post

MAX_BULK = 500
# 95 % radius of a round normal error over its sigma (as fusion_write uses for pins).
_RADIUS_95 = 2.4477


@dataclass(frozen=True)
class Reviewed:
    """An incident after a review step: its row, the step, and its new ETag."""

    incident: Incident
    review: IncidentReview
    etag: str


def incident_etag(row: Incident) -> str:
    """The incident's ETag: SHA-256 of its snapshot as the audit log records it."""
    return digest(snapshot(Incident, row_values(row)))


def load_for_review(session: Session, who: Principal | None, incident_id: int) -> Incident:
    """An incident an internal user may read (404 when there is none)."""
    require(who, INTERNAL)
    row = session.get(Incident, incident_id)
    if row is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    return row


def review_incident(
    session: Session,
    who: Principal | None,
    incident_id: int,
    to_status: str,
    reason: str,
    expected_etag: str | None,
) -> Reviewed:
    """Move an incident to `to_status` if the caller's copy is current and the rules allow."""
    who = require(who, ANALYSTS)
    incident = current_copy(session, incident_id, expected_etag)
    return _apply(session, who, incident, to_status, reason or "")


def review_as_it_stands(
    session: Session, who: Principal | None, incident_id: int, to_status: str, reason: str
) -> Reviewed:
    """Move an incident as it stands now (an operator at the console acts on what they see)."""
    who = require(who, ANALYSTS)
    current = reviews_q.lock_incident(session, incident_id)
    etag = incident_etag(current) if current is not None else None
    return review_incident(session, who, incident_id, to_status, reason, etag or "-")


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk move did: the incidents moved, and each refusal named by its item."""

    done: list[Reviewed]
    refused: list[FieldError]


def bulk_review(
    session: Session,
    who: Principal | None,
    items: Sequence[tuple[int, str | None]],
    to_status: str,
    reason: str,
    partial: bool = False,
) -> BulkOutcome:
    """Move many incidents at once: all or none (every refusal is named), or with `partial`
    those the rules allow, the others left as they are and named."""
    who = require(who, ANALYSTS)
    if not items:
        raise invalid("items", "name at least one incident")
    if len(items) > MAX_BULK:
        raise VigilError("batch_too_large", f"at most {MAX_BULK} incidents at once")
    ids = [i for i, _ in items]
    if len(set(ids)) != len(ids):
        raise invalid("items", "an incident is named twice")
    refusals: list[FieldError] = []
    allowed: list[tuple[int, int]] = []
    for index, (incident_id, etag) in enumerate(items):
        try:
            incident = current_copy(session, incident_id, etag)
            _precheck(session, incident, to_status, reason or "")
            allowed.append((index, incident_id))
        except VigilError as exc:
            refusals.append(FieldError(f"items[{index}]", f"incident {incident_id}: {exc.detail}"))
    if refusals and not partial:
        detail = f"{len(refusals)} of {len(items)} refused; nothing was changed"
        raise VigilError("state_conflict", detail, refusals)
    done: list[Reviewed] = []
    for index, incident_id in allowed:
        locked = reviews_q.lock_incident(session, incident_id)
        assert locked is not None
        if not partial:
            done.append(_apply(session, who, locked, to_status, reason or ""))
            continue
        # A pin written for an earlier incident may have regrouped this one: check it again,
        # and undo only its own writes if it no longer qualifies.
        try:
            with session.begin_nested():
                done.append(_apply(session, who, locked, to_status, reason or ""))
        except VigilError as exc:
            refusals.append(FieldError(f"items[{index}]", f"incident {incident_id}: {exc.detail}"))
    return BulkOutcome(done, refusals)


def review_history(
    session: Session, who: Principal | None, incident_id: int
) -> list[IncidentReview]:
    """An incident's review steps, oldest first (internal roles; refuted ones included)."""
    load_for_review(session, who, incident_id)
    return list(reviews_q.history(session, incident_id))


def current_copy(session: Session, incident_id: int, expected_etag: str | None) -> Incident:
    """The incident, locked, if the caller's ETag is its current one (409 naming who changed
    it and when otherwise)."""
    incident = reviews_q.lock_incident(session, incident_id)
    if incident is None:
        raise VigilError("not_found", f"no incident {incident_id}")
    if not expected_etag:
        raise VigilError(
            "precondition_required", "send the incident's ETag (If-Match) you reviewed"
        )
    if expected_etag.strip().strip('"') != incident_etag(incident):
        last = audit_q.last_for(session, "incident", str(incident_id))
        by, at = (last.actor, last.at) if last else ("someone", "earlier")
        raise VigilError(
            "state_conflict",
            f"incident {incident_id} was changed by {by} at {at} since you loaded it; reload it",
            extra={"changed_by": by, "changed_at": at},
        )
    return incident


def _precheck(session: Session, incident: Incident, to_status: str, reason: str) -> dict[str, Any]:
    """The transition and the policy check for a move, without writing (VigilError if not)."""
    rules.check_move(incident.status, to_status, reason)
    successor = reviews_q.superseded_by(session, incident.id)
    if successor is not None:
        raise VigilError(
            "state_conflict", f"incident {incident.id} was superseded by {successor}: review that"
        )
    members = [o.id for o in reviews_q.observations_of(session, incident.id)]
    sightings = [_sighting(o, post) for o, post in sources_q.reports_with_posts(session, members)]
    check = rules.evaluate(current_policy(session), to_status, sightings)
    if not check["met"]:
        tried = "; ".join(", ".join(t["why"]) for t in check["why"])
        raise VigilError(
            "state_conflict",
            f"the review policy for {to_status} is not met: {tried}",
            extra={"check": check},
        )
    return check


def _sighting(o: Observation, post: Post | None) -> rules.Sighting:
    source = source_of(
        o.observer_kind, post.code if post else None, post.kind if post else None, o.observer_name
    )
    return rules.Sighting(o.id, o.observer_kind, source, o.lat is not None and o.lon is not None)


def _apply(
    session: Session, who: Principal, incident: Incident, to_status: str, reason: str
) -> Reviewed:
    """Write one move: status, pin or unpin, review step; everything audited."""
    check = _precheck(session, incident, to_status, reason)
    source = incident.status
    before = row_values(incident)
    incident.status = to_status
    session.flush()
    Auditor(session, who.actor).changed("incident.review", incident, before)
    check["pin"] = _pin_or_unpin(session, who, incident, source, to_status, reason)
    step = IncidentReview(
        incident_id=incident.id, from_status=source, to_status=to_status, reason=reason,
        check=check, reviewed_by=who.user_id or None, reviewed_at=datetime.now(UTC),
    )  # fmt: skip
    session.add(step)
    session.flush()
    Auditor(session, who.actor).created("incident.review", step)
    provision_flags.on_review(session, who, incident, source, to_status, reason)
    return Reviewed(incident, step, incident_etag(incident))


def _pin_or_unpin(
    session: Session, who: Principal, incident: Incident, source: str, target: str, reason: str
) -> dict[str, Any]:
    """Pin a finding for fusion; moving back unpins only a pin a review made."""
    if target in rules.FINDINGS and source not in rules.FINDINGS:
        return pin_finding(session, who, incident, f"review: {target}")
    if source in rules.FINDINGS and target not in rules.FINDINGS:
        made = _review_pin(session, incident.id)
        if made is None:
            return {"pinned_by_review": None, "unpinned": False}
        fusion_decisions.unpin(session, who, incident.id, f"review back to {target}: {reason}")
        _still_the_same(session, incident)
        return {"pinned_by_review": None, "unpinned": True, "decision": made}
    return _carried_pin(session, incident.id)


def pin_finding(
    session: Session, who: Principal, incident: Incident, reason: str
) -> dict[str, Any]:
    """Pin a finding (a review's, or an attribution's) where fusion put the incident, so that
    later runs keep it; what was done, for the step's record."""
    if incident.lat is None or incident.lon is None:
        return {"pinned_by_review": None, "why": "no point location to pin (a wedge or none)"}
    if _has_active_pin(session, incident.id):
        return {"pinned_by_review": None, "why": "already pinned by an analyst's decision"}
    major = incident.ellipse_major_m or 100.0
    minor = incident.ellipse_minor_m or major
    error_m = max(1.0, round((major * minor) ** 0.5 / _RADIUS_95, 1))
    where = (incident.lat, incident.lon, error_m)
    fusion_decisions.pin(session, who, incident.id, where, reason)
    _still_the_same(session, incident)
    decision = _latest_pin(session, incident.id)
    return {"pinned_by_review": decision, "error_m": error_m}


def _still_the_same(session: Session, incident: Incident) -> None:
    """Re-fusion after a pin must leave the reviewed incident standing."""
    successor = reviews_q.superseded_by(session, incident.id)
    if successor is not None:
        raise VigilError(
            "state_conflict",
            f"fusion regrouped incident {incident.id} into {successor}; review that one",
        )
    session.refresh(incident)


def _review_pin(session: Session, incident_id: int) -> int | None:
    """The active pin decision the last review step made, if it is still active."""
    last = reviews_q.last_review(session, incident_id)
    made = (last.check or {}).get("pin", {}).get("pinned_by_review") if last else None
    if made is None:
        return None
    return int(made) if reviews_q.pin_active(session, int(made)) else None


def _carried_pin(session: Session, incident_id: int) -> dict[str, Any]:
    """Between findings (corroborated -> verified) the review's pin stays as it was."""
    return {"pinned_by_review": _review_pin(session, incident_id)}


def _has_active_pin(session: Session, incident_id: int) -> bool:
    return _latest_pin(session, incident_id) is not None


def _latest_pin(session: Session, incident_id: int) -> int | None:
    return reviews_q.active_pin(session, incident_id)
