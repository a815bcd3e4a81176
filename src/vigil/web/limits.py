"""A guard in front of the app: bodies larger than the limit are refused before parsing."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.errors import VigilError
from vigil.web.problems import problem_response


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # An HTTPException passes FastAPI's body parsing unchanged (others become 400).
                raise HTTPException(413, f"the body exceeds {self.max_bytes} bytes")
            return message

        return wrapped

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = VigilError("body_too_large", f"the body exceeds {self.max_bytes} bytes")
        response: Any = problem_response(error, scope.get("path", ""))
        await response(scope, receive, send)
