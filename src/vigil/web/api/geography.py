"""Zones, places and posts: list and get (internal roles), create (admin).

No `from __future__ import annotations` here: the body type of each route is a variable.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends

from vigil.domain.geography import PlaceDraft, PostDraft, ZoneDraft
from vigil.domain.roles import ADMINS, INTERNAL
from vigil.services import geography as service
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.store.tables import Place, Post, Zone
from vigil.web.deps import allow, database
from vigil.web.schemas import PlaceOut, PostOut, ZoneOut

router = APIRouter(prefix="/api/v1", tags=["geography"])


def _routes(noun: str, cls: Any, draft: Any, out: Any, add: Callable[..., list[Any]]) -> None:
    """The three endpoints every geography noun has, declared once."""

    def create(
        body: draft,
        who: Principal = allow(ADMINS),  # type: ignore[valid-type]
        db: Database = Depends(database),
    ) -> Any:
        with db.writing() as session:
            return out.of(add(session, who, [body])[0])

    def list_(who: Principal = allow(INTERNAL), db: Database = Depends(database)) -> Any:
        with db.reading() as session:
            return [out.of(r) for r in service.list_of(session, who, cls)]

    def get(code: str, who: Principal = allow(INTERNAL), db: Database = Depends(database)) -> Any:
        with db.reading() as session:
            return out.of(service.one_of(session, who, cls, code))

    plural = f"{noun}s"
    router.add_api_route(
        f"/{plural}",
        create,
        methods=["POST"],
        status_code=201,
        response_model=out,
        summary=f"Add a {noun} (admin)",
        operation_id=f"create_{noun}",
    )
    router.add_api_route(
        f"/{plural}",
        list_,
        methods=["GET"],
        response_model=list[out],
        summary=f"List {plural}",
        operation_id=f"list_{plural}",
    )
    router.add_api_route(
        f"/{plural}/{{code}}",
        get,
        methods=["GET"],
        response_model=out,
        summary=f"Get a {noun} by code",
        operation_id=f"get_{noun}",
    )


_routes("zone", Zone, ZoneDraft, ZoneOut, service.add_zones)
_routes("place", Place, PlaceDraft, PlaceOut, service.add_places)
_routes("post", Post, PostDraft, PostOut, service.add_posts)
