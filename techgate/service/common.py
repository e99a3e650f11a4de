"""Small pieces every group of routes uses: JSON responses, ids, the request body's name."""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, WithJsonSchema
from starlette.responses import Response

from techgate.vocabulary import LARGEST_ID

BODY_NAME = "<request body>"
"""What located problems call the request body, in place of a file name."""

EvaluationId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The evaluation's number.")]
PackId = Annotated[
    str,
    Path(
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        max_length=64,
        description="A pack id: lower-case letters, digits, '.', '_' and '-'.",
    ),
]


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    # pydantic reads a bare number as seconds since 1970, so '?since=20260131' meant a day
    # in August 1970 and matched everything: a number is refused as the mistake it is.
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("is a number; give a date (2026-01-31) or a date and time (RFC 3339)")
    return value


Moment = Annotated[
    dt.datetime,
    BeforeValidator(_not_a_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ]
        }
    ),
]
"""A date and time in a query (UTC when no zone is given), or a date (its midnight)."""


def problems(
    *codes: int, also: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses an operation may give (and others, 'also')."""
    from techgate.service.schemas import Problem

    entries: dict[int | str, dict[str, Any]] = dict(also or {})
    for code in codes:
        entries[code] = {
            "model": Problem,
            "content": {"application/problem+json": {}},
            "description": HTTPStatus(code).phrase,
        }
    return entries


def json_response(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A model as techgate writes JSON (two-space indent, risky characters escaped)."""
    from techgate import api

    return Response(
        api.json_text(model),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
