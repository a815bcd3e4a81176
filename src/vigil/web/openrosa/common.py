"""What every OpenRosa handler starts with: the version header, the caller, and the absolute
addresses phones are given (kept under /key/{token} when the request came that way)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from vigil.config import Settings
from vigil.services.openrosa_access import PhoneCaller
from vigil.store.db import Database
from vigil.web.openrosa.auth import AuthRequest, authenticate
from vigil.web.openrosa.responses import check_version


def settings(request: Request) -> Settings:
    """The app's settings."""
    return request.app.state.settings  # type: ignore[no-any-return]


def database(request: Request) -> Database:
    """The app's database."""
    return request.app.state.db  # type: ignore[no-any-return]


def _target(request: Request) -> str:
    """The request target as the client sent it (what a Digest `uri` must name)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    target = raw.decode("latin-1")
    return f"{target}?{query.decode('latin-1')}" if query else target


async def phone(request: Request) -> PhoneCaller:
    """The authenticated reporting user behind an OpenRosa request (or VigilError)."""
    check_version(request.headers)
    auth = AuthRequest(
        method=request.method,
        target=_target(request),
        path=request.url.path,
        key=request.path_params.get("token"),
        authorization=request.headers.get("authorization"),
    )
    return await run_in_threadpool(authenticate, database(request), auth)


def base_url(request: Request) -> str:
    """Where phones reach this server (VIGIL_PUBLIC_URL, else the request's own address),
    with the phone's key when the request carried one."""
    root = (settings(request).public_url or str(request.base_url)).rstrip("/")
    token = request.path_params.get("token")
    return f"{root}/key/{quote(token, safe='')}" if token else root


def form_path(form_id: str, version: str) -> str:
    """The path of a form version's resources (download, manifest, media)."""
    return f"/forms/{quote(form_id, safe='')}/{quote(version, safe='')}"
