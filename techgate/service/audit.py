"""The audit chain over HTTP (admin only): its events page by page, and the whole check."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from techgate import api
from techgate.model.register import AuditPage, Principal, Role, VerifyResult
from techgate.service.auth import require
from techgate.service.common import json_response, problems
from techgate.service.state import state_of
from techgate.vocabulary import LARGEST_ID

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get(
    "/audit",
    summary="The audit chain's events in order, one page at a time",
    response_model=AuditPage,
    responses=problems(401, 403, 422, 503),
)
def audit(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
    after: Annotated[int, Query(ge=0, le=LARGEST_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    mask: Annotated[
        list[str],
        Query(max_length=200, description="A field to mask at any depth of the events' data."),
    ] = [],  # noqa: B006 (FastAPI copies a default; a repeated query parameter needs a list)
) -> Response:
    """The events' data as docs/register.md describes; each field named by 'mask' (repeat it)
    reads '[masked]'. The hashes are over the unmasked events."""
    page = state_of(request).register.audit(api.Page(limit=limit, after=after), mask)
    headers = {}
    if page.next_after is not None:
        query = urlencode(
            [("after", page.next_after), ("limit", limit), *(("mask", m) for m in mask)]
        )
        headers["Link"] = f'</v1/audit?{query}>; rel="next"'
    return json_response(page, headers=headers)


@router.get(
    "/verify",
    summary="Walk the audit chain and check every stored row against it",
    response_model=VerifyResult,
    responses=problems(401, 403, 503),
)
async def verify(
    request: Request, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> Response:
    """200 either way: 'intact' says whether the register holds what the chain says."""
    result = await run_in_threadpool(state_of(request).register.verify)
    return json_response(result)
