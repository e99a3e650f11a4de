"""techgate whatif: the decision before and after changing weights, scores, answers or facts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from techgate.cli.options import output_option, pack_option, report_format_option

# The options that each ask for one change, in the order of ChangeKind.
CHANGE_OPTIONS = ("weight", "score", "answer", "fact")


class _InOrderGiven(click.Command):
    """A command that knows the order its options were typed in, across option names.

    click gathers a repeated option's values into one tuple per option; a
    what-if applies its changes in the order typed, whatever their kind.
    """

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def recorded(args: list[str]) -> Any:
            opts, largs, order = parse(args)
            ctx.meta["whatif.order"] = [p.name for p in order if p.name in CHANGE_OPTIONS]
            return opts, largs, order

        parser.parse_args = recorded  # type: ignore[method-assign]
        return parser


def _in_order(ctx: click.Context, given: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(kind, text) for every change, in the order typed."""
    left = {kind: list(values) for kind, values in given.items()}
    return [(kind, left[kind].pop(0)) for kind in ctx.meta.get("whatif.order", [])]


@click.command(cls=_InOrderGiven)
@click.argument("proposal", type=click.Path(path_type=Path))
@pack_option
@click.option(
    "--weight",
    multiple=True,
    metavar="CRITERION[.INDICATOR]=W",
    help="A criterion's weight (safety=30), or an indicator's (safety.privacy=3).",
)
@click.option(
    "--score",
    multiple=True,
    metavar="INDICATOR=LEVEL",
    help="Every assessor's answer to an indicator (privacy=3); once the panel moderates, "
    "the moderated answer. 'n/a' and 'unchanged' where the pack allows them.",
)
@click.option(
    "--answer",
    multiple=True,
    metavar="NAME:INDICATOR=LEVEL",
    help='One assessor\'s answer ("Amira Haddad:accuracy=2"; a unique first name will do; '
    "'none' removes it).",
)
@click.option(
    "--fact",
    multiple=True,
    metavar="PATH=VALUE",
    help="A fact by its dotted path (human_escalation.minutes_to_person=3, "
    "segments[0].ability=full); the value is YAML; null removes it.",
)
@report_format_option
@output_option
@click.option(
    "--width",
    type=click.IntRange(60, 400),
    default=None,
    help="Width of the text format in columns (default: the terminal's, or 100).",
)
@click.pass_context
def whatif(
    ctx: click.Context,
    proposal: Path,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
    weight: tuple[str, ...],
    score: tuple[str, ...],
    answer: tuple[str, ...],
    fact: tuple[str, ...],
    output_format: str,
    output: str | None,
    width: int | None,
) -> int:
    """Show how PROPOSAL's decision moves when weights, scores, answers or facts change.

    The changes apply in the order given, each on top of the ones before;
    nothing is written back to PROPOSAL. Prints the decision, score,
    confidence, coverage and margin before and after, the gates whose status
    changed, and the changes in words (docs/whatif.md). Every bad option is
    reported at once. Exit code: the decision after the changes, 0 go,
    3 conditional, 4 no-go; 2 invalid input, 1 unexpected error.
    """
    from techgate import api
    from techgate.cli.app import ExitCode
    from techgate.cli.output import (
        check_destinations,
        input_paths,
        resolve_output,
        show_notices,
        write_files,
    )
    from techgate.vocabulary import OutputFormat

    changes = _in_order(ctx, {"weight": weight, "score": score, "answer": answer, "fact": fact})
    loaded = api.load(proposal, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    result = api.whatif(loaded, changes)
    chosen = OutputFormat(output_format)
    if output is not None:
        target = resolve_output(output, f"{result.proposal_id}-whatif", chosen.suffix)
        inputs = [*loaded.read, *input_paths(proposal, pack)]
        check_destinations([target], inputs)
        text = api.render_whatif(result, chosen, width=width or 100)
        write_files([(target, text.encode("utf-8"))], inputs)
        click.echo(f"wrote {target}", err=True)
    elif chosen is OutputFormat.TEXT:
        from rich.console import Console

        from techgate.render.whatif import whatif_text_view

        columns = width or (None if sys.stdout.isatty() else 100)
        Console(width=columns, highlight=False).print(whatif_text_view(result))
    else:
        click.echo(api.render_whatif(result, chosen), nl=False)
    return ExitCode.for_decision(result.after.decision.value)
