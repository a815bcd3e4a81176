"""A guard in front of the app: bodies larger than the limit are refused before parsing.

File uploads (OpenRosa submissions, evidence, imports, the web report form) may be larger than
JSON bodies; each edge renders the refusal its own way (problem+json, OpenRosaResponse XML)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.errors import VigilError
from vigil.web.problems import problem_response

# Paths that take files: they get the upload limit instead of the JSON body limit.
UPLOAD_PATHS = re.compile(
    r"^(/key/[^/]+)?/submission$"
    r"|^/api/v1/observations/\d+/evidence$"
    r"|^/api/v1/imports$"
    r"|^/api/v1/forms(/[^/]+/versions/[^/]+/media)?$"
    r"|^/(report|import|forms)$"
)
Renderer = Callable[[VigilError, str], Any]


class BodyLimit:
    """Refuse request bodies over the limit with 413, by header or while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int | None = None,
        render: Renderer | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes if upload_bytes is not None else max_bytes
        self.render = render or (lambda error, path: problem_response(error, path))

    def limit_for(self, path: str) -> int:
        """The largest body this path accepts."""
        return self.upload_bytes if UPLOAD_PATHS.match(path) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        await self.app(scope, self._counting(receive, limit), send)

    def _counting(self, receive: Receive, limit: int) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # An HTTPException passes FastAPI's body parsing unchanged (others become 400).
                raise HTTPException(413, f"the body exceeds {limit} bytes")
            return message

        return wrapped

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = VigilError("body_too_large", f"the body exceeds {limit} bytes")
        response = self.render(error, scope.get("path", ""))
        await response(scope, receive, send)
