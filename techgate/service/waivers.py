"""Waivers over HTTP: approvers grant and revoke them, readers list them.

The approver is the token's name; the register refuses an approver who asked
for the waiver or submitted the evaluation it answers, a gate the pack does
not have, and an expiry beyond the tightest of the pack's limit and the
server's (Settings.max_waiver_days).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from techgate.errors import InputProblem, NotFoundError
from techgate.model.register import Principal, Role
from techgate.model.waiver import Waiver, WaiverList, WaiverRequest
from techgate.service.auth import require
from techgate.service.bodies import require_json
from techgate.service.common import json_response, problems
from techgate.service.schemas import RevokeRequest
from techgate.service.state import state_of
from techgate.vocabulary import LARGEST_ID

router = APIRouter(prefix="/v1/waivers", tags=["waivers"])
WaiverId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The waiver's number.")]


@router.post(
    "",
    status_code=201,
    summary="Waive one failed gate of one proposal id, until a date (approvers)",
    response_model=Waiver,
    responses=problems(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def grant(
    request: Request,
    wanted: WaiverRequest,
    caller: Annotated[Principal, Depends(require(Role.APPROVER))],
) -> Response:
    """The approver is the token's name and may be neither the one who asked for it
    (requested_by) nor the submitter of the proposal's latest evaluation."""
    state = state_of(request)
    made = state.register.waive(
        wanted, by=caller.name, max_waiver_days=state.settings.max_waiver_days
    )
    state.wake_deliverer()
    return json_response(made, 201, headers={"Location": f"/v1/waivers/{made.id}"})


@router.get(
    "",
    summary="Waivers in force (or every one with all=true), oldest first",
    response_model=WaiverList,
    responses=problems(401, 403, 422, 503),
)
def listed(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.READER))],
    proposal_id: Annotated[str | None, Query(max_length=200)] = None,
    all: Annotated[bool, Query(description="Expired and revoked ones too.")] = False,
) -> Response:
    return json_response(state_of(request).register.waivers(proposal_id, include_inactive=all))


@router.get(
    "/{waiver_id}",
    summary="One waiver, in force or not",
    response_model=Waiver,
    responses=problems(401, 403, 404, 422, 503),
)
def show(
    request: Request,
    waiver_id: WaiverId,
    _: Annotated[Principal, Depends(require(Role.READER))],
) -> Response:
    return json_response(_one(request, waiver_id))


@router.post(
    "/{waiver_id}/revoke",
    summary="Withdraw a waiver before it expires (approvers)",
    response_model=Waiver,
    responses=problems(401, 403, 404, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def revoke(
    request: Request,
    waiver_id: WaiverId,
    why: RevokeRequest,
    caller: Annotated[Principal, Depends(require(Role.APPROVER))],
) -> Response:
    _one(request, waiver_id)
    return json_response(
        state_of(request).register.revoke_waiver(waiver_id, caller.name, why.reason)
    )


def _one(request: Request, waiver_id: int) -> Waiver:
    every = state_of(request).register.waivers(include_inactive=True).waivers
    for waiver in every:
        if waiver.id == waiver_id:
            return waiver
    raise NotFoundError(
        [InputProblem("<register>", None, None, "waiver_id", f"has no waiver {waiver_id}")]
    )
