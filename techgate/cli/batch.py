"""techgate batch: evaluate and render many proposals, on every core."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from techgate.cli.options import (
    DocumentRequest,
    criteria_option,
    paper_option,
    templates_option,
)

FORMAT_NAMES = ("pdf", "html", "md", "json")


@dataclass(frozen=True)
class Job:
    """What every worker needs, besides the proposal path."""

    documents: DocumentRequest
    criteria: str | None


@dataclass(frozen=True)
class ItemResult:
    """The outcome for one proposal, sent back from a worker."""

    path: str
    status: str  # "ok", "invalid" or "error"
    proposal_id: str = ""
    decision: str = ""
    score: float = 0.0
    confidence: float = 0.0
    outputs: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())


def _warm_up(formats: tuple[str, ...]) -> None:
    """Pay WeasyPrint's start-up (imports, fonts) once per worker process."""
    if "pdf" in formats:
        from weasyprint import HTML

        HTML(string="<p>warm-up</p>").write_pdf()


def process_one(path: str, job: Job) -> ItemResult:
    """Load, evaluate and render one proposal; never raises."""
    from techgate.cli.output import write_documents
    from techgate.engine import evaluate
    from techgate.errors import InvalidInputError, TechgateError
    from techgate.loading import load_for_evaluation

    try:
        proposal, pack, _ = load_for_evaluation(Path(path), job.criteria)
        record = evaluate(proposal, pack)
        written = write_documents(record, job.documents)
    except InvalidInputError as error:
        return ItemResult(path, "invalid", problems=tuple(str(p) for p in error.problems))
    except (TechgateError, OSError) as error:
        return ItemResult(path, "error", problems=(str(error),))
    except Exception as error:  # a bug must not sink the rest of the batch
        return ItemResult(path, "error", problems=(f"unexpected {type(error).__name__}: {error}",))
    return ItemResult(
        path,
        "ok",
        record.proposal.id,
        record.decision.value,
        record.score,
        record.confidence,
        tuple(str(p) for p in written),
    )


def _parse_formats(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip().lower() for part in value.split(",") if part.strip()))
    unknown = [n for n in names if n not in FORMAT_NAMES]
    if unknown or not names:
        raise click.BadParameter(
            f"use a comma-separated list of {', '.join(FORMAT_NAMES)}", param_hint="--formats"
        )
    return names


@click.command()
@click.argument("proposals", nargs=-1, required=True, type=click.Path(path_type=Path))
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
@criteria_option
@paper_option
@templates_option
def batch(
    proposals: tuple[Path, ...],
    out_dir: Path,
    formats: str,
    jobs: int | None,
    criteria: str | None,
    paper: str,
    templates: Path | None,
) -> int:
    """Evaluate and render many PROPOSALS into --out-dir.

    Invalid proposals are reported and skipped; the others are still
    rendered. Exit code: 2 if any input was invalid, else 1 if any failed to
    render, else the worst decision (4 no-go, 3 conditional, 0 go).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    names = _parse_formats(formats)
    job = Job(DocumentRequest(dict.fromkeys(names, str(out_dir)), paper, templates), criteria)
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = min(jobs or os.cpu_count() or 1, len(proposals))
    paths = [str(p) for p in proposals]
    results: list[ItemResult] = []
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        task = progress.add_task("evaluating", total=len(paths))
        if workers == 1:
            _warm_up(tuple(job.documents.paths))
            for path in paths:
                results.append(process_one(path, job))
                progress.advance(task)
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(
                workers, initializer=_warm_up, initargs=(tuple(job.documents.paths),)
            ) as pool:
                futures = [pool.submit(process_one, path, job) for path in paths]
                for future in as_completed(futures):
                    results.append(future.result())
                    progress.advance(task)
    order = {path: index for index, path in enumerate(paths)}
    results.sort(key=lambda r: order[r.path])
    return _summarise(_flag_duplicate_ids(results))


def _flag_duplicate_ids(results: list[ItemResult]) -> list[ItemResult]:
    """Two inputs with one id would write the same files: the later one is invalid."""
    seen: dict[str, str] = {}
    flagged = []
    for result in results:
        if result.status == "ok" and result.proposal_id in seen:
            result = ItemResult(
                result.path,
                "invalid",
                problems=(
                    f"{result.path}: proposal id {result.proposal_id!r} is also used by "
                    f"{seen[result.proposal_id]}; its reports overwrote the other's",
                ),
            )
        elif result.status == "ok":
            seen[result.proposal_id] = result.path
        flagged.append(result)
    return flagged


def _summarise(results: list[ItemResult]) -> int:
    from rich.console import Console
    from rich.table import Table

    from techgate.cli.app import ExitCode

    table = Table(title="Batch summary", title_justify="left")
    for column in ("Proposal", "Decision", "Score", "Confidence", "Written"):
        table.add_column(column, overflow="fold")
    for result in results:
        if result.status == "ok":
            table.add_row(
                result.proposal_id,
                result.decision.upper(),
                f"{result.score:g}",
                f"{result.confidence:.2f}",
                str(len(result.outputs)) + " file(s)",
            )
        else:
            table.add_row(result.path, result.status.upper(), "", "", "none")
    Console(highlight=False).print(table)
    for result in results:
        for problem in result.problems:
            click.echo(problem, err=True)
    statuses = {r.status for r in results}
    if "invalid" in statuses:
        return ExitCode.INVALID
    if "error" in statuses:
        return ExitCode.UNEXPECTED
    codes = [ExitCode.for_decision(r.decision) for r in results]
    worst = max(codes, key=lambda c: {0: 0, 3: 1, 4: 2}[int(c)])
    return int(worst)
