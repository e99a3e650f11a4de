"""API tokens over HTTP (admin only): create (the secret shown once), list, revoke."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from techgate.model.register import NewToken, Principal, Role, TokenInfo
from techgate.service.auth import require
from techgate.service.bodies import require_json
from techgate.service.common import json_response, problems
from techgate.service.schemas import TokenRequest
from techgate.service.state import state_of
from techgate.vocabulary import LARGEST_ID

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])
_LIST = TypeAdapter(tuple[TokenInfo, ...])


@router.post(
    "",
    status_code=201,
    summary="Create a token; the answer holds its secret, shown this once",
    response_model=NewToken,
    responses=problems(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def create(
    request: Request,
    wanted: TokenRequest,
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    expires = wanted.expires
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    made = state_of(request).register.create_token(wanted.name, wanted.role, caller.name, expires)
    return json_response(made, 201, headers={"Cache-Control": "no-store"})


@router.get(
    "",
    summary="Every token (never a secret), oldest first",
    response_model=tuple[TokenInfo, ...],
    responses=problems(401, 403, 503),
)
def list_tokens(
    request: Request, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> Response:
    found = state_of(request).register.tokens()
    return Response(_LIST.dump_json(found, indent=2) + b"\n", media_type="application/json")


@router.post(
    "/{token_id}/revoke",
    summary="Revoke a token: it stops working at once",
    response_model=TokenInfo,
    responses=problems(401, 403, 404, 422, 503),
)
def revoke(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=LARGEST_ID)],
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    return json_response(state_of(request).register.revoke_token(token_id, caller.name))
