"""Reports rendered in the background: a job's status, then its document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from techgate.model.register import Principal, Role
from techgate.service.auth import require
from techgate.service.common import json_response, problems
from techgate.service.evaluations import job_status
from techgate.service.problems import ProblemError
from techgate.service.rendering import Job
from techgate.service.schemas import JobStatus
from techgate.service.state import state_of

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
JobId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _job(request: Request, job_id: str) -> Job:
    job = state_of(request).renders.job(job_id)
    if job is None:
        raise ProblemError(
            404,
            f"no job {job_id}: it never existed, expired, or the service restarted "
            "(reports are deterministic: ask for it again)",
            kind="not-found",
        )
    return job


@router.get(
    "/{job_id}",
    summary="Where a render job stands; 'result' is its document once done",
    response_model=JobStatus,
    responses=problems(401, 403, 404, 422, 503),
)
def status(
    request: Request, job_id: JobId, _: Annotated[Principal, Depends(require(Role.READER))]
) -> Response:
    job = _job(request, job_id)
    headers = {"Retry-After": "1"} if job.status == "pending" else {}
    return json_response(job_status(job), headers=headers)


@router.get(
    "/{job_id}/result",
    summary="The rendered document of a finished job",
    response_model=None,
    responses=problems(
        401,
        403,
        404,
        409,
        422,
        503,
        also={200: {"content": {"application/pdf": {}, "text/html": {}}}},
    ),
)
def result(
    request: Request, job_id: JobId, _: Annotated[Principal, Depends(require(Role.READER))]
) -> Response:
    job = _job(request, job_id)
    if job.status != "done" or job.result is None:
        raise ProblemError(
            409,
            f"job {job_id} is {job.status}" + (f": {job.problem}" if job.problem else ""),
            kind="job-not-done",
            headers={"Retry-After": "1"} if job.status == "pending" else {},
        )
    return Response(job.result, media_type=job.document.media_type)
