"""HTML and PDF reports rendered off the request workers: a bounded pool, a timeout, jobs.

Laying out a PDF takes a second or two of CPU; done on an event loop or a
request thread it would stall every other caller. Renders go to a small
process pool (started with 'spawn', never forked from a threaded server);
a request awaits its render without holding a thread. When the pool and
its queue are full the service says 503 with Retry-After; a render waited
on past the timeout is 504. A large report, or one asked for with
'?async=true' or 'Prefer: respond-async', is a job: 202 and a status URL.
Jobs live in memory and do not survive a restart; the document is
deterministic, so asking again gives the same bytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import datetime as dt
import multiprocessing
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from techgate.errors import RenderError
from techgate.model.evaluation import Evaluation
from techgate.model.register import HumanDecision
from techgate.service.problems import ProblemError
from techgate.service.settings import Settings
from techgate.vocabulary import DocumentFormat


class _Source(BaseModel):
    decisions: tuple[HumanDecision, ...]
    record: Evaluation


def render_source(record_json: str, decisions: tuple[HumanDecision, ...]) -> str:
    """What a worker renders: the stored record and the decisions people took on it, as one
    JSON text (a worker gets strings: nothing else crosses into its process cheaply)."""
    from pydantic import TypeAdapter

    people = TypeAdapter(tuple[HumanDecision, ...]).dump_json(decisions).decode("utf-8")
    return f'{{"decisions":{people},"record":{record_json}}}'


def render_document(source_json: str, document: str) -> bytes:
    """Run in a worker: one document of a stored record (render_source's text), any override
    of the engine flagged."""
    from techgate import api

    source = _Source.model_validate_json(source_json)
    chosen = DocumentFormat(document)
    return api.render(source.record, [chosen], decisions=source.decisions)[chosen]


def _warm_up() -> None:
    # Import WeasyPrint and the templates once per worker, before the first request waits.
    import techgate.api  # noqa: F401


@dataclass
class Job:
    id: str
    evaluation_id: int
    document: DocumentFormat
    status: str = "pending"
    result: bytes | None = None
    problem: str | None = None
    finished_at: dt.datetime | None = None


Renderer = Callable[[str, str], bytes]
"""(record JSON, document format) → the document's bytes; importable, for a worker process."""


@dataclass
class RenderPool:
    settings: Settings
    renderer: Renderer = render_document
    """What renders; another function only where a test needs a render it can hold back."""
    _executor: cf.Executor | None = None
    _pending: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _jobs: OrderedDict[str, Job] = field(default_factory=OrderedDict)

    @property
    def pending(self) -> int:
        """Renders running or waiting."""
        return self._pending

    @property
    def jobs_held(self) -> int:
        return len(self._jobs)

    def _pool(self) -> cf.Executor:
        with self._lock:
            if self._executor is None:
                workers = self.settings.render_workers
                if workers <= 0:
                    self._executor = cf.ThreadPoolExecutor(1, thread_name_prefix="techgate-render")
                else:
                    self._executor = cf.ProcessPoolExecutor(
                        workers,
                        mp_context=multiprocessing.get_context("spawn"),
                        initializer=_warm_up,
                    )
            return self._executor

    def _submit(
        self, record_json: str, document: DocumentFormat
    ) -> tuple[cf.Future[bytes], cf.Executor]:
        capacity = max(self.settings.render_workers, 1) + self.settings.render_queue
        with self._lock:
            if self._pending >= capacity:
                raise ProblemError(
                    503,
                    f"{self._pending} reports are being rendered; try again shortly",
                    kind="render-pool-full",
                    headers={"Retry-After": str(self.settings.retry_after_s)},
                )
            self._pending += 1
        executor = self._pool()
        try:
            future = executor.submit(self.renderer, record_json, document.value)
        except cf.BrokenExecutor:
            self._done()
            raise self._crashed(executor) from None
        except BaseException:
            self._done()
            raise
        future.add_done_callback(lambda _: self._done())
        return future, executor

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1

    def _crashed(self, executor: cf.Executor | None) -> ProblemError:
        """A worker died (killed, out of memory): drop the broken pool so the next render
        starts a fresh one, and tell the caller to retry."""
        with self._lock:
            if executor is not None and self._executor is executor:
                self._executor = None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        return ProblemError(
            503,
            "a render worker stopped unexpectedly; a new one is starting, try again",
            kind="render-worker-crashed",
            headers={"Retry-After": str(self.settings.retry_after_s)},
        )

    async def render(self, record_json: str, document: DocumentFormat) -> bytes:
        """The document, awaited without holding a thread; 503 when full, 504 past the timeout."""
        future, executor = self._submit(record_json, document)
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(future), self.settings.render_timeout_s
            )
        except TimeoutError:
            raise ProblemError(
                504,
                f"the report took longer than {self.settings.render_timeout_s:g} s; "
                "ask for it as a job with ?async=true",
                kind="render-timeout",
            ) from None
        except cf.BrokenExecutor:
            raise self._crashed(executor) from None
        except RenderError as error:
            raise ProblemError(500, f"the report could not be rendered: {error}") from None

    def start_job(self, evaluation_id: int, record_json: str, document: DocumentFormat) -> Job:
        future, executor = self._submit(record_json, document)
        job = Job(secrets.token_urlsafe(16), evaluation_id, document)
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job

        def finished(done: cf.Future[bytes]) -> None:
            error = done.exception()
            if isinstance(error, cf.BrokenExecutor):
                self._crashed(executor)
            if error is None:
                job.result, job.status = done.result(), "done"
            else:
                job.problem, job.status = f"the report could not be rendered: {error}", "failed"
            job.finished_at = dt.datetime.now(dt.UTC)

        future.add_done_callback(finished)
        return job

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            self._forget_old()
            return self._jobs.get(job_id)

    def _forget_old(self) -> None:
        now = dt.datetime.now(dt.UTC)
        finished = [j for j in self._jobs.values() if j.finished_at is not None]
        expired = {
            j.id
            for j in finished
            if now - j.finished_at > self.settings.job_lifetime  # type: ignore[operator]
        }
        surplus = len(finished) - self.settings.job_limit
        for job in finished:
            if surplus <= 0:
                break
            if job.id not in expired:
                expired.add(job.id)
                surplus -= 1
        for job_id in expired:
            self._jobs.pop(job_id, None)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
