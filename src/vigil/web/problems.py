"""Errors at the HTTP edge: the catalogue rendered as RFC 9457 problem+json; pages redirect to
the login or show an error page; OpenRosa paths (phones) get an OpenRosaResponse envelope."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi import params as params_module
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigil.errors import CATALOGUE, FieldError, VigilError
from vigil.formats.openrosa import response_xml
from vigil.web.openrosa import auth as openrosa_auth
from vigil.web.openrosa.responses import error_response, is_openrosa, xml_response
from vigil.web.pages.render import error_page

log = logging.getLogger("vigil.web")
PROBLEM_JSON = "application/problem+json"
_STATUS_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    401: "not_authenticated",
    403: "forbidden",
}


def problem_response(error: VigilError, instance: str) -> JSONResponse:
    """The problem+json body for an error; `errors` names each field that was wrong."""
    body: dict[str, Any] = {
        "type": f"urn:vigil:problem:{error.code}",
        "title": error.problem.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
        "code": error.code,
    }
    if error.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    body.update(error.extra)
    headers = {"WWW-Authenticate": 'Bearer realm="vigil"'} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


def openrosa_error(error: VigilError, request: Request | None = None) -> Response:
    """An error on an OpenRosa path: XML with nature="error", the OpenRosa headers, and on a
    401 the Digest and Basic challenges (stale=true when only the nonce had expired)."""
    challenges = openrosa_auth.challenges(stale=bool(error.extra.get("stale")))
    limit = None
    if request is not None and request.url.path.endswith("/submission"):
        limit = request.app.state.settings.max_upload_bytes
    return error_response(error, challenges, limit)


def render_error(error: VigilError, path: str) -> Response:
    """An error answered outside a route (the body limit): in the form of the path's edge."""
    if is_openrosa(path):
        return openrosa_error(error)
    return problem_response(error, path)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def _takes_form(request: Request) -> bool:
    """True when the route reads a form or files (an upload), not a JSON body."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    params = getattr(dependant, "body_params", None) or []
    return any(isinstance(p.field_info, params_module.Form) for p in params)


def _not_json(request: Request) -> bool:
    """A write to the JSON API whose body is declared as something else (a form, text, none)."""
    if _is_page(request) or request.method not in ("POST", "PUT", "PATCH"):
        return False
    if _takes_form(request):
        return False  # an upload: its own fields are named in the validation errors
    if (
        request.headers.get("content-length", "0") == "0"
        and "transfer-encoding" not in request.headers
    ):
        return False  # no body at all: validation says which field is required
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return not (kind == "application/json" or kind.endswith("+json"))


def _field(loc: tuple[Any, ...]) -> str:
    """A pydantic location as a readable path: observations[3].observer.lat."""
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path") else loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or (str(loc[0]) if loc else "body")


def from_validation(exc: RequestValidationError) -> VigilError:
    """Pydantic's complaints as a catalogue error; broken JSON is 400, wrong values 422."""
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        msg = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {})
        return VigilError(
            "malformed_request", f"the body is not valid JSON: {msg.get('error', '')}"
        )
    fields = [FieldError(_field(tuple(e.get("loc", ()))), str(e.get("msg"))) for e in errors[:50]]
    geometry_only = all(e.get("type") == "invalid_geometry" for e in errors)
    code = "invalid_geometry" if geometry_only else "validation_failed"
    return VigilError(code, f"{fields[0].field}: {fields[0].message}", fields)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a clear answer, never a traceback."""

    @app.exception_handler(VigilError)
    async def vigil_error(request: Request, exc: VigilError) -> Response:
        if is_openrosa(request.url.path):
            return openrosa_error(exc, request)
        if exc.code == "not_authenticated" and _is_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        if _is_page(request) and exc.status in (403, 404):
            return error_page(request, exc.status, exc.problem.title, exc.detail)
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _not_json(request):
            error = VigilError("unsupported_media_type", "send the body as application/json")
            return problem_response(error, request.url.path)
        return problem_response(from_validation(exc), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "malformed_request")
        detail = str(exc.detail) if exc.detail else CATALOGUE[code].title
        if is_openrosa(request.url.path):
            return openrosa_error(VigilError(code, detail), request)
        return problem_response(VigilError(code, detail), request.url.path)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A number too large for the database's integers (an id of 21 digits, say): the
        # transaction was rolled back; the caller sent something no row can have.
        error = VigilError("validation_failed", "a number is larger than the database can hold")
        if _is_page(request):
            return error_page(request, error.status, error.problem.title, error.detail)
        return await vigil_error(request, error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        if is_openrosa(request.url.path):
            return _openrosa_failure()
        body = {
            "type": "about:blank",
            "title": "Internal error",
            "status": 500,
            "detail": "the server failed; nothing was stored",
            "instance": request.url.path,
        }
        return JSONResponse(body, status_code=500, media_type=PROBLEM_JSON)


def _openrosa_failure() -> Response:
    """A server failure told to a phone: 500 in the envelope, so it keeps the form to resend."""
    body = response_xml("the server failed; nothing was stored: send again later", "error")
    return xml_response(body, 500)
