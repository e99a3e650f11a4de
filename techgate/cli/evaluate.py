"""techgate evaluate: judge one proposal and say go, conditional or no-go."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from techgate.cli.options import (
    DocumentRequest,
    check_since,
    document_options,
    format_option,
    output_option,
    pack_option,
    sensitivity_options,
    since_option,
    waivers_option,
)

if TYPE_CHECKING:
    from techgate.model.evaluation import SensitivityRequest


@click.command()
@click.argument("proposal", type=click.Path(path_type=Path))
@pack_option
@format_option
@output_option
@click.option(
    "--width",
    type=click.IntRange(60, 400),
    default=None,
    help="Width of the text format in columns (default: the terminal's, or 100).",
)
@document_options
@since_option
@waivers_option
@sensitivity_options
def evaluate(
    proposal: Path,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
    output_format: str,
    output: str | None,
    width: int | None,
    documents: DocumentRequest,
    since: Path | None,
    waivers_file: Path | None,
    sensitivity: SensitivityRequest | None,
) -> int:
    """Evaluate PROPOSAL (a .yaml file) against a criteria pack.

    Prints the decision in the chosen --format and writes any of --pdf,
    --html, --md and --json alongside; --sensitivity adds what would flip
    the decision; --since PREVIOUS.json adds what changed since that record
    to the reports; --waivers FILE applies the waivers in force (a waived
    gate shows as waived, the decision is conditional at best). For
    pipelines, --format junit (a test report), sarif (code scanning) or
    github (annotations) name PROPOSAL as given, so give it relative to the
    repository's root. Exit code, whatever the format:
    0 go, 3 conditional, 4 no-go, 2 invalid input, 1 unexpected error.
    """
    from techgate import api
    from techgate.cli.app import ExitCode
    from techgate.cli.output import (
        check_destinations,
        document_paths,
        input_paths,
        printable,
        render_documents,
        resolve_output,
        show_notices,
        write_files,
    )
    from techgate.render import OutputFormat, render

    check_since(since, documents)
    # The earlier record is read first: a bad one is refused before any scoring.
    previous = None if since is None else api.read_record(since)
    # So is the waivers file: a bad one is bad input (exit 2), never a run without it.
    waivers = () if waivers_file is None else api.read_waivers(waivers_file)
    loaded = api.load(proposal, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    record = api.evaluate(loaded, sensitivity=sensitivity, waivers=waivers)
    chosen = OutputFormat(output_format)
    paths = document_paths(record, documents)
    target = None if output is None else resolve_output(output, record.proposal.id, chosen.suffix)
    outputs = [*paths.values(), *([target] if target else [])]
    # Every file read (the proposal, its pack, the packs that pack extends)
    # and every template is an input no output may replace.
    inputs = [
        *loaded.read,
        *input_paths(proposal, pack, since, waivers_file, documents.templates),
    ]
    check_destinations(outputs, inputs)
    files = render_documents(record, documents, paths, previous)
    if target is not None:
        text = render(record, chosen, width=width or 100, source=proposal)
        files.append((target, text.encode("utf-8")))
    write_files(files, inputs)
    written = [path for path, _ in files]
    if target is None and chosen is OutputFormat.TEXT:
        from rich.console import Console

        from techgate.render.text import text_view

        # A terminal gives its own width; a pipe or a file gets 100 columns,
        # the width the text view is laid out for.
        columns = width or (None if sys.stdout.isatty() else 100)
        Console(width=columns, highlight=False).print(text_view(record))
    elif target is None:
        click.echo(render(record, chosen, source=proposal), nl=False)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    if output is not None:
        click.echo(
            f"{record.decision.value}: {printable(record.proposal.title)} "
            f"(score {record.score:g}, "
            f"confidence {record.confidence:g})",
            err=True,
        )
    return ExitCode.for_decision(record.decision.value)
