"""techgate evaluate: judge one proposal and say go, conditional or no-go."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import criteria_option, format_option, output_option


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
def evaluate(
    proposal: Path, criteria: str | None, output_format: str, output: str | None, width: int | None
) -> int:
    """Evaluate PROPOSAL (a .yaml file) against a criteria pack.

    Exit code: 0 go, 3 conditional, 4 no-go, 2 invalid input, 1 unexpected error.
    """
    from techgate.cli.app import ExitCode
    from techgate.cli.output import resolve_output, write_atomic
    from techgate.engine import evaluate as run
    from techgate.loading import check_against_pack, load_pack, pack_reference, read_proposal
    from techgate.render import OutputFormat, render

    model, document = read_proposal(proposal)
    reference, relative_to = pack_reference(model, document, criteria)
    pack = load_pack(reference, relative_to)
    check_against_pack(model, pack, document)
    record = run(model, pack)
    chosen = OutputFormat(output_format)
    if output is not None:
        target = resolve_output(Path(output), record.proposal.id, chosen.suffix)
        write_atomic(target, render(record, chosen, width=width or 100))
        click.echo(
            f"{record.decision.value}: {record.proposal.title} "
            f"(score {record.score:g}, confidence {record.confidence:g}) -> {target}",
            err=True,
        )
    elif chosen is OutputFormat.TEXT:
        from rich.console import Console

        from techgate.render.text import text_view

        Console(width=width, highlight=False).print(text_view(record))
    else:
        click.echo(render(record, chosen), nl=False)
    return ExitCode.for_decision(record.decision.value)
