"""Webhook subscriptions over HTTP (admins): subscribe, list, disable, enable, delivery tries.

Deliveries themselves run in the service's background deliverer (see app.py),
never in a request: a receiver that hangs or fails delays nothing here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from techgate import api
from techgate.model.register import Principal, Role
from techgate.model.webhooks import DeliveryAttempt, NewSubscription, Subscription
from techgate.service.auth import require
from techgate.service.bodies import require_json
from techgate.service.common import json_response, problems
from techgate.service.schemas import SubscriptionChangeRequest, SubscriptionRequest
from techgate.service.state import state_of
from techgate.vocabulary import LARGEST_ID

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
SubscriptionId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The subscription's number.")]
_SUBSCRIPTIONS = TypeAdapter(tuple[Subscription, ...])
_ATTEMPTS = TypeAdapter(tuple[DeliveryAttempt, ...])


def _json(adapter: TypeAdapter[Any], value: object) -> Response:
    return Response(adapter.dump_json(value, indent=2) + b"\n", media_type="application/json")


@router.post(
    "",
    status_code=201,
    summary="Subscribe a receiver to events; the answer holds its signing secret, shown once",
    response_model=NewSubscription,
    responses=problems(401, 403, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def subscribe(
    request: Request,
    wanted: SubscriptionRequest,
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    state = state_of(request)
    made = api.subscribe(
        state.register,
        wanted.url,
        wanted.events,
        by=caller.name,
        allow_private=state.settings.allow_private_webhooks,
    )
    return json_response(made, 201, headers={"Cache-Control": "no-store"})


@router.get(
    "",
    summary="Every subscription (never a secret), oldest first",
    response_model=tuple[Subscription, ...],
    responses=problems(401, 403, 503),
)
def listed(request: Request, _: Annotated[Principal, Depends(require(Role.ADMIN))]) -> Response:
    return _json(_SUBSCRIPTIONS, state_of(request).register.webhooks.subscriptions())


@router.post(
    "/{subscription_id}/disable",
    summary="Stop delivering to a subscription (its queued messages wait)",
    response_model=Subscription,
    responses=problems(401, 403, 404, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def disable(
    request: Request,
    subscription_id: SubscriptionId,
    why: SubscriptionChangeRequest,
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    store = state_of(request).register.webhooks
    return json_response(store.change(subscription_id, False, caller.name, why.why))


@router.post(
    "/{subscription_id}/enable",
    summary="Deliver to a subscription again (after a 410 Gone or an admin's disable)",
    response_model=Subscription,
    responses=problems(401, 403, 404, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def enable(
    request: Request,
    subscription_id: SubscriptionId,
    why: SubscriptionChangeRequest,
    caller: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> Response:
    state = state_of(request)
    changed = state.register.webhooks.change(subscription_id, True, caller.name, why.why)
    state.wake_deliverer()
    return json_response(changed)


@router.get(
    "/{subscription_id}/attempts",
    summary="The latest delivery tries to a subscription, newest first",
    response_model=tuple[DeliveryAttempt, ...],
    responses=problems(401, 403, 422, 503),
)
def attempts(
    request: Request,
    subscription_id: SubscriptionId,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    store = state_of(request).register.webhooks
    return _json(_ATTEMPTS, store.attempts(subscription_id, limit=limit))
