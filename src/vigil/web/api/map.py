"""The map's data: one day as GeoJSON."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from vigil.domain.roles import INTERNAL
from vigil.formats import geojson
from vigil.services import restrictions
from vigil.services.access import Principal
from vigil.services.map import map_of_day
from vigil.store.db import Database
from vigil.web.deps import allow, database

router = APIRouter(prefix="/api/v1/map", tags=["map"])


@router.get(
    "/day", response_class=JSONResponse, responses={200: {"content": {"application/geo+json": {}}}}
)
def day(
    on: date = Query(..., alias="date", description="The day, in the mission's time zone"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> JSONResponse:
    """Zones, posts, the day's observations (bearings as rays, with how many evidence files
    each has) and its current incidents (points, 95 % ellipses, bearing-only wedges) as a
    FeatureCollection."""
    with db.reading() as session:
        m = map_of_day(session, who, on)
        features = (
            geojson.zone_features(m.zones)
            + geojson.post_features(m.posts)
            + geojson.observation_features(m.observations, m.post_codes, m.evidence)
            + geojson.incident_features(m.incidents)
            + geojson.restriction_features(
                restrictions.on_map(session, who, m.start, m.end), restrictions.names(session)[0]
            )
        )
    body = geojson.collection(
        features,
        day=m.day.isoformat(),
        start=m.start.isoformat(),
        end=m.end.isoformat(),
        observations=len(m.observations),
        truncated=m.truncated,
        incidents=len(m.incidents),
        incidents_truncated=m.incidents_truncated,
    )
    return JSONResponse(body, media_type="application/geo+json")
