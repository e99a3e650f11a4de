"""techgate batch: evaluate and render many proposals, on every core.

Two passes. The first reads and evaluates every proposal, so that two
proposals with one id are caught before anything is written. The second
renders the documents in the workers and hands the bytes back: only this
process writes, each proposal's files all or none, so a worker that dies or
is stopped never leaves half a file. A worker that crashes costs only the
proposal it was working on; Ctrl-C or SIGTERM stops the workers at once and
the summary lists what finished.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click

from techgate.cli.options import (
    DocumentRequest,
    pack_option,
    paper_option,
    sensitivity_options,
    templates_option,
    waivers_option,
)
from techgate.vocabulary import DocumentFormat, Paper, choices

if TYPE_CHECKING:
    import datetime as dt

    from techgate.model.evaluation import Evaluation, SensitivityRequest
    from techgate.model.waiver import Waiver

FORMAT_NAMES = tuple(choices(DocumentFormat))
# Ctrl-C, a service manager's stop, the terminal closing.
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
T = TypeVar("T")


@dataclass(frozen=True)
class Job:
    """What every worker needs, besides the proposal."""

    documents: DocumentRequest
    pack: str | None
    pack_dirs: tuple[Path, ...] = ()
    sensitivity: SensitivityRequest | None = None
    waivers: tuple[Waiver, ...] = ()
    at: dt.datetime | None = None
    """When waivers are judged: once for the whole batch, so every proposal sees the same."""
    waivers_file: Path | None = None


@dataclass(frozen=True)
class ItemResult:
    """The outcome for one proposal."""

    path: str
    status: str  # "ok", "invalid", "error" or "interrupted"
    proposal_id: str = ""
    decision: str = ""
    score: float = 0.0
    confidence: float = 0.0
    outputs: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Evaluated:
    """First pass: the record, or why there is none."""

    result: ItemResult
    record: Evaluation | None = None
    read: tuple[str, ...] = ()  # every file read for it: none may be overwritten


@dataclass(frozen=True)
class _Rendered:
    """Second pass: the documents' bytes, for the parent to write."""

    files: tuple[tuple[str, bytes], ...] = ()
    problem: str = ""
    invalid: bool = False  # the problem is in an input (a user template), not a bug


class _Stopped(BaseException):
    """The user or the system asked the batch to stop.

    A BaseException, like KeyboardInterrupt, so that no 'except Exception'
    on the way (a worker's guard against bugs) can swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _worker_setup(formats: tuple[str, ...]) -> None:
    """Ignore Ctrl-C (the parent stops workers), die with the parent, warm WeasyPrint up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the parent's handlers; the parent's turn
    # SIGTERM into a clean stop of the batch, a worker's must just end it.
    for signum in _STOP_SIGNALS[1:]:
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()
    if "pdf" in formats:
        from weasyprint import HTML

        HTML(string="<p>warm-up</p>").write_pdf()


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to this worker if the parent dies, even
    # by SIGKILL, so a killed batch never leaves workers blocked for ever.
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's own cleanup still runs
        pass


def evaluate_one(path: str, job: Job) -> _Evaluated:
    """Load and evaluate one proposal; never raises."""
    from techgate import api
    from techgate.errors import InvalidInputError, TechgateError

    try:
        loaded = api.load(Path(path), pack=job.pack, pack_dirs=job.pack_dirs)
        record = api.evaluate(loaded, sensitivity=job.sensitivity, waivers=job.waivers, at=job.at)
    except InvalidInputError as error:
        return _Evaluated(ItemResult(path, "invalid", problems=tuple(map(str, error.problems))))
    except (TechgateError, OSError) as error:
        return _Evaluated(ItemResult(path, "error", problems=(str(error),)))
    except Exception as error:  # a bug must not sink the rest of the batch
        text = f"{path}: unexpected {type(error).__name__}: {error}"
        return _Evaluated(ItemResult(path, "error", problems=(text,)))
    result = ItemResult(
        path, "ok", record.proposal.id, record.decision.value, record.score, record.confidence
    )
    return _Evaluated(result, record, tuple(str(p) for p in loaded.read))


def render_one(record: Evaluation, job: Job) -> _Rendered:
    """Render one record's documents to bytes; never raises."""
    from techgate.cli.output import document_paths, render_documents
    from techgate.errors import InvalidInputError, TechgateError

    try:
        paths = document_paths(record, job.documents)
        files = render_documents(record, job.documents, paths)
    except InvalidInputError as error:
        return _Rendered(problem="; ".join(map(str, error.problems)), invalid=True)
    except TechgateError as error:
        return _Rendered(problem=str(error))
    except Exception as error:
        return _Rendered(problem=f"unexpected {type(error).__name__}: {error}")
    return _Rendered(files=tuple((str(path), data) for path, data in files))


def _parse_formats(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [n for n in names if n not in FORMAT_NAMES]
    if unknown or not names:
        raise click.BadParameter(
            f"use a comma-separated list of {', '.join(FORMAT_NAMES)}", param_hint="--formats"
        )
    return names


@click.command()
# Not checked by click: an unreadable input must fail alone, not the batch.
@click.argument(
    "proposals", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path)
)
@click.option(
    "--out-dir",
    "-d",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the reports (created if missing); each is <proposal-id>.<ext>.",
)
@click.option(
    "--formats", default="pdf,json", show_default=True, help="Comma-separated: pdf, html, md, json."
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: one per core).",
)
@pack_option
@paper_option
@templates_option
@waivers_option
@sensitivity_options
def batch(
    proposals: tuple[Path, ...],
    out_dir: Path,
    formats: str,
    jobs: int | None,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
    paper: str,
    templates: Path | None,
    waivers_file: Path | None,
    sensitivity: SensitivityRequest | None,
) -> int:
    """Evaluate and render many PROPOSALS into --out-dir.

    Invalid proposals are reported and skipped; the others are still
    rendered. Two proposals with the same id are both refused before
    anything is written. Ctrl-C stops the batch within a second; what was
    finished stays, nothing is left half-written. Exit code: 2 if any input
    was invalid, else 1 if any failed to render, else the worst decision
    (4 no-go, 3 conditional, 0 go); 130 if stopped by Ctrl-C, 143 by SIGTERM,
    129 by SIGHUP.
    """
    import datetime as dt

    from techgate import api
    from techgate.cli.app import ExitCode
    from techgate.errors import single_problem

    names = _parse_formats(formats)
    # Shared by every proposal: a bad waivers file stops the batch before anything is read.
    waivers = () if waivers_file is None else api.read_waivers(waivers_file)
    job = Job(
        DocumentRequest(
            dict.fromkeys(map(DocumentFormat, names), f"{out_dir}/"), Paper(paper), templates
        ),
        pack,
        pack_dirs,
        sensitivity,
        waivers,
        dt.datetime.now(dt.UTC),
        waivers_file,
    )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise single_problem(str(out_dir), f"cannot create the folder: {error.strerror}") from None
    paths = [str(p) for p in proposals]
    results = [ItemResult(path, "interrupted") for path in paths]
    previous = {signum: signal.signal(signum, _raise_stopped) for signum in _STOP_SIGNALS}
    stopped = False
    try:
        with _Runner(min(jobs or os.cpu_count() or 1, len(paths)), names) as runner:
            _run(runner, paths, job, results)
    except _Stopped as stop:
        stopped = True
        # The stop signals stay ignored: the process is on its way out, and a
        # second signal must not cut the summary or the exit code short.
        _summarise(results)
        click.echo(f"techgate: stopped by {signal.Signals(stop.signum).name}", err=True)
        return ExitCode.for_signal(stop.signum)
    finally:
        if not stopped:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return _summarise(results)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    # The first stop wins: a second Ctrl-C or SIGTERM while the workers are
    # stopped and the summary printed must not cut that short.
    for other in _STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise _Stopped(signum)


def _run(runner: _Runner, paths: list[str], job: Job, results: list[ItemResult]) -> None:
    """Both passes; fills results in place, so an interruption keeps what finished."""
    same = _same_files(paths)
    for index, problem in same.items():
        results[index] = ItemResult(paths[index], "invalid", problems=(problem,))
    todo = [index for index in range(len(paths)) if index not in same]
    evaluated = runner.map(
        evaluate_one,
        [(paths[index], job) for index in todo],
        "reading",
        lambda path: _Evaluated(
            ItemResult(path, "error", problems=(f"{path}: the worker died reading it",))
        ),
    )
    records: dict[int, Evaluation] = {}
    inputs = [Path(p) for p in paths] + input_templates(job)
    for index, item in zip(todo, evaluated, strict=True):
        results[index] = item.result
        inputs += [Path(p) for p in item.read]
        if item.record is not None:
            records[index] = item.record
    for index, problem in _duplicate_ids(results).items():
        results[index] = ItemResult(paths[index], "invalid", problems=(problem,))
        records.pop(index, None)
    chosen = sorted(records)
    runner.map(
        render_one,
        [(records[index], job) for index in chosen],
        "rendering",
        lambda _: _Rendered(problem="the worker died rendering it"),
        on_each=lambda position, item: _write(results, chosen[position], item, inputs),
    )


def input_templates(job: Job) -> list[Path]:
    from techgate.cli.output import input_paths

    return input_paths(job.documents.templates, job.pack, job.waivers_file)


def _same_files(paths: list[str]) -> dict[int, str]:
    """Index to problem, for every input that is the same file as an earlier one."""
    seen: dict[tuple[int, int], str] = {}
    problems: dict[int, str] = {}
    for index, path in enumerate(paths):
        try:
            info = Path(path).stat()
        except OSError:
            continue  # the reader reports it, for this item alone
        key = (info.st_dev, info.st_ino)
        if key in seen:
            problems[index] = f"{path}: the same file as {seen[key]}, given again; read once"
        else:
            seen[key] = path
    return problems


def _duplicate_ids(results: list[ItemResult]) -> dict[int, str]:
    """Index to problem, for every proposal whose id another proposal also uses."""
    by_id: dict[str, list[int]] = {}
    for index, result in enumerate(results):
        if result.status == "ok":
            by_id.setdefault(result.proposal_id, []).append(index)
    problems: dict[int, str] = {}
    for key, indexes in by_id.items():
        if len(indexes) > 1:
            for index in indexes:
                others = ", ".join(results[i].path for i in indexes if i != index)
                problems[index] = (
                    f"{results[index].path}: proposal id {key!r} is also used by {others}; "
                    "their reports would overwrite each other, so neither was written"
                )
    return problems


def _write(results: list[ItemResult], index: int, item: _Rendered, inputs: list[Path]) -> None:
    from techgate.cli.output import printable, write_files
    from techgate.errors import InvalidInputError

    result = results[index]
    if item.problem:
        problem = f"{result.path}: {item.problem}"
        status = "invalid" if item.invalid else "error"
        results[index] = replace(result, status=status, problems=(problem,))
        return
    files = [(Path(path), data) for path, data in item.files]
    try:
        write_files(files, inputs)
    except InvalidInputError as error:
        # Refused or failed writes are exit 2, as for 'evaluate'.
        problems = tuple(printable(str(p)) for p in error.problems)
        results[index] = replace(result, status="invalid", problems=problems)
        return
    results[index] = replace(result, outputs=tuple(str(path) for path, _ in files))


class _Runner:
    """Runs a function over items in worker processes (or here, for one job)."""

    def __init__(self, workers: int, formats: tuple[str, ...]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.workers = workers
        self.formats = formats
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.pool: Any = None

    def __enter__(self) -> _Runner:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_pool(kill=exc[0] is not None)
        self.progress.stop()

    def map(
        self,
        function: Callable[..., T],
        arguments: Sequence[tuple[Any, ...]],
        label: str,
        died: Callable[[Any], T],
        on_each: Callable[[int, T], None] | None = None,
    ) -> list[T]:
        task = self.progress.add_task(label, total=len(arguments))
        done: dict[int, T] = {}

        def finish(position: int, value: T) -> None:
            done[position] = value
            if on_each is not None:
                on_each(position, value)
            self.progress.advance(task)

        # Even one job runs in a worker process: an input that crashes the
        # interpreter must cost only itself, never the batch.
        self._map_in_pool(function, arguments, died, finish)
        return [done[position] for position in range(len(arguments))]

    def _map_in_pool(
        self,
        function: Callable[..., T],
        arguments: Sequence[tuple[Any, ...]],
        died: Callable[[Any], T],
        finish: Callable[[int, T], None],
    ) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        queue = list(reversed(range(len(arguments))))
        running: dict[Any, int] = {}
        # No more in flight than there are workers: when one dies, only the
        # items then running are in doubt, not everything queued behind them.
        while queue or running:
            pool = self._pool()
            while queue and len(running) < self.workers:
                position = queue.pop()
                running[pool.submit(function, *arguments[position])] = position
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            suspects = []
            for future in finished:
                position = running.pop(future)
                try:
                    finish(position, future.result())
                except BrokenProcessPool:
                    suspects.append(position)
            if suspects:
                suspects += running.values()
                running.clear()
                self._stop_pool(kill=True)
                self._run_alone(function, arguments, sorted(suspects), died, finish)

    def _run_alone(
        self,
        function: Callable[..., T],
        arguments: Sequence[tuple[Any, ...]],
        positions: list[int],
        died: Callable[[Any], T],
        finish: Callable[[int, T], None],
    ) -> None:
        """Run each item that was in flight when a worker died on its own, to find the one."""
        from concurrent.futures.process import BrokenProcessPool

        for position in positions:
            pool = self._pool(workers=1)
            try:
                finish(position, pool.submit(function, *arguments[position]).result())
            except BrokenProcessPool:
                self._stop_pool(kill=True)
                finish(position, died(arguments[position][0]))
        self._stop_pool(kill=False)

    def _pool(self, workers: int | None = None) -> Any:
        if self.pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                workers or self.workers, initializer=_worker_setup, initargs=(self.formats,)
            )
        return self.pool

    def _stop_pool(self, kill: bool) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if kill:
            # Python 3.14 has pool.kill_workers(); before it, the processes
            # are reachable only through the executor's private map.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)


def _summarise(results: list[ItemResult]) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from techgate.cli.app import ExitCode
    from techgate.cli.output import printable

    table = Table(title="Batch summary", title_justify="left")
    for column in ("Proposal", "Decision", "Score", "Confidence", "Written"):
        table.add_column(column, overflow="fold")
    for result in results:
        # Paths and ids are data, never markup: a folder named '[draft]' stays as it is.
        if result.status == "ok" and result.outputs:
            table.add_row(
                Text(result.proposal_id),
                result.decision.upper(),
                f"{result.score:g}",
                f"{result.confidence:.2f}",
                str(len(result.outputs)) + " file(s)",
            )
        else:
            status = "INTERRUPTED" if result.status == "ok" else result.status.upper()
            table.add_row(Text(printable(result.path)), status, "", "", "none")
    Console(highlight=False).print(table)
    for result in results:
        for problem in result.problems:
            click.echo(printable(problem), err=True)
    statuses = {r.status for r in results}
    if "invalid" in statuses:
        return ExitCode.INVALID
    if "error" in statuses:
        return ExitCode.UNEXPECTED
    if "interrupted" in statuses or any(not r.outputs for r in results):
        return ExitCode.INTERRUPTED
    codes = [ExitCode.for_decision(r.decision) for r in results]
    worst = max(codes, key=lambda c: {0: 0, 3: 1, 4: 2}[int(c)])
    return int(worst)
