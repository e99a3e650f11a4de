"""The audit chain over HTTP (admin only): its events page by page, and the whole check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

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
) -> Response:
    """Each event's event_json is exactly what was hashed; see docs/register.md."""
    page = state_of(request).register.events(after, limit)
    headers = {}
    if page.next_after is not None:
        headers["Link"] = f'</v1/audit?after={page.next_after}&limit={limit}>; rel="next"'
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
