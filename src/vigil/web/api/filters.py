"""Query parameters shared by list endpoints: bbox, time range, paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Query

from vigil.errors import invalid
from vigil.web import cursor


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """'minlon,minlat,maxlon,maxlat' (the OGC order) as numbers, checked."""
    if bbox is None:
        return None
    try:
        parts = [float(x) for x in bbox.split(",")]
    except ValueError as exc:
        raise invalid("bbox", "four numbers: minlon,minlat,maxlon,maxlat") from exc
    if len(parts) != 4:
        raise invalid("bbox", "four numbers: minlon,minlat,maxlon,maxlat")
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise invalid("bbox", "min must not exceed max; longitudes within ±180, latitudes ±90")
    return min_lon, min_lat, max_lon, max_lat


def check_aware(name: str, value: datetime | None) -> datetime | None:
    """Times in queries must carry a zone (…Z or +04:00), so nobody guesses."""
    if value is not None and value.tzinfo is None:
        raise invalid(name, "give a time zone, e.g. 2020-11-12T00:00:00Z")
    return value


BBOX = Query(None, description="minlon,minlat,maxlon,maxlat (WGS84)", max_length=200)
FROM = Query(None, alias="from", description="Observed at or after (ISO 8601 with zone)")
TO = Query(None, alias="to", description="Observed before (ISO 8601 with zone)")
LIMIT = Query(100, ge=1, le=1000, description="Items per page")
CURSOR = Query(None, alias="cursor", max_length=200, description="next_cursor of the previous page")


@dataclass(frozen=True)
class ListQuery:
    """The filters and paging every time-ordered list takes, parsed and checked."""

    bbox: tuple[float, float, float, float] | None
    time_from: datetime | None
    time_to: datetime | None
    category: str | None
    status: str | None
    limit: int
    after: tuple[datetime, int] | None


def list_query(
    bbox: str | None = BBOX,
    time_from: datetime | None = FROM,
    time_to: datetime | None = TO,
    category: str | None = Query(None, max_length=100, description="Code; descendants match"),
    status: str | None = Query(None, max_length=16),
    limit: int = LIMIT,
    after: str | None = CURSOR,
) -> ListQuery:
    """Depend on this for bbox, from, to, category, status, limit and cursor."""
    return ListQuery(
        parse_bbox(bbox),
        check_aware("from", time_from),
        check_aware("to", time_to),
        category,
        status,
        limit,
        cursor.decode(after),
    )
