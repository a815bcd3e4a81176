"""The map of the day: zones, posts and the day's observations, with the day's list."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.domain.roles import INTERNAL
from vigil.services.access import Principal
from vigil.services.map import latest_day
from vigil.store.db import Database
from vigil.web.deps import allow, database, public
from vigil.web.pages.render import templates

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(who: Principal | None = public()) -> Response:
    """Signed-in staff go to the map, everyone else to the login page."""
    return RedirectResponse("/map" if who else "/login", status_code=303)


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    day: date | None = Query(None, description="The day to show (mission time)"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> Response:
    """The map page; its script fetches /api/v1/map/day for the chosen day."""
    if day is None:
        with db.reading() as session:
            day = latest_day(session) or date.today()
    return templates.TemplateResponse(request, "map.html", {"who": who, "day": day.isoformat()})
