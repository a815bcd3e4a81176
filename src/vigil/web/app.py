"""The web application: API, pages and static files on one FastAPI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute
from xstatic.pkg import leaflet

from vigil.config import Settings, get_settings
from vigil.store.db import Database
from vigil.web import problems
from vigil.web.api import (
    agreement,
    attribution,
    compliance,
    confidence,
    devices,
    evidence,
    forms,
    fusion,
    geography,
    imports,
    incidents,
    map,
    observations,
    reference,
    restrictions,
    stats,
)
from vigil.web.api import hotline as hotline_api
from vigil.web.api import patrols as patrol_api
from vigil.web.api import reviews as review_api
from vigil.web.api import safety as safety_api
from vigil.web.api import tracking as tracking_api
from vigil.web.deps import Access
from vigil.web.headers import DateHeader
from vigil.web.limits import BodyLimit
from vigil.web.openrosa import routes as openrosa
from vigil.web.pages import agreement as agreement_pages
from vigil.web.pages import attribution as attribution_pages
from vigil.web.pages import auth, mapview, report
from vigil.web.pages import compliance as compliance_pages
from vigil.web.pages import devices as device_pages
from vigil.web.pages import forms as form_pages
from vigil.web.pages import hotline as hotline_pages
from vigil.web.pages import imports as import_pages
from vigil.web.pages import incidents as incident_page
from vigil.web.pages import operations as operations_pages
from vigil.web.pages import patrols as patrol_pages
from vigil.web.pages import restrictions as restriction_pages
from vigil.web.pages import review as review_pages
from vigil.web.pages import sources as source_pages
from vigil.web.pages import trackers as tracker_pages
from vigil.web.pages.render import STATIC_DIR
from vigil.worker.fusion import FusionWorker
from vigil.worker.hotline import HotlineWorker
from vigil.worker.safety import from_settings as safety_from_settings

API_DESCRIPTION = """The JSON API of Vigil. Authenticate with `Authorization: Bearer <token>`
(`vigil token create USER`) or a browser session. Errors are RFC 9457 problem+json with a
stable `code` and, for invalid input, `errors` naming each field. Each operation lists the
roles that may call it under `x-vigil-roles`."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start background fusion and the safety timer with the server (unless turned off)."""
    settings: Settings = app.state.settings
    worker = None
    if settings.fusion_auto:
        worker = FusionWorker(app.state.db, settings.fusion_interval_s)
        worker.start()
    app.state.fusion_worker = worker
    safety_worker = safety_from_settings(app.state.db, settings)
    if safety_worker is not None:
        safety_worker.start()
    app.state.safety_worker = safety_worker
    hotline = HotlineWorker.from_settings(app.state.db, settings)
    app.state.hotline_worker = hotline
    try:
        yield
    finally:
        if hotline is not None:
            await asyncio.to_thread(hotline.stop)
        if worker is not None:
            await asyncio.to_thread(worker.stop)
        if safety_worker is not None:
            await asyncio.to_thread(safety_worker.stop)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app for a database (default: the one the settings name)."""
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="Vigil",
        version="1",
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.effective_database_url)
    problems.install(app)
    pages = (auth, mapview, incident_page, report, import_pages, form_pages, device_pages)
    api = (observations, evidence, incidents, fusion, stats, geography, reference, map, confidence)
    verification = (attribution, agreement, compliance, restrictions)
    more_pages = (review_pages, source_pages, agreement_pages, compliance_pages, restriction_pages)
    more_pages = (*more_pages, attribution_pages)
    operations = (patrol_api, tracking_api, safety_api, hotline_api)
    operations_ui = (patrol_pages, tracker_pages, operations_pages, hotline_pages)
    for module in (
        *api,
        review_api,
        *verification,
        imports,
        forms,
        devices,
        openrosa,
        *pages,
        *more_pages,
        *operations,
        *operations_ui,
    ):
        document_roles(module.router.routes)
        app.include_router(module.router)
    app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    app.mount("/static/vigil", StaticFiles(directory=STATIC_DIR), name="vigil-static")
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        render=problems.render_error,
    )
    app.add_middleware(DateHeader)
    return app


def document_roles(routes: Sequence[BaseRoute]) -> None:
    """Put each operation's allowed roles into the OpenAPI spec as `x-vigil-roles`.

    Done on each router before it is included: FastAPI >= 0.16x keeps included routers
    nested (app.routes holds no APIRoute) and copies openapi_extra when it builds routes."""

    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        for dep in route.dependant.dependencies:
            if isinstance(dep.call, Access):
                roles = sorted(dep.call.roles) if dep.call.roles is not None else ["anonymous"]
                route.openapi_extra = {**(route.openapi_extra or {}), "x-vigil-roles": roles}


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) for every endpoint, however FastAPI nests routers."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are flattened into app.routes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, set(route.methods), route
        return
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute):
            yield str(ctx.path), set(ctx.methods or ()), ctx.original_route
