"""The decision service: a FastAPI application over techgate.api and the register.

create_app(register_url, settings) opens (and migrates) the register and
builds the app; adding a group of routes is adding its router to ROUTERS.
Nothing here prints: uvicorn logs, and 'techgate serve' is the only command.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI

from techgate import api
from techgate._version import __version__
from techgate.service import (
    audit,
    evaluations,
    health,
    jobs,
    packs,
    problems,
    proposals,
    tokens,
    waivers,
    webhooks,
)
from techgate.service.bodies import BodyLimit
from techgate.service.metrics import Measured, Metrics
from techgate.service.rendering import RenderPool
from techgate.service.settings import Settings
from techgate.service.state import ServiceState

if TYPE_CHECKING:
    import datetime as dt

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    evaluations.router,
    proposals.router,
    packs.router,
    waivers.router,
    webhooks.router,
    tokens.router,
    audit.router,
    jobs.router,
)
"""Every group of routes, in the order the OpenAPI document lists them."""

DESCRIPTION = """\
Scores a proposed technology against a criteria pack and says go, conditional or
no-go, and keeps what was decided in an append-only register with an audit chain.
Send an API token as 'Authorization: Bearer tg_...'. Errors are RFC 9457 problem
details. See docs/service.md.
"""


def _finish_openapi(app: FastAPI) -> None:
    """The OpenAPI document as the service answers: every error under application/problem+json
    with the Problem schema (FastAPI would put it under application/json, and add its own 422
    shape), and every property described by its field docstring, as 'techgate schema' does."""
    generate = app.openapi
    finished = False

    def openapi() -> dict[str, Any]:
        nonlocal finished
        document = generate()  # FastAPI builds it once and keeps it
        if not finished:
            _problems_as_served(document)
            _describe_properties(document)
            finished = True
        return document

    app.openapi = openapi  # type: ignore[method-assign]


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problems_as_served(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith(("4", "5")) or _answers_its_own_model(response):
                    continue
                response["content"] = {"application/problem+json": {"schema": _PROBLEM_REF}}
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def _answers_its_own_model(response: dict[str, Any]) -> bool:
    """An error status answered with a model of its own, not a problem: /readyz's 503 is
    Health as application/json, and a probe reads it as such."""
    refs = {media.get("schema", {}).get("$ref") for media in response.get("content", {}).values()}
    refs.discard(None)
    return bool(refs - {_PROBLEM_REF["$ref"], "#/components/schemas/HTTPValidationError"})


def _describe_properties(document: dict[str, Any]) -> None:
    from techgate.model.docstrings import all_models, field_docs

    models = all_models()
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        model = models.get(name.removesuffix("-Input").removesuffix("-Output"))
        if model is None:
            continue
        docs = field_docs(model)
        for field, prop in schema.get("properties", {}).items():
            if field in docs and "description" not in prop:
                prop["description"] = docs[field]


def _delivery_settings(settings: Settings) -> api.DeliverySettings:
    chosen = api.DeliverySettings(
        allow_private_targets=settings.allow_private_webhooks,
        timeout=settings.delivery_timeout_s,
    )
    if settings.delivery_backoff_s is not None:
        chosen = dataclasses.replace(chosen, backoff=settings.delivery_backoff_s)
    return chosen


def create_app(
    register_url: str | None = None,
    settings: Settings | None = None,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    routers: Sequence[APIRouter] = ROUTERS,
) -> FastAPI:
    """The service over the register at register_url (else TECHGATE_DB, else ./techgate.db)."""
    settings = settings or Settings()
    register = api.open_register(register_url, clock=clock)
    metrics = Metrics()
    renders = RenderPool(settings)
    metrics.gauges["techgate_render_pending"] = (
        "Reports being rendered or waiting for a render worker.",
        lambda: renders.pending,
    )
    metrics.gauges["techgate_render_jobs"] = (
        "Render jobs held in memory.",
        lambda: renders.jobs_held,
    )

    state = ServiceState(register, settings, renders, metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.deliver_webhooks:
            # One deliverer per service; a message claimed by another process's
            # deliverer is skipped until its claim expires (see docs/webhooks.md).
            state.deliverer = api.deliverer(
                register,
                _delivery_settings(settings),
                interval=settings.delivery_interval_s,
            )
            state.deliverer.start()
        try:
            yield
        finally:
            if state.deliverer is not None:
                state.deliverer.stop()
            renders.close()
            register.close()

    app = FastAPI(
        title="techgate decision service",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.state.techgate = state
    _finish_openapi(app)
    problems.install(app, settings.retry_after_s)
    for router in routers:
        app.include_router(router)
    # Outermost first: the timing sees every answer, the limit every body.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Measured, metrics=metrics)
    return app
