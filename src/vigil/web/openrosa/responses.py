"""What every OpenRosa answer carries: the version and Date headers, XML bodies, and errors as
an OpenRosaResponse envelope with nature="error" (never problem+json: phones parse XML)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from email.utils import formatdate

from starlette.responses import Response

from vigil.errors import VigilError
from vigil.formats.openrosa import XML_CONTENT_TYPE, response_xml

# Paths that speak OpenRosa: an error there is an OpenRosaResponse, not problem+json.
OPENROSA_PATHS = re.compile(
    r"^/key/"
    r"|^/(formList|submission)$"
    r"|^/forms/[^/]+/[^/]+(\.xml|/manifest|/media/[^/]+)$"
)
VERSION = "1.0"
ACCEPT_LENGTH = "X-OpenRosa-Accept-Content-Length"


def is_openrosa(path: str) -> bool:
    """True for a path ODK Collect, KoBoCollect or Enketo call."""
    return OPENROSA_PATHS.match(path) is not None


def openrosa_headers(accept_length: int | None = None) -> dict[str, str]:
    """The headers the OpenRosa HTTP spec requires on every response."""
    headers = {"X-OpenRosa-Version": VERSION, "Date": formatdate(usegmt=True)}
    if accept_length is not None:
        headers[ACCEPT_LENGTH] = str(accept_length)
    return headers


def xml_response(
    body: bytes,
    status: int = 200,
    accept_length: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An OpenRosa XML document (form list, manifest, form, OpenRosaResponse)."""
    return Response(
        body,
        status_code=status,
        media_type=XML_CONTENT_TYPE,
        headers={**openrosa_headers(accept_length), **(headers or {})},
    )


def no_content(accept_length: int) -> Response:
    """The answer to the HEAD probe before a submission: 204 with the size the server takes."""
    return Response(status_code=204, headers=openrosa_headers(accept_length))


def error_response(
    error: VigilError, challenges: Sequence[str] = (), accept_length: int | None = None
) -> Response:
    """A refusal as OpenRosaResponse XML naming the problem code and each field that was wrong;
    a 401 carries one WWW-Authenticate header per challenge."""
    fields = [(e.field, e.message) for e in error.errors]
    body = response_xml(error.detail, "error", error.code, error.status, fields)
    response = xml_response(body, error.status, accept_length)
    for challenge in challenges if error.status == 401 else ():
        response.headers.append("WWW-Authenticate", challenge)
    return response


def check_version(headers: Mapping[str, str]) -> None:
    """Refuse a request that does not say it speaks OpenRosa 1.0."""
    sent = headers.get("x-openrosa-version")
    if sent is None or sent.strip() != VERSION:
        said = "none" if sent is None else repr(sent[:20])
        raise VigilError(
            "openrosa_version_required",
            f"send the header X-OpenRosa-Version: {VERSION} (got {said}); "
            "this address is for ODK Collect, KoBoCollect and Enketo",
        )
