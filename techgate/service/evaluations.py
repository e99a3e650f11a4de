"""Evaluations: submit (201, idempotent), dry-run, list, show, the record in any format, decide."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from techgate import api
from techgate.model.evaluation import Decision, Evaluation
from techgate.model.register import (
    EvaluationPage,
    HumanDecision,
    Principal,
    Role,
    Shown,
    Submitted,
)
from techgate.service.auth import require
from techgate.service.bodies import require_json, yaml_or_json
from techgate.service.common import BODY_NAME, EvaluationId, Moment, json_response, problems
from techgate.service.negotiation import preferred
from techgate.service.problems import ProblemError
from techgate.service.rendering import Job, render_source
from techgate.service.schemas import DecisionRequest, JobStatus, Submission
from techgate.service.state import state_of
from techgate.vocabulary import LARGEST_ID, DocumentFormat

router = APIRouter(prefix="/v1", tags=["evaluations"])

_PROPOSAL_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A proposal, as YAML or JSON ('techgate schema proposal' gives its schema). "
        "Its 'pack' names an installed or built-in pack by id, never a path.",
        "content": {
            media: {"schema": {"type": "object"}}
            for media in ("application/yaml", "text/yaml", "application/json")
        },
    }
}
_MAX_KEY = 255
_OFFERED = (DocumentFormat.JSON, DocumentFormat.MARKDOWN, DocumentFormat.HTML, DocumentFormat.PDF)
"""What a record is offered as, JSON first: the answer to an Accept that says nothing."""


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    # The draft makes the key a string; printable ASCII keeps it one line in logs and storage.
    if not 1 <= len(key) <= _MAX_KEY or not all(" " <= c <= "~" for c in key):
        raise ProblemError(
            400,
            f"Idempotency-Key must be 1 to {_MAX_KEY} printable ASCII characters",
            kind="bad-idempotency-key",
        )
    return key


def _submission_json(submitted: Submitted, record_json: str) -> str:
    # The record is embedded as stored, byte for byte what 'evaluate --json' writes.
    evaluation = submitted.evaluation.model_dump_json()
    created = "true" if submitted.created else "false"
    return f'{{"created":{created},"evaluation":{evaluation},"record":{record_json}}}'


@router.post(
    "/evaluations",
    status_code=201,
    summary="Submit a proposal: evaluate it and store the record",
    response_model=Submission,
    responses=problems(
        400,
        401,
        403,
        409,
        413,
        415,
        422,
        503,
        also={200: {"model": Submission, "description": "Identical inputs, stored before"}},
    ),
    openapi_extra=_PROPOSAL_BODY,
)
async def submit(
    request: Request, caller: Annotated[Principal, Depends(require(Role.SUBMITTER))]
) -> Response:
    """The submitter is the token's name (a '?by=' is ignored). With an Idempotency-Key, a
    retry gets the first response again; the same key with another body is 422; a key
    whose first request is still running is 409. Keys are remembered for 24 hours."""
    body = await yaml_or_json(request)
    key = _idempotency_key(request)
    state = state_of(request)

    def work() -> tuple[int, str, int, str]:
        register = state.register
        text = api.ProposalText(body.raw, BODY_NAME, allow_tabs=body.is_json)
        if key is None:
            loaded = api.load(text, packs=api.service_packs(register))
            submitted = api.submit(register, loaded, by=caller.name)
            record_json = register.record_json(submitted.evaluation.id)
            status = 201 if submitted.created else 200
            outcome = "created" if submitted.created else "existing"
            return (
                status,
                _submission_json(submitted, record_json),
                submitted.evaluation.id,
                outcome,
            )
        claim = api.idempotency_claim(
            caller.name, key, body.raw, state.settings.idempotency_lifetime
        )
        with state.in_flight.hold(caller.name, key):
            earlier = register.earlier_response(claim)
            if earlier is None:
                loaded = api.load(text, packs=api.service_packs(register))
                earlier = api.submit_once(
                    register,
                    loaded,
                    by=caller.name,
                    claim=claim,
                    respond=lambda s, r: (201 if s.created else 200, _submission_json(s, r)),
                )
        outcome = "replayed" if earlier.replayed else "created"
        if not earlier.replayed and earlier.status_code == 200:
            outcome = "existing"
        return earlier.status_code, earlier.body, earlier.evaluation_id, outcome

    queued_before = api.messages_queued()
    status, text, evaluation_id, outcome = await run_in_threadpool(work)
    state.metrics.submitted(outcome)
    if outcome == "created" and api.messages_queued() != queued_before:
        state.wake_deliverer()
    headers = {"Location": f"/v1/evaluations/{evaluation_id}"}
    if key is not None and outcome == "replayed":
        headers["Idempotent-Replayed"] = "true"
    return Response(text, status_code=status, media_type="application/json", headers=headers)


@router.post(
    "/evaluate",
    summary="Evaluate a proposal without storing anything (a dry run)",
    response_model=Evaluation,
    responses=problems(401, 403, 413, 415, 422, 503),
    openapi_extra=_PROPOSAL_BODY,
)
async def dry_run(
    request: Request, _: Annotated[Principal, Depends(require(Role.SUBMITTER))]
) -> Response:
    body = await yaml_or_json(request)
    state = state_of(request)

    def work() -> Evaluation:
        text = api.ProposalText(body.raw, BODY_NAME, allow_tabs=body.is_json)
        register = state.register
        return api.dry_run(register, api.load(text, packs=api.service_packs(register)))

    return json_response(await run_in_threadpool(work))


@router.get(
    "/evaluations",
    summary="List stored evaluations, oldest first, filtered, one page at a time",
    response_model=EvaluationPage,
    responses=problems(401, 403, 422, 503),
)
def list_evaluations(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.READER))],
    decision: Annotated[Decision | None, Query(description="The engine's decision.")] = None,
    proposal_id: Annotated[str | None, Query(max_length=200)] = None,
    pack_id: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    owner: Annotated[str | None, Query(max_length=1000)] = None,
    since: Annotated[Moment | None, Query(description="Submitted at or after.")] = None,
    until: Annotated[Moment | None, Query(description="Submitted before.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[int, Query(ge=0, le=LARGEST_ID)] = 0,
) -> Response:
    """A 'Link: <...>; rel="next"' header points at the next page while there is one."""
    filters = api.Filters(
        decision=decision,
        proposal_id=proposal_id,
        pack_id=pack_id,
        category=category,
        owner=owner,
        since=since,
        until=until,
    )
    page = state_of(request).register.list(filters, api.Page(limit=limit, after=after))
    headers = {}
    if page.next_after is not None:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
        query.append(("after", str(page.next_after)))
        headers["Link"] = f'</v1/evaluations?{urlencode(query)}>; rel="next"'
    return json_response(page, headers=headers)


@router.get(
    "/evaluations/{evaluation_id}",
    summary="One stored evaluation, the decisions taken on it, and its record",
    response_model=Shown,
    responses=problems(401, 403, 404, 422, 503),
)
def show(
    request: Request,
    evaluation_id: EvaluationId,
    _: Annotated[Principal, Depends(require(Role.READER))],
) -> Response:
    return json_response(state_of(request).register.show(evaluation_id))


_RECORD_RESPONSES = problems(
    401,
    403,
    404,
    406,
    422,
    503,
    504,
    also={
        200: {
            "description": "The record: JSON byte for byte as stored, or a report",
            "content": {f.media_type.split(";")[0]: {} for f in DocumentFormat},
        },
        202: {"model": JobStatus, "description": "Rendering as a job: poll its Location"},
    },
)


@router.get(
    "/evaluations/{evaluation_id}/record",
    summary="The decision record as JSON, Markdown, HTML or PDF (by Accept)",
    response_model=None,
    responses=_RECORD_RESPONSES,
)
async def record(
    request: Request,
    evaluation_id: EvaluationId,
    _: Annotated[Principal, Depends(require(Role.READER))],
    asynchronous: Annotated[bool, Query(alias="async")] = False,
) -> Response:
    """Accept: application/json (the default), text/markdown, text/html, application/pdf.
    HTML and PDF are laid out in the render pool; '?async=true' or 'Prefer: respond-async'
    (or a large record) makes a job instead: 202 with Location /v1/jobs/{id}."""
    chosen = preferred(request.headers.get("accept"), [f.media_type for f in _OFFERED])
    document = next(f for f in _OFFERED if f.media_type == chosen)
    return await _document(request, evaluation_id, document, asynchronous)


@router.get(
    "/evaluations/{evaluation_id}/record.{suffix}",
    summary="The decision record in the format its suffix names: .json, .md, .html, .pdf",
    response_model=None,
    responses=_RECORD_RESPONSES,
)
async def record_with_suffix(
    request: Request,
    evaluation_id: EvaluationId,
    suffix: Annotated[
        str,
        Path(
            # Documented as the formats offered; any other suffix is answered 406, not 422.
            json_schema_extra={"enum": [f.value for f in _OFFERED]},
            description="json, md, html or pdf.",
        ),
    ],
    _: Annotated[Principal, Depends(require(Role.READER))],
    asynchronous: Annotated[bool, Query(alias="async")] = False,
) -> Response:
    try:
        document = DocumentFormat(suffix)
    except ValueError:
        raise ProblemError(
            406,
            f"no record format '.{suffix}'; offered: .json, .md, .html, .pdf",
            kind="not-acceptable",
        ) from None
    return await _document(request, evaluation_id, document, asynchronous)


async def _document(
    request: Request, evaluation_id: int, document: DocumentFormat, asynchronous: bool
) -> Response:
    state = state_of(request)
    record_json = await run_in_threadpool(state.register.record_json, evaluation_id)
    if document is DocumentFormat.JSON:
        return Response(record_json, media_type=document.media_type)
    # Reports flag what people decided on the record (an override above all).
    decisions = (await run_in_threadpool(state.register.show, evaluation_id)).decisions
    if document is DocumentFormat.MARKDOWN:
        # Markdown is a template over the record, milliseconds: no need for the pool.
        def markdown() -> bytes:
            record = Evaluation.model_validate_json(record_json)
            return api.render(record, [document], decisions=decisions)[document]

        return Response(await run_in_threadpool(markdown), media_type=document.media_type)
    prefer = request.headers.get("prefer", "").lower()
    if (
        asynchronous
        or "respond-async" in prefer
        or len(record_json) > state.settings.async_record_bytes
    ):
        job = state.renders.start_job(
            evaluation_id, render_source(record_json, decisions), document
        )
        return json_response(
            job_status(job), 202, headers={"Location": f"/v1/jobs/{job.id}", "Retry-After": "1"}
        )
    content = await state.renders.render(render_source(record_json, decisions), document)
    return Response(content, media_type=document.media_type)


def job_status(job: Job) -> JobStatus:
    return JobStatus.trusted(
        id=job.id,
        status=job.status,
        evaluation_id=job.evaluation_id,
        format=job.document.value,
        result=f"/v1/jobs/{job.id}/result" if job.status == "done" else None,
        problem=job.problem,
    )


@router.post(
    "/evaluations/{evaluation_id}/decisions",
    status_code=201,
    summary="Record the human decision on a stored evaluation",
    response_model=HumanDecision,
    responses=problems(401, 403, 404, 413, 415, 422, 503),
    dependencies=[Depends(require_json)],
)
def decide(
    request: Request,
    evaluation_id: EvaluationId,
    decision: DecisionRequest,
    caller: Annotated[Principal, Depends(require(Role.APPROVER))],
) -> Response:
    """The decider is the token's name. An override of the engine needs a reason."""
    state = state_of(request)
    made = state.register.decide(evaluation_id, decision.outcome, caller.name, decision.reason)
    state.wake_deliverer()
    return json_response(made, 201, headers={"Location": f"/v1/evaluations/{evaluation_id}"})
