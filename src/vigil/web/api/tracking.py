"""Tracking over the wire: the OsmAnd / Traccar Client endpoint phones send positions to
(no session: the device identifier is the credential), rate limited per device; tracked
phones registered, listed and revoked; the live positions of patrols (GeoJSON, and a
server-sent event stream), a patrol's track, and GPX tracks recorded offline."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from sqlalchemy.exc import IntegrityError

from vigil.config import Settings
from vigil.domain.roles import INTERNAL, TRACKER_KEEPERS
from vigil.errors import VigilError
from vigil.formats import gpx_tracks, osmand
from vigil.services import positions as service
from vigil.services import trackers
from vigil.services.access import Principal
from vigil.store.db import Database
from vigil.web.api.devices import public_base
from vigil.web.api.tracking_limits import Buckets
from vigil.web.deps import allow, database, public, settings
from vigil.web.schemas.tracking import (
    ImportedOut,
    PositionOut,
    RegisteredTrackerOut,
    TrackerIn,
    TrackerOut,
)

router = APIRouter(tags=["tracking"])
POLL_S = 2.0  # how often a live stream looks for new positions
GEOJSON = "application/geo+json"
MAX_GPX_BYTES = 16 * 1024 * 1024
MAX_REPORT_BYTES = 64 * 1024  # a report is a few hundred bytes


def limits(cfg: Settings) -> service.Limits:
    """The time window positions must fall in, from the settings."""
    return service.Limits(cfg.track_future_s, cfg.track_max_age_days * 86400)


def _buckets(request: Request, cfg: Settings) -> Buckets:
    """The app's per-device token buckets, made on first use."""
    found = getattr(request.app.state, "tracking_buckets", None)
    if found is None:
        found = Buckets(cfg.track_rate_per_s, cfg.track_burst)
        request.app.state.tracking_buckets = found
    return found  # type: ignore[no-any-return]


def _plain(status: int, text: str = "", headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text, status_code=status, headers=headers)


def _read(body: bytes, query: str, content_type: str) -> tuple[str, object]:
    """(identifier, what to parse): parameters from the query or a form body, or JSON."""
    params = parse_qs(query, keep_blank_values=False, max_num_fields=100)
    if params or not body.strip():
        return osmand.identifier_of(params), params
    if "json" in content_type or body.lstrip()[:1] == b"{":
        return osmand.json_identifier(body), body
    form = parse_qs(body.decode("latin-1"), keep_blank_values=False, max_num_fields=100)
    return osmand.identifier_of(form), form


def _store(db: Database, identifier: str, raw: object, cfg: Settings) -> Response:
    """Known device first (the credential), then the values, then the write."""
    with db.reading() as session:
        if trackers.live_device(session, identifier) is None:
            return _plain(404, "unknown or revoked device identifier\n")
    try:
        parsed = osmand.parse_json(raw) if isinstance(raw, bytes) else osmand.parse_params(raw)  # type: ignore[arg-type]
        with db.writing() as session:
            service.record(session, parsed, limits=limits(cfg))
    except VigilError as exc:
        return _plain(404 if exc.status == 404 else 400, exc.detail + "\n")
    except IntegrityError:  # the same report stored by a concurrent request: it is there
        return _plain(200)
    return _plain(200)


@router.get("/tracking", response_class=PlainTextResponse)
@router.post("/tracking", response_class=PlainTextResponse)
async def report(
    request: Request,
    who: Principal | None = public(),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> Response:
    """A position from Traccar Client or OsmAnd: parameters (id, timestamp, lat, lon, speed in
    knots, bearing, altitude, accuracy, batt) in the query or a form body, or the newer
    Traccar Client's JSON. 200 with an empty body when stored (or stored before); 400 with
    the reason for a malformed or impossible report; 404 for an unknown or revoked device;
    429 with Retry-After when the device sends faster than its rate."""
    body = await request.body()
    if len(body) > MAX_REPORT_BYTES:
        return _plain(413, f"a position report is at most {MAX_REPORT_BYTES} bytes\n")
    identifier, raw = _read(body, request.url.query, request.headers.get("content-type", ""))
    if not identifier:
        return _plain(404, "send the device identifier as id (or device_id in JSON)\n")
    wait = _buckets(request, cfg).take(identifier)
    if wait > 0:
        seconds = str(max(1, int(wait + 0.999)))
        return _plain(429, "too many reports from this device\n", {"Retry-After": seconds})
    return await run_in_threadpool(_store, db, identifier, raw, cfg)


@router.get("/api/v1/trackers", response_model=list[TrackerOut])
def list_trackers(
    who: Principal = allow(TRACKER_KEEPERS), db: Database = Depends(database)
) -> list[TrackerOut]:
    """Every tracked phone, newest first, with its last position (never the identifiers)."""
    with db.reading() as session:
        return [TrackerOut.of(d) for d in trackers.list_devices(session, who)]


@router.post("/api/v1/trackers", status_code=201, response_model=RegisteredTrackerOut)
def register(
    body: TrackerIn,
    request: Request,
    response: Response,
    who: Principal = allow(TRACKER_KEEPERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> RegisteredTrackerOut:
    """Register a phone to a person; the identifier the app must send is in this answer only
    (issued by Vigil unless `identifier` gives the phone's own). Audited."""
    base = public_base(request, cfg)
    with db.writing() as session:
        row, ident = trackers.register(session, who, body.username, body.label, body.identifier)
        shown = next(d for d in trackers.list_devices(session, who) if d.id == row.id)
    response.headers["Cache-Control"] = "no-store"
    return RegisteredTrackerOut(
        **TrackerOut.of(shown).model_dump(), identifier=ident, server_url=f"{base}/tracking"
    )


@router.post("/api/v1/trackers/{device_id}/revoke", response_model=TrackerOut)
def revoke(
    device_id: int, who: Principal = allow(TRACKER_KEEPERS), db: Database = Depends(database)
) -> TrackerOut:
    """Stop a phone's reports at once; its positions stay. 409 when revoked already."""
    with db.writing() as session:
        trackers.revoke(session, who, device_id)
        return TrackerOut.of(
            next(d for d in trackers.list_devices(session, who) if d.id == device_id)
        )


@router.get("/api/v1/positions", response_model=list[PositionOut])
def list_positions(
    device: int | None = Query(None, description="A tracked device's id"),
    since: datetime | None = Query(None, description="From this time on (ISO 8601 with zone)"),
    limit: int = Query(1000, ge=1, le=10_000),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> list[PositionOut]:
    """Positions in time order, of one device or all."""
    with db.reading() as session:
        return [PositionOut.of(p) for p in service.positions(session, who, device, since, limit)]


def _live_body(db: Database, who: Principal) -> dict[str, object]:
    with db.reading() as session:
        rows = service.live(session, who)
        features = [service.feature(p, d, u, pt) for p, d, u, pt in rows]
    return {"type": "FeatureCollection", "features": features}


@router.get("/api/v1/positions/live", response_class=JSONResponse,
            responses={200: {"content": {GEOJSON: {}}}})  # fmt: skip
def live(who: Principal = allow(INTERNAL), db: Database = Depends(database)) -> JSONResponse:
    """The latest position of each phone on a patrol out on the ground (under way or
    overdue), with its patrol code and member, as a FeatureCollection of points."""
    return JSONResponse(_live_body(db, who), media_type=GEOJSON)


@router.get("/api/v1/positions/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})  # fmt: skip
async def stream(
    request: Request,
    max_s: float = Query(300, ge=0, le=3600, description="End the stream after this long"),
    who: Principal = allow(INTERNAL),
    db: Database = Depends(database),
) -> StreamingResponse:
    """Server-sent events: a `live` event with the live FeatureCollection now and whenever it
    changes (checked every 2 s). A client that does not accept text/event-stream gets one
    event and the end of the stream; EventSource reconnects after `max_s`."""
    once = "text/event-stream" not in request.headers.get("accept", "")

    async def events() -> AsyncIterator[str]:
        yield f"retry: {int(POLL_S * 1000)}\n\n"
        last, deadline = "", time.monotonic() + max_s
        while True:
            body = json.dumps(await run_in_threadpool(_live_body, db, who))
            yield f"event: live\ndata: {body}\n\n" if body != last else ": nothing new\n\n"
            last = body
            if once or time.monotonic() >= deadline or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_S)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.get("/api/v1/tracks/{patrol_id}", response_class=JSONResponse,
            responses={200: {"content": {GEOJSON: {}}}})  # fmt: skip
def patrol_track(
    patrol_id: int, who: Principal = allow(INTERNAL), db: Database = Depends(database)
) -> JSONResponse:
    """A patrol's positions in time order: one LineString per phone, then every point."""
    with db.reading() as session:
        patrol, rows = service.track(session, who, patrol_id)
        head = {"id": patrol.id, "code": patrol.code, "status": patrol.status}
        points = [service.feature(p, d, u, patrol) for p, d, u in rows]
    lines: dict[int, list[list[float]]] = {}
    for f in points:
        f["properties"]["kind"] = "position"
        lines.setdefault(f["properties"]["device_id"], []).append(f["geometry"]["coordinates"])
    tracks = [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
         "properties": {"kind": "track", "device_id": device, "patrol_id": head["id"],
                        "patrol_code": head["code"], "points": len(coords)}}
        for device, coords in lines.items() if len(coords) >= 2
    ]  # fmt: skip
    body = {"type": "FeatureCollection", "patrol": head, "features": tracks + points}
    return JSONResponse(body, media_type=GEOJSON)


@router.post("/api/v1/tracks/import", status_code=201, response_model=ImportedOut)
def import_gpx(
    device: str = Form(..., max_length=128, description="The device's identifier."),
    file: UploadFile = File(..., description="A GPX file with <trk> points that carry <time>."),
    who: Principal = allow(TRACKER_KEEPERS),
    db: Database = Depends(database),
    cfg: Settings = Depends(settings),
) -> ImportedOut:
    """Import a track recorded offline as positions of a device (checked like live reports;
    one bad point refuses the file; points sent before are skipped). Audited."""
    data = file.file.read(MAX_GPX_BYTES + 1)
    if len(data) > MAX_GPX_BYTES:
        raise VigilError("body_too_large", f"the GPX file exceeds {MAX_GPX_BYTES} bytes")
    track = gpx_tracks.parse_gpx_track(data, cfg.max_import_rows)
    with db.writing() as session:
        done = service.import_track(
            session, who, device, track.points, track.without_time, limits=limits(cfg)
        )
    return ImportedOut.of(done)
