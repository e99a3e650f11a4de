"""techgate criteria: list and show criteria packs."""

from __future__ import annotations

import click


@click.group()
def criteria() -> None:
    """List and inspect criteria packs."""


@criteria.command(name="list")
def list_packs() -> int:
    """List the built-in criteria packs."""
    from rich.console import Console
    from rich.table import Table

    from techgate.api import list_packs

    table = Table(title="Built-in criteria packs", title_justify="left")
    for column in ("Id", "Title", "Version", "Criteria", "Indicators", "Gates"):
        table.add_column(column)
    for info in list_packs():
        table.add_row(
            info.id,
            info.title,
            info.version,
            str(info.criteria),
            str(info.indicators),
            str(info.gates),
        )
    Console(highlight=False).print(table)
    return 0


@criteria.command()
@click.argument("pack_ref", metavar="ID|PATH")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved pack as JSON instead.")
def show(pack_ref: str, as_json: bool) -> int:
    """Show a pack's criteria, weights, indicators, gates and thresholds.

    Packs that extend another are shown resolved, with their overrides applied.
    """
    from techgate.api import load_pack

    pack = load_pack(pack_ref)
    if as_json:
        from techgate.render.json import json_text

        click.echo(json_text(pack), nl=False)
        return 0
    from rich.console import Console

    from techgate.render.pack import pack_view

    Console(highlight=False).print(pack_view(pack))
    return 0
