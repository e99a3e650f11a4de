"""techgate report: render a saved decision record without scoring it again."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import DocumentRequest, check_since, document_options, since_option


@click.command()
@click.argument("record", metavar="EVALUATION.json", type=click.Path(path_type=Path))
@document_options
@since_option
def report(
    record: Path,
    documents: DocumentRequest,
    since: Path | None,
) -> int:
    """Render a saved EVALUATION.json as --pdf, --html, --md or --json.

    The record comes from 'techgate evaluate --json PATH' or '--format json'.

    Nothing is scored again: the record is rendered as it was decided. With
    --since PREVIOUS.json the reports add what changed since that record. Exit
    code follows the recorded decision (0 go, 3 conditional, 4 no-go), or 2
    if the record is invalid.
    """
    from techgate.api import read_record
    from techgate.cli.app import ExitCode
    from techgate.cli.output import input_paths, write_documents

    if not documents:
        raise click.UsageError("name at least one of --pdf, --html, --md or --json")
    check_since(since, documents)
    evaluation = read_record(record)
    previous = None if since is None else read_record(since)
    inputs = input_paths(record, since, documents.templates)
    for path in write_documents(evaluation, documents, inputs, previous):
        click.echo(f"wrote {path}", err=True)
    return ExitCode.for_decision(evaluation.decision.value)
