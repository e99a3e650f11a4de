"""techgate weights: a pack overlay's weights from a panel's pairwise judgements (AHP)."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import pack_dir_option


@click.command()
@click.argument("pairwise", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    type=click.Path(readable=False),
    default=None,
    help="Write the pack overlay to FILE (atomically); a folder receives <overlay-id>.yaml. "
    "Without it nothing is written.",
)
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="What to print: a table, or the full result as JSON.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse (exit 2, nothing written) when any matrix, a member's or the panel's, "
    "has a consistency ratio above 0.10.",
)
@pack_dir_option
def weights(
    pairwise: Path,
    output: str | None,
    output_format: str,
    strict: bool,
    pack_dirs: tuple[Path, ...],
) -> int:
    """Weigh a pack's criteria (and indicators) from PAIRWISE judgements (Saaty's AHP).

    PAIRWISE is a .yaml file naming the pack and holding each panel member's
    judgements ('safety over motive: 3'); docs/weights.md describes it.
    Prints the weights, lambda_max, CI and CR of every matrix and writes a
    pack overlay with --output. A consistency ratio above 0.10 is a warning
    (exit 0) unless --strict. Exit code: 0 done, 2 invalid input or, with
    --strict, judgements too inconsistent.
    """
    from techgate import api
    from techgate.cli.output import (
        check_destinations,
        descriptor_of,
        resolve_output,
        write_files,
    )
    from techgate.errors import InvalidInputError
    from techgate.render.weights import extends_reference, json_result, overlay_text

    weighed = api.weigh_pairwise(pairwise, pack_dirs)
    study, results, found, read = weighed.study, weighed.results, weighed.warnings, weighed.read
    if strict and found:
        index = {m.name: k for k, m in enumerate(study.file.members)}
        raise InvalidInputError(
            study.document.problem(
                ("members",) if w.member is None else ("members", index[w.member]),
                w.text,
                "revise the judgements named, or run without --strict to accept them",
            )
            for w in found
        )
    target = None if output is None else resolve_output(output, study.file.overlay.id, ".yaml")
    # Written to standard output ('-o -'), the overlay is all that is printed there.
    streamed = target is not None and descriptor_of(target) == 1
    relative_to = None if target is None or streamed else target
    text = overlay_text(study, results, pairwise.name, extends_reference(study, relative_to))
    api.check_overlay(text, str(target or "<overlay>"), study.pack)
    if target is not None:
        inputs = [*read, pairwise]
        check_destinations([target], inputs)
        write_files([(target, text.encode("utf-8"))], inputs)
    if streamed:
        pass
    elif output_format == "json":
        click.echo(json_result(study, results, found, target), nl=False)
    else:
        from rich.console import Console

        from techgate.render.weights import weights_view

        Console(highlight=False, width=None if _tty() else 100).print(
            weights_view(study, results, found)
        )
    if target is not None and not streamed:
        click.echo(f"wrote {target}", err=True)
    return 0


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()
