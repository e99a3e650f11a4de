"""A proposal over time: its history, and what changed between two of its evaluations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from techgate import api
from techgate.errors import single_problem
from techgate.model.diff import RecordDiff
from techgate.model.evaluation import Evaluation
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
    ids = [e.id for e in register.history(proposal_id).evaluations]
    for field, wanted in (("before", before), ("after", after)):
        if wanted is not None and wanted not in ids:
            raise single_problem(
                "<request query>",
                f"evaluation {wanted} is not an evaluation of proposal {proposal_id!r}",
                f"its evaluations: {', '.join(map(str, ids))}",
                field=field,
            )
    after = ids[-1] if after is None else after
    if before is None:
        earlier = [i for i in ids if i < after]
        if not earlier:
            raise single_problem(
                "<request query>",
                f"proposal {proposal_id!r} has no evaluation before {after}",
                "a diff needs two evaluations; submit a new version first",
                field="before",
            )
        before = earlier[-1]
    older = Evaluation.model_validate_json(register.record_json(before))
    newer = Evaluation.model_validate_json(register.record_json(after))
    changes = api.diff_records(older, newer)
    if chosen == OutputFormat.MARKDOWN.media_type:
        return Response(api.render_diff(changes, OutputFormat.MARKDOWN), media_type=chosen)
    return json_response(changes)
