"""Restrictions of movement over the wire: record (idempotent by client id), end, list, one,
counts of a period, and the no-access areas in force at an instant (GeoJSON)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from vigil.domain.restrictions import RestrictionDraft
from vigil.domain.roles import INTERNAL, REPORTERS
from vigil.formats import geojson
from vigil.services import restrictions as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web import cursor
from vigil.web.api.filters import CURSOR, LIMIT, check_aware
from vigil.web.deps import allow, database
from vigil.web.schemas.restrictions import CountsOut, EndIn, RestrictionOut, RestrictionPage

router = APIRouter(prefix="/api/v1/restrictions", tags=["restrictions"])
FROM = Query(None, alias="from", description="Occurred at or after (ISO 8601 with zone)")
TO = Query(None, alias="to", description="Occurred before (ISO 8601 with zone)")


@router.post(
    "",
    status_code=201,
    response_model=RestrictionOut,
    responses={200: {"description": "Already stored with identical content (a retry)"}},
)
def record(
    draft: RestrictionDraft,
    response: Response,
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
) -> RestrictionOut:
    """Record a restriction of the mission's movement; audited. A retry with the same client
    id and content answers 200, different content 409."""
    with db.writing() as session:
        done = service.record(session, who, draft)
        if not done.created:
            response.status_code = 200
        return RestrictionOut.of(done.row, *service.names(session))


@router.get("", response_model=RestrictionPage)
def list_restrictions(
    time_from: datetime | None = FROM,
    time_to: datetime | None = TO,
    kind: str | None = Query(None, max_length=32, description="A kind, e.g. denied"),
    party: str | None = Query(None, max_length=16, description="Stated party code, or none"),
    zone: str | None = Query(None, max_length=64, description="Zone code, or none (outside)"),
    patrol: str | None = Query(None, max_length=100, description="The patrol's name"),
    limit: int = LIMIT,
    after: str | None = CURSOR,
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> RestrictionPage:
    """Restrictions in time order, filtered; follow next_cursor for more."""
    q = service.ListRequest(
        check_aware("from", time_from), check_aware("to", time_to), kind, party, zone, patrol
    )
    with db.reading() as session:
        rows = service.list_restrictions(session, who, q, cursor.decode(after), limit)
        names = service.names(session)
        items = [RestrictionOut.of(r, *names) for r in rows]
        nxt = cursor.encode(rows[-1].occurred_at, rows[-1].id) if len(rows) == limit else None
    return RestrictionPage(items=items, next_cursor=nxt)


@router.get("/counts", response_model=CountsOut)
def counts(
    time_from: datetime = Query(..., alias="from", description="Start (ISO 8601 with zone)"),
    time_to: datetime = Query(..., alias="to", description="End, excluded (ISO 8601 with zone)"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> CountsOut:
    """Restrictions that occurred in [from, to): per area (the most specific zone), per
    stated party ("not stated" when none was) and per kind, with durations."""
    with db.reading() as session:
        found = service.counts(session, who, time_from, time_to)
    return CountsOut.of(time_from, time_to, found)


@router.get(
    "/no-access",
    response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def no_access(
    at: datetime = Query(..., description="The instant (ISO 8601 with zone)"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> JSONResponse:
    """The areas closed to the mission at an instant, as a FeatureCollection of polygons."""
    with db.reading() as session:
        rows = service.no_access_areas(session, who, at)
        parties, _ = service.names(session)
        features = [
            f
            for f in geojson.restriction_features(rows, parties)
            if f["properties"]["shape"] == "area"
        ]
    body = geojson.collection(features, at=at.isoformat())
    return JSONResponse(body, media_type="application/geo+json")


@router.get("/{restriction_id}", response_model=RestrictionOut)
def get_one(
    restriction_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> RestrictionOut:
    """One restriction."""
    with db.reading() as session:
        return RestrictionOut.of(service.get(session, who, restriction_id), *service.names(session))


@router.post("/{restriction_id}/end", response_model=RestrictionOut)
def end(
    restriction_id: int,
    body: EndIn,
    who: Principal = allow(REPORTERS),
    db: Database = Depends(database),
) -> RestrictionOut:
    """Say when the restriction ended (access reopened); audited. 409 if it has ended."""
    with db.writing() as session:
        row = service.end(session, who, restriction_id, body.ended_at)
        return RestrictionOut.of(row, *service.names(session))
