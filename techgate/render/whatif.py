"""A what-if as text (rich), JSON or Markdown: what 'techgate whatif' prints."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table

from techgate.model.whatif import WhatIf
from techgate.render.diff_view import Row
from techgate.render.formats import OutputFormat
from techgate.render.small import render_small
from techgate.render.text import DECISION_STYLE, Text
from techgate.render.whatif_view import whatif_view

__all__ = ["render_whatif", "whatif_text_view"]

_DIRECTION_STYLE = {"better": "bold green", "worse": "bold red", "same": "bold"}


def render_whatif(
    result: WhatIf,
    output_format: OutputFormat,
    *,
    width: int = 100,
    user_templates: Path | None = None,
) -> str:
    """The what-if in the given format, as a string (the same what-if, the same bytes)."""
    return render_small(
        result,
        output_format,
        kind="what-if",
        template="whatif.md.j2",
        view=lambda: whatif_view(result),
        text_view=lambda: whatif_text_view(result),
        width=width,
        user_templates=user_templates,
    )


def whatif_text_view(result: WhatIf) -> RenderableType:
    """A rich renderable: the changes, then before → after; every string shown, never obeyed."""
    view = whatif_view(result)
    parts: list[RenderableType] = [Text(f"What if: {view.title}", style="bold")]
    changes = Text("")
    for number, words in enumerate(view.changes, start=1):
        changes.append(f"  {number}. {words}\n")
    if not view.changes:
        changes.append("  (no changes)\n")
    parts.append(changes)
    headline = Text("DECISION: ", style=_DIRECTION_STYLE[result.direction])
    headline.append(view.decision.upper(), style=DECISION_STYLE[result.after.decision])
    parts += [headline, Text(result.summary)]
    parts.append(_table("Before → after", ("", "Before", "After", "Change"), view.figures))
    if view.gates:
        columns = ("Gate", "Severity", "Before", "After", "Reason now")
        parts.append(_table("Gates whose status changed", columns, view.gates))
    else:
        parts.append(Text("No gate changed its status."))
    parts.append(Text(f"Margin now: {view.margin}"))
    return Group(*parts)


def _table(title: str, columns: tuple[str, ...], rows: tuple[Row, ...]) -> Table:
    table = Table(title=Text(title, style="bold"), title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(Text(column))
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table
