"""techgate compare: several vendors' proposals for one need, judged by one pack and ranked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from techgate.cli.options import (
    DocumentRequest,
    documents_named,
    output_option,
    pack_option,
    report_format_option,
    sampling_options,
)

if TYPE_CHECKING:
    from techgate.model.comparison import Comparison
    from techgate.model.evaluation import SensitivityRequest
    from techgate.vocabulary import OutputFormat


@click.command()
@click.argument("proposals", nargs=-1, required=True, type=click.Path(path_type=Path))
@pack_option
@click.option(
    "--title",
    default=None,
    metavar="TEXT",
    help="What is being procured, for the report (default: the pack's title).",
)
@click.option(
    "--name",
    default="comparison",
    show_default=True,
    metavar="NAME",
    help="File name (without suffix) the documents get when --pdf and the like name a folder.",
)
@report_format_option
@output_option
@documents_named("<NAME>")
@sampling_options
def compare(
    proposals: tuple[Path, ...],
    pack: str | None,
    pack_dirs: tuple[Path, ...],
    title: str | None,
    name: str,
    output_format: str,
    output: str | None,
    documents: DocumentRequest,
    sensitivity: SensitivityRequest,
) -> int:
    """Compare PROPOSALS for one need: every one judged by the same pack, then ranked.

    Proposals judged no-go (a failed no-go gate, or the score) are knocked out:
    shown, not ranked. Neighbours closer than the panel's own noise are called
    out. Prices, when stated, are opened only for the proposals still ranked
    and scored as the pack says; --samples, --seed and --concentration set
    the random weightings that say how robust the ranking is. Exit code: the
    best-ranked proposal's decision (0 go, 3 conditional, 4 no-go or none
    ranked), 2 for invalid input.
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

    done = api.compare(
        list(proposals), pack=pack, pack_dirs=pack_dirs, title=title, sensitivity=sensitivity
    )
    show_notices(done.notices)
    comparison = done.comparison
    chosen = OutputFormat(output_format)
    paths = {
        kind: resolve_output(path, name, kind.suffix) for kind, path in documents.paths.items()
    }
    target = None if output is None else resolve_output(output, name, chosen.suffix)
    inputs = [*done.read, *input_paths(*proposals, pack, documents.templates)]
    check_destinations([*paths.values(), *([target] if target else [])], inputs)
    rendered = api.render_comparison(
        comparison, paths, paper=documents.paper, templates=documents.templates
    )
    files = [(path, rendered[kind]) for kind, path in paths.items()]
    if target is not None or chosen is not OutputFormat.TEXT:
        text = _formatted(comparison, chosen)
        if target is not None:
            files.append((target, text.encode("utf-8")))
        else:
            click.echo(text, nl=False)
    write_files(files, inputs)
    if target is None and chosen is OutputFormat.TEXT:
        from rich.console import Console

        from techgate.render.comparison import comparison_view

        Console(highlight=False).print(comparison_view(comparison))
    for path, _ in files:
        click.echo(f"wrote {path}", err=True)
    return ExitCode.for_decision(comparison.decision.value)


def _formatted(comparison: Comparison, chosen: OutputFormat) -> str:
    """The comparison in a --format, as text (the text view laid out at 100 columns)."""
    from techgate import api
    from techgate.vocabulary import DocumentFormat, OutputFormat

    if chosen is not OutputFormat.TEXT:
        kind = DocumentFormat.JSON if chosen is OutputFormat.JSON else DocumentFormat.MARKDOWN
        return api.render_comparison(comparison, [kind])[kind].decode("utf-8")
    from io import StringIO

    from rich.console import Console

    from techgate.render.comparison import comparison_view

    buffer = StringIO()
    Console(file=buffer, width=100, highlight=False, color_system=None).print(
        comparison_view(comparison)
    )
    return buffer.getvalue()
