"""techgate evaluate: judge one proposal and say go, conditional or no-go."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import (
    DocumentRequest,
    criteria_option,
    document_options,
    format_option,
    output_option,
)


@click.command()
@click.argument("proposal", type=click.Path(path_type=Path))
@criteria_option
@format_option
@output_option
@click.option(
    "--width",
    type=click.IntRange(60, 400),
    default=None,
    help="Width of the text format in columns (default: the terminal's, or 100).",
)
@document_options
def evaluate(
    proposal: Path,
    criteria: str | None,
    output_format: str,
    output: str | None,
    width: int | None,
    documents: DocumentRequest,
) -> int:
    """Evaluate PROPOSAL (a .yaml file) against a criteria pack.

    Prints the decision in the chosen --format and writes any of --pdf,
    --html, --md and --json alongside. Exit code: 0 go, 3 conditional,
    4 no-go, 2 invalid input, 1 unexpected error.
    """
    from techgate.cli.app import ExitCode
    from techgate.cli.output import resolve_output, write_atomic, write_documents
    from techgate.engine import evaluate as run
    from techgate.loading import load_for_evaluation
    from techgate.render import OutputFormat, render

    model, pack, _ = load_for_evaluation(proposal, criteria)
    record = run(model, pack)
    written = write_documents(record, documents)
    chosen = OutputFormat(output_format)
    if output is not None:
        target = resolve_output(output, record.proposal.id, chosen.suffix)
        write_atomic(target, render(record, chosen, width=width or 100))
        written.append(target)
    elif chosen is OutputFormat.TEXT:
        from rich.console import Console

        from techgate.render.text import text_view

        Console(width=width, highlight=False).print(text_view(record))
    else:
        click.echo(render(record, chosen), nl=False)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    if output is not None:
        click.echo(
            f"{record.decision.value}: {record.proposal.title} (score {record.score:g}, "
            f"confidence {record.confidence:g})",
            err=True,
        )
    return ExitCode.for_decision(record.decision.value)
