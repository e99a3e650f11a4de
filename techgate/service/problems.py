"""Every error as RFC 9457 problem details, with the located problems the command line prints.

Bad input is never a stack trace: InvalidInputError is 422 (404 when what was
asked for is not there, 503 when the database did not answer), FastAPI's own
parameter errors are reshaped into the same located form, and anything
unforeseen is logged and answered with a bare 500 that says nothing of the
code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from techgate.errors import InputProblem, InvalidInputError, NotFoundError, UnavailableError

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:techgate:problem:"
log = logging.getLogger("techgate.service")


class ProblemError(Exception):
    """An error the service answers with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        problems: Iterable[InputProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.problems = tuple(problems)
        self.headers = dict(headers or {})


def problem_response(
    request_path: str,
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    problems: Iterable[InputProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    body = {
        "type": f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request_path,
        "problems": [_located(p) for p in problems],
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {}))


def _located(problem: InputProblem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }


def _count(problems: tuple[InputProblem, ...]) -> str:
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found in the request"


def install(app: FastAPI, retry_after_s: int) -> None:
    """Register the handlers that turn every error into a problem document."""

    async def on_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, ProblemError)
        return problem_response(
            request.url.path,
            error.status,
            error.detail,
            kind=error.kind,
            problems=error.problems,
            headers=error.headers,
        )

    async def on_invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, InvalidInputError)
        path = request.url.path
        if isinstance(error, UnavailableError):
            log.warning("database unavailable: %s", error.problems[0].message)
            return problem_response(
                path,
                503,
                "the register's database did not answer; try again shortly",
                kind="database-unavailable",
                headers={"Retry-After": str(retry_after_s)},
            )
        if isinstance(error, NotFoundError):
            return problem_response(
                path, 404, error.problems[0].message, kind="not-found", problems=error.problems
            )
        return problem_response(
            path, 422, _count(error.problems), kind="invalid-input", problems=error.problems
        )

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 400 and isinstance(error.__cause__, UnicodeDecodeError):
            # FastAPI reads a JSON model's body itself and calls one that is not UTF-8 a bare
            # 400; every other unreadable input is a located 422, and so is this.
            located = (_undecodable(error.__cause__),)
            return problem_response(
                request.url.path, 422, _count(located), kind="invalid-input", problems=located
            )
        headers = dict(error.headers or {})
        detail = (
            error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        )
        kind = "body-too-large" if error.status_code == 413 else None
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem_response(
            request.url.path, error.status_code, detail, kind=kind, headers=headers
        )

    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = [_parameter_problem(detail) for detail in error.errors()]
        return problem_response(
            request.url.path, 422, _count(tuple(problems)), kind="invalid-input", problems=problems
        )

    async def on_bug(request: Request, error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(
            request.url.path, 500, "an unexpected error; it has been logged", kind="bug"
        )

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(InvalidInputError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_bug)


def _undecodable(error: UnicodeDecodeError) -> InputProblem:
    """Where a request body stops being UTF-8, as the command line names it in a file."""
    raw = bytes(error.object)
    line = raw[: error.start].count(b"\n") + 1
    column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
    message = f"byte 0x{raw[error.start]:02x} is not UTF-8"
    return InputProblem("<request body>", line, column, "", message, "send JSON as UTF-8")


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method the request's path offers. Starlette's 405 names only the methods of the
    first route matching the path, so a path served by two routes (GET and POST
    /v1/evaluations) advertised one of them. Each method is tried against the routes (which
    FastAPI nests inside its routers) as the router itself would match it."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


_WHERE = {"path": "<request path>", "query": "<request query>", "header": "<request header>"}


def _parameter_problem(detail: Mapping[str, Any]) -> InputProblem:
    """A FastAPI parameter or body error in the form the command line prints."""
    location = [str(part) for part in detail.get("loc", ())]
    where = _WHERE.get(location[0], "<request body>") if location else "<request>"
    field = ".".join(location[1:])
    message = str(detail.get("msg", "is not valid"))
    if detail.get("type") == "extra_forbidden":
        message = "is not a field here"
    if detail.get("type") == "missing":
        message = "is required"
    return InputProblem(where, None, None, field, message, "")
