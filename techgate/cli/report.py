"""techgate report: render a saved decision record without scoring it again."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import DocumentRequest, document_options


@click.command()
@click.argument("record", metavar="EVALUATION.json", type=click.Path(path_type=Path))
@document_options
def report(
    record: Path,
    documents: DocumentRequest,
) -> int:
    """Render a saved EVALUATION.json as --pdf, --html, --md or --json.

    The record comes from 'techgate evaluate --json PATH' or '--format json'.

    Nothing is scored again: the record is rendered as it was decided. Exit
    code follows the recorded decision (0 go, 3 conditional, 4 no-go), or 2
    if the record is invalid.
    """
    from techgate.api import read_record
    from techgate.cli.app import ExitCode
    from techgate.cli.output import input_paths, write_documents

    if not documents:
        raise click.UsageError("name at least one of --pdf, --html, --md or --json")
    evaluation = read_record(record)
    inputs = input_paths(record, documents.templates)
    for path in write_documents(evaluation, documents, inputs):
        click.echo(f"wrote {path}", err=True)
    return ExitCode.for_decision(evaluation.decision.value)
