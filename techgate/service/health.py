"""Liveness, readiness and metrics: no token needed (see docs/service.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from techgate.errors import InvalidInputError
from techgate.service.common import json_response
from techgate.service.metrics import MEDIA_TYPE
from techgate.service.schemas import Health
from techgate.service.state import state_of

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process answers", response_model=Health)
def healthz() -> Response:
    return json_response(Health.trusted(status="ok"))


@router.get(
    "/readyz",
    summary="The database answers (else 503 with Retry-After)",
    response_model=Health,
    responses={503: {"model": Health}},
)
async def readyz(request: Request) -> Response:
    state = state_of(request)
    try:
        await run_in_threadpool(state.register.ping)
    except InvalidInputError:
        return json_response(
            Health.trusted(status="unavailable"),
            503,
            headers={"Retry-After": str(state.settings.retry_after_s)},
        )
    return json_response(Health.trusted(status="ok"))


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format 0.0.4)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    return Response(state_of(request).metrics.text(), media_type=MEDIA_TYPE)
