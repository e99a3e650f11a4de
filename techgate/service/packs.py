"""Packs the service offers: installed ones (by admins) and the built-in ones; never a path."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from techgate import api
from techgate.errors import NotFoundError, PackNotFoundError, single_problem
from techgate.model.criteria import CriteriaPack
from techgate.model.register import PackInstall, Principal, Role
from techgate.service.auth import require
from techgate.service.bodies import yaml_or_json
from techgate.service.common import BODY_NAME, PackId, json_response, problems
from techgate.service.schemas import PackEntry, PackList
from techgate.service.state import state_of

router = APIRouter(prefix="/v1/packs", tags=["packs"])

_PACK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A criteria pack, as YAML or JSON ('techgate schema criteria'). Its "
        "'extends' names an installed or built-in pack by id.",
        "content": {
            media: {"schema": {"type": "object"}}
            for media in ("application/yaml", "text/yaml", "application/json")
        },
    }
}


@router.get(
    "",
    summary="The packs proposals may name: installed, then built-in",
    response_model=PackList,
    responses=problems(401, 403, 503),
)
def list_packs(
    request: Request, _: Annotated[Principal, Depends(require(Role.READER))]
) -> Response:
    register = state_of(request).register
    installed = register.installed_packs()
    entries = {
        info.id: PackEntry.trusted(
            id=info.id,
            title=info.title,
            version=info.version,
            source="built-in",
            sha256=api.load_pack(info.id).sha256,
        )
        for info in api.list_packs()
    }
    source = api.service_packs(register)
    for pack_id in installed:
        pack = api.service_pack(source, pack_id)
        entries[pack_id] = PackEntry.trusted(
            id=pack.id,
            title=pack.title,
            version=pack.version,
            source="installed",
            sha256=pack.sha256,
        )
    return json_response(PackList.trusted(items=tuple(entries[k] for k in sorted(entries))))


@router.get(
    "/{pack_id}",
    summary="One pack, resolved ('extends' applied), as JSON",
    response_model=CriteriaPack,
    responses=problems(401, 403, 404, 422, 503),
)
def show_pack(
    request: Request,
    pack_id: PackId,
    _: Annotated[Principal, Depends(require(Role.READER))],
) -> Response:
    source = api.service_packs(state_of(request).register)
    try:
        return json_response(api.service_pack(source, pack_id))
    except PackNotFoundError as error:
        raise NotFoundError(error.problems) from None


@router.put(
    "/{pack_id}",
    summary="Install a pack under its id (replacing what the id meant)",
    response_model=PackInstall,
    status_code=200,
    responses=problems(
        401, 403, 413, 415, 422, 503, also={201: {"model": PackInstall, "description": "A new id"}}
    ),
    openapi_extra=_PACK_BODY,
)
async def install(
    request: Request,
    pack_id: PackId,
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    """The body's 'id' must be the id in the path. Records name the pack by its hash, so
    evaluations made with what the id meant before keep their meaning."""
    body = await yaml_or_json(request)
    register = state_of(request).register

    def work() -> tuple[PackInstall, bool]:
        source = api.service_packs(register)
        text = api.ProposalText(body.raw, BODY_NAME, allow_tabs=body.is_json)
        pack = api.pack_from_text(text, source)
        if pack.id != pack_id:
            raise single_problem(
                BODY_NAME,
                f"the pack's id is {pack.id!r}, but it is sent to /v1/packs/{pack_id}",
                "send it to its own id",
                field="id",
            )
        new = pack_id not in register.installed_packs()
        return register.install_pack(pack, caller.name), new

    installed, new = await run_in_threadpool(work)
    return json_response(
        installed, 201 if new else 200, headers={"Location": f"/v1/packs/{pack_id}"}
    )


@router.delete(
    "/{pack_id}",
    summary="Withdraw an installed pack id (a built-in pack of that id is offered again)",
    response_model=PackInstall,
    responses=problems(401, 403, 404, 422, 503),
)
def remove(
    request: Request,
    pack_id: PackId,
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    return json_response(state_of(request).register.remove_pack(pack_id, caller.name))
