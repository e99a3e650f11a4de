"""techgate diff: what changed between two saved decision records."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from techgate.cli.options import output_option, report_format_option


@click.command()
@click.argument("before", metavar="BEFORE.json", type=click.Path(path_type=Path))
@click.argument("after", metavar="AFTER.json", type=click.Path(path_type=Path))
@report_format_option
@output_option
@click.option(
    "--width",
    type=click.IntRange(60, 400),
    default=None,
    help="Width of the text format in columns (default: the terminal's, or 100).",
)
def diff(
    before: Path, after: Path, output_format: str, output: str | None, width: int | None
) -> int:
    """Show what changed from BEFORE.json to AFTER.json (records 'evaluate --json' wrote).

    The decision, score, confidence and coverage; gates whose status changed;
    indicators whose score, status, answers or evidence changed; conditions
    met, still open or new; whether the proposal or the pack changed. Records
    of different packs are compared where criterion, gate and indicator ids
    match.

    Exit code, for pipelines that gate on it: 0 the decision did not change,
    5 it got better (towards go), 6 it got worse (towards no-go), 2 invalid
    input, 1 unexpected error.
    """
    from techgate import api
    from techgate.cli.app import ExitCode
    from techgate.cli.output import check_destinations, input_paths, resolve_output, write_files
    from techgate.errors import InputProblem, InvalidInputError
    from techgate.model.evaluation import Evaluation
    from techgate.vocabulary import OutputFormat

    # Both records are read (every limit applied), and the problems of both told together.
    problems: list[InputProblem] = []
    records: list[Evaluation] = []
    for path in (before, after):
        try:
            records.append(api.read_record(path))
        except InvalidInputError as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInputError(problems)
    changes = api.diff_records(records[0], records[1])
    chosen = OutputFormat(output_format)
    if output is not None:
        target = resolve_output(output, f"{changes.after.proposal_id}-diff", chosen.suffix)
        inputs = input_paths(before, after)
        check_destinations([target], inputs)
        text = api.render_diff(changes, chosen, width=width or 100)
        write_files([(target, text.encode("utf-8"))], inputs)
        click.echo(f"wrote {target}", err=True)
    elif chosen is OutputFormat.TEXT:
        from rich.console import Console

        from techgate.render.diff import diff_text_view

        columns = width or (None if sys.stdout.isatty() else 100)
        Console(width=columns, highlight=False).print(diff_text_view(changes))
    else:
        click.echo(api.render_diff(changes, chosen), nl=False)
    return ExitCode.for_direction(changes.direction)
