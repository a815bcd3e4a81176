"""Attribution over the wire: attribute an incident to a party with a confidence and evidence,
withdraw it, read it with its history, and the mission's publication policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response

from vigil.domain.attribution import MAX_ID
from vigil.domain.roles import ANALYSTS, ATTRIBUTION_PUBLISHERS, INTERNAL
from vigil.services import attribution as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, database
from vigil.web.schemas.attribution import (
    AttributionIn,
    AttributionOut,
    AttributionPolicyIn,
    AttributionPolicyOut,
    WithdrawIn,
)

router = APIRouter(prefix="/api/v1", tags=["attribution"])
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The incident's id.")]
IF_MATCH = Header(
    None,
    alias="If-Match",
    max_length=200,
    description="The ETag of the incident as you loaded it (GET .../attribution or the incident).",
)


def _answer(response: Response, found: service.Attribution) -> AttributionOut:
    out = AttributionOut.of(found)
    response.headers["ETag"] = f'"{out.etag}"'
    return out


@router.get("/incidents/{incident_id}/attribution", response_model=AttributionOut)
def get_attribution(
    incident_id: IncidentId,
    response: Response,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> AttributionOut:
    """The incident's attribution (party null when none), its current evidence, every
    attribution and withdrawal with who, when and why, and whether reports show it."""
    with db.reading() as session:
        return _answer(response, service.attribution_of(session, who, incident_id))


@router.put("/incidents/{incident_id}/attribution", response_model=AttributionOut)
def put_attribution(
    incident_id: IncidentId,
    body: AttributionIn,
    response: Response,
    if_match: str | None = IF_MATCH,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> AttributionOut:
    """Attribute the incident (replacing its attribution, whose evidence is kept withdrawn).
    If-Match is required: a stale ETag is a 409 naming who changed it, and nothing is written."""
    items = [e.model_dump() for e in body.evidence]
    with db.writing() as session:
        done = service.attribute(
            session, who, incident_id, body.party, body.confidence, items, body.reason, if_match
        )
        return _answer(response, done)


@router.delete("/incidents/{incident_id}/attribution", response_model=AttributionOut)
def delete_attribution(
    incident_id: IncidentId,
    body: WithdrawIn,
    response: Response,
    if_match: str | None = IF_MATCH,
    who: Principal = allow(ANALYSTS),
    db: Database = Depends(database),
) -> AttributionOut:
    """Withdraw the incident's attribution; the body's reason is required, If-Match too."""
    with db.writing() as session:
        done = service.withdraw(session, who, incident_id, body.reason, if_match)
        return _answer(response, done)


@router.get("/attribution-policy", response_model=AttributionPolicyOut)
def get_policy(
    who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> AttributionPolicyOut:
    """The lowest attribution confidence reports show (high until one is set)."""
    with db.reading() as session:
        level, default = service.get_policy(session, who)
    return AttributionPolicyOut(min_published_confidence=level, default=default)


@router.put("/attribution-policy", response_model=AttributionPolicyOut)
def put_policy(
    body: AttributionPolicyIn,
    who: Principal = allow(ATTRIBUTION_PUBLISHERS),
    db: Database = Depends(database),
) -> AttributionPolicyOut:
    """Set the lowest attribution confidence reports show (head of mission; audited)."""
    with db.writing() as session:
        level = service.set_policy(session, who, body.min_published_confidence)
    return AttributionPolicyOut(min_published_confidence=level, default=False)
