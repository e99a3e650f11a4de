"""A proposal over time: its history, and what changed between two of its evaluations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from techgate import api
from techgate.model.diff import RecordDiff
from techgate.model.register import History, Principal, Role
from techgate.service.auth import require
from techgate.service.common import json_response, problems
from techgate.service.negotiation import preferred
from techgate.vocabulary import LARGEST_ID, OutputFormat

router = APIRouter(prefix="/v1/proposals", tags=["proposals"])
ProposalId = Annotated[str, Path(min_length=1, max_length=200, description="The proposal's id.")]


@router.get(
    "/{proposal_id}/history",
    summary="Every evaluation of a proposal, and every decision taken on them, oldest first",
    response_model=History,
    responses=problems(401, 403, 404, 503),
)
def history(
    request: Request,
    proposal_id: ProposalId,
    _: Annotated[Principal, Depends(require(Role.READER))],
) -> Response:
    from techgate.service.state import state_of

    return json_response(state_of(request).register.history(proposal_id))


@router.get(
    "/{proposal_id}/diff",
    summary="What changed between two evaluations of a proposal (default: its last two)",
    response_model=RecordDiff,
    responses=problems(
        401, 403, 404, 406, 422, 503, also={200: {"content": {"text/markdown": {}}}}
    ),
)
def diff(
    request: Request,
    proposal_id: ProposalId,
    _: Annotated[Principal, Depends(require(Role.READER))],
    before: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
    after: Annotated[int | None, Query(ge=1, le=LARGEST_ID)] = None,
) -> Response:
    """JSON, or Markdown with 'Accept: text/markdown'."""
    from techgate.service.state import state_of

    register = state_of(request).register
    chosen = preferred(
        request.headers.get("accept"),
        [OutputFormat.JSON.media_type, OutputFormat.MARKDOWN.media_type],
    )
    older, newer = register.pair(proposal_id, before, after)
    changes = api.diff_records(older, newer)
    if chosen == OutputFormat.MARKDOWN.media_type:
        return Response(api.render_diff(changes, OutputFormat.MARKDOWN), media_type=chosen)
    return json_response(changes)
