"""Request bodies: the size limit (checked before a body is read whole) and the media types.

A declared Content-Length over the limit is refused before a byte is read;
a body sent without one (chunked) is counted as it arrives and refused at
the chunk that crosses the limit. Both are 413 problems.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techgate.service.problems import ProblemError, problem_response

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
JSON_TYPES = ("application/json",)


class BodyTooLargeError(HTTPException):
    """Raised while a body is read, at the chunk that crosses the limit. An HTTPException,
    so that FastAPI's own body parsing lets it through rather than calling it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit:,} bytes")


class BodyLimit:
    """ASGI middleware holding every request body to 'limit' bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0 or size > self.limit:
                detail = (
                    f"the request body is larger than {self.limit:,} bytes"
                    if size > self.limit
                    else "Content-Length is not a number"
                )
                status = 413 if size > self.limit else 400
                response = problem_response(scope["path"], status, detail, kind="body-too-large")
                await response(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLargeError(self.limit)
            return message

        await self.app(scope, counted, send)


@dataclass(frozen=True)
class Body:
    raw: bytes
    is_json: bool


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def yaml_or_json(request: Request) -> Body:
    """The body of a proposal or pack: YAML or JSON only (else 415)."""
    kind = media_type(request)
    if kind not in YAML_TYPES + JSON_TYPES:
        raise ProblemError(
            415,
            f"send YAML ({YAML_TYPES[0]}) or JSON (application/json), not {kind or 'no type'}",
            kind="unsupported-media-type",
            headers={"Accept-Post": ", ".join((*YAML_TYPES[:1], "text/yaml", *JSON_TYPES))},
        )
    return Body(await request.body(), kind in JSON_TYPES)


def require_json(request: Request) -> None:
    """For bodies the service parses as JSON models: the JSON media type only (else 415)."""
    kind = media_type(request)
    if kind not in JSON_TYPES:
        raise ProblemError(
            415, f"send application/json, not {kind or 'no type'}", kind="unsupported-media-type"
        )
