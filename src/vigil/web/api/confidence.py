"""Source grading over the wire: the mission's source profiles, and an incident's confidence
with its derivation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from vigil.domain.roles import INTERNAL, SOURCE_GRADERS
from vigil.services import sources as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.deps import allow, database
from vigil.web.schemas.confidence import ConfidenceOut, SourceProfileIn, SourceProfileOut

router = APIRouter(tags=["sources"])


@router.get("/api/v1/incidents/{incident_id}/confidence", response_model=ConfidenceOut)
def incident_confidence(
    incident_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> ConfidenceOut:
    """How sure the mission is that the incident happened: its reports graded (F replaced by
    the source's profile), one per independent source, combined, and the level."""
    with db.reading() as session:
        return ConfidenceOut.of(incident_id, service.incident_confidence(session, who, incident_id))


@router.get("/api/v1/sources", response_model=list[SourceProfileOut])
def list_sources(
    who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> list[SourceProfileOut]:
    """Every source profile (default reliability of a post, patrol, monitor, sensor or third
    party; key * is the default of its kind), by kind then key."""
    with db.reading() as session:
        return [SourceProfileOut.of(p) for p in service.list_profiles(session, who)]


@router.put("/api/v1/sources", response_model=SourceProfileOut)
def set_source(
    body: SourceProfileIn,
    response: Response,
    who: Principal = allow(SOURCE_GRADERS),
    db: Database = Depends(database),
) -> SourceProfileOut:
    """Create (201) or change (200) the profile of (kind, key); audited."""
    with db.writing() as session:
        row, created = service.set_profile(
            session, who, body.kind, body.key, body.reliability, body.label, body.notes
        )
        shown = SourceProfileOut.of(row)
    response.status_code = 201 if created else 200
    return shown


@router.get("/api/v1/sources/{source_id}", response_model=SourceProfileOut)
def get_source(
    source_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> SourceProfileOut:
    """One source profile."""
    with db.reading() as session:
        return SourceProfileOut.of(service.get_profile(session, who, source_id))


@router.delete("/api/v1/sources/{source_id}", status_code=204)
def remove_source(
    source_id: int, who: Principal = allow(SOURCE_GRADERS), db: Database = Depends(database)
) -> Response:
    """Remove a profile: its sources fall back to their kind's default, or to F; audited."""
    with db.writing() as session:
        service.remove_profile(session, who, source_id)
    return Response(status_code=204)
