"""Options shared by several commands."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from techgate.vocabulary import DocumentFormat, OutputFormat, Paper, choices

F = TypeVar("F", bound=Callable[..., Any])


def pack_dir_option(function: F) -> F:
    """--pack-dir DIR (repeatable), gathered into 'pack_dirs'."""
    return click.option(
        "--pack-dir",
        "pack_dirs",
        metavar="DIR",
        multiple=True,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        callback=_folders,
        help="A folder an input may name its pack in, besides the built-in packs and "
        "the input's own folder (repeatable).",
    )(function)


def pack_option(function: F) -> F:
    """--pack ID|PATH (old name --criteria; -c) and --pack-dir DIR, gathered into 'pack' and
    'pack_dirs'."""
    return click.option(
        "--pack",
        "--criteria",
        "-c",
        "pack",
        metavar="ID|PATH",
        default=None,
        help="Criteria pack: an id (see 'techgate criteria list') or a .yaml path. "
        "Default: the proposal's own 'pack' field, else contact-centre.",
    )(pack_dir_option(function))


def _folders(
    context: click.Context, parameter: click.Parameter, value: tuple[Path, ...]
) -> tuple[Path, ...]:
    for folder in value:
        _a_folder(context, parameter, folder)
    return value


def format_option(function: F) -> F:
    """--format: every output format, the CI ones (junit, sarif, github) included."""
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(choices(OutputFormat)),
        default="text",
        show_default=True,
        help="Output format; junit, sarif and github are for CI pipelines (docs/ci.md).",
    )(function)


def report_format_option(function: F) -> F:
    """--format without the CI formats, for commands whose output is not one proposal's gates."""
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice([f.value for f in OutputFormat if not f.for_pipelines]),
        default="text",
        show_default=True,
        help="Output format.",
    )(function)


def output_option(function: F) -> F:
    return click.option(
        "--output",
        "-o",
        metavar="FILE",
        # Checked by the output plan (techgate.cli.output), not by click,
        # which would refuse a write-only file it was never going to read.
        type=click.Path(readable=False),
        default=None,
        help="Write the output to FILE (atomically) instead of the terminal. "
        "A directory receives <proposal-id>.<ext>.",
    )(function)


def _a_folder(
    context: click.Context, parameter: click.Parameter, value: Path | None
) -> Path | None:
    # click's file_okay=False refuses regular files only; a device or a pipe
    # would pass and the built-in templates would be used without a word.
    if value is not None and not value.is_dir():
        raise click.BadParameter(f"{value} is not a folder", context, parameter)
    return value


def templates_option(function: F) -> F:
    return click.option(
        "--templates",
        metavar="DIR",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        callback=_a_folder,
        default=None,
        help="Your own templates (branding). They run sandboxed; missing ones fall back to "
        "the built-in templates.",
    )(function)


def paper_option(function: F) -> F:
    return click.option(
        "--paper",
        type=click.Choice(choices(Paper)),
        default="a4",
        show_default=True,
        help="Paper size of the PDF.",
    )(function)


@dataclass(frozen=True)
class DocumentRequest:
    """The report documents a command was asked to write."""

    paths: dict[DocumentFormat, str]
    """Document format to the path as given (a trailing '/' means a folder)."""
    paper: Paper
    templates: Path | None

    def __bool__(self) -> bool:
        return bool(self.paths)


def document_options(function: F) -> F:
    """--pdf/--html/--md/--json PATH, --paper and --templates, gathered into 'documents'."""
    return documents_named("<proposal-id>")(function)


def documents_named(stem: str) -> Callable[[F], F]:
    """document_options whose help says what a folder's file is called (stem.ext)."""
    return functools.partial(_document_options, stem=stem)


def _document_options(function: F, stem: str) -> F:

    @functools.wraps(function)
    def gathered(*args: Any, paper: str, templates: Path | None, **kwargs: Any) -> Any:
        paths = {kind: kwargs.pop(f"{kind.value}_path") for kind in DocumentFormat}
        request = DocumentRequest(
            {kind: path for kind, path in paths.items() if path is not None},
            Paper(paper),
            templates,
        )
        if DocumentFormat.PDF not in request.paths:
            return function(*args, documents=request, **kwargs)
        # A PDF will be rendered: WeasyPrint's import starts now in a second
        # process, while the command reads, checks and evaluates its inputs
        # (techgate.render.pdf_worker; docs/performance.md). Leaving the block
        # ends and reaps the worker, whatever happened.
        from techgate.render.pdf_worker import prewarmed

        with prewarmed(will_render_pdf=True):
            return function(*args, documents=request, **kwargs)

    # click lists options in the reverse order they are applied: --pdf first.
    decorated: Any = paper_option(templates_option(gathered))
    for kind in reversed(DocumentFormat):
        name, what = kind.value, kind.description
        decorated = click.option(
            f"--{name}",
            f"{name}_path",
            metavar="PATH",
            # Kept as typed: a trailing '/' says a folder is meant, even one not made yet.
            type=click.Path(readable=False),
            default=None,
            help=f"Write the {what} to PATH; a folder (or PATH/) receives {stem}.{name}.",
        )(decorated)
    return decorated  # type: ignore[no-any-return]


def _sampling_options() -> tuple[Callable[[Any], Any], ...]:
    return (
        click.option(
            "--samples",
            type=click.IntRange(1, 1_000_000),
            default=None,
            help="Random weight vectors for the stability figures (default 10000).",
        ),
        click.option(
            "--seed",
            type=click.IntRange(0, 2**63 - 1),
            default=None,
            help="Seed of the random weight vectors (default 0); same seed, same figures.",
        ),
        click.option(
            "--concentration",
            type=click.FloatRange(0, 1e6, min_open=True),
            default=None,
            help="Dirichlet concentration: larger keeps the drawn weights nearer the "
            "pack's (default 100).",
        ),
    )


def _given(samples: int | None, seed: int | None, concentration: float | None) -> dict[str, Any]:
    """The sampling settings the user gave (the others keep SensitivityRequest's defaults)."""
    given = {"samples": samples, "seed": seed, "concentration": concentration}
    return {name: value for name, value in given.items() if value is not None}


def sampling_options(function: F) -> F:
    """--samples, --seed and --concentration, always gathered into a SensitivityRequest
    ('sensitivity'): for commands that always say how robust their result is."""

    @functools.wraps(function)
    def gathered(
        *args: Any,
        samples: int | None,
        seed: int | None,
        concentration: float | None,
        **kwargs: Any,
    ) -> Any:
        from techgate.model.evaluation import SensitivityRequest

        given = _given(samples, seed, concentration)
        return function(*args, sensitivity=SensitivityRequest(**given), **kwargs)

    decorated: Any = gathered
    for option in reversed(_sampling_options()):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def sensitivity_options(function: F) -> F:
    """--sensitivity with --samples, --seed and --concentration, gathered into 'sensitivity'.

    The command receives a SensitivityRequest, or None without --sensitivity.
    """

    @functools.wraps(function)
    def gathered(
        *args: Any,
        sensitivity: bool,
        samples: int | None,
        seed: int | None,
        concentration: float | None,
        **kwargs: Any,
    ) -> Any:
        given = _given(samples, seed, concentration)
        if given and not sensitivity:
            names = ", ".join(f"--{name}" for name in given)
            verb = "means" if len(given) == 1 else "mean"
            raise click.UsageError(f"{names} {verb} nothing without --sensitivity")
        request = None
        if sensitivity:
            from techgate.model.evaluation import SensitivityRequest

            request = SensitivityRequest(**given)
        return function(*args, sensitivity=request, **kwargs)

    decorated: Any = gathered
    for option in reversed(
        (
            click.option(
                "--sensitivity",
                is_flag=True,
                help="Add what would flip the decision: criterion-weight and indicator-score "
                "swings, and the share of random weight vectors that keep it.",
            ),
            *_sampling_options(),
        )
    ):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def person_name(option: str, value: str) -> str:
    """A name given on the command line that a proposal will hold (--assessor, --chair).

    Checked here, with the option named, because the model would refuse it
    later with a traceback: 1 to 10,000 characters, not blank, one line
    without control characters.
    """
    from techgate.errors import single_problem

    if (
        not value.strip()
        or len(value) > 10_000
        or any(unicodedata.category(c) == "Cc" for c in value)
    ):
        raise single_problem(
            option, "must be a name of 1 to 10,000 characters without control characters"
        )
    return value


def since_option(function: F) -> F:
    """--since PREVIOUS.json: the documents add what changed since that record."""
    return click.option(
        "--since",
        metavar="PREVIOUS.json",
        type=click.Path(path_type=Path),
        default=None,
        help="An earlier decision record of the proposal: the --pdf, --html and --md reports "
        "add what changed since it (see 'techgate diff').",
    )(function)


def waivers_option(function: F) -> F:
    """--waivers FILE: waivers from the JSON 'techgate register waivers -f json' writes."""
    return click.option(
        "--waivers",
        "waivers_file",
        metavar="FILE",
        type=click.Path(path_type=Path),
        default=None,
        help="Waivers to apply (the JSON 'techgate register waivers -f json' writes): those "
        "for the proposal's id in force now (UTC) mark the failed gates they name as waived. "
        "Trusted as the repository holding it is.",
    )(function)


def check_since(since: Path | None, documents: DocumentRequest) -> None:
    """--since changes only the reports; refuse it when none is written."""
    if since is not None and not set(documents.paths) - {DocumentFormat.JSON}:
        raise click.UsageError("--since adds a section to --pdf, --html or --md: name one")
