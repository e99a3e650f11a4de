"""A record diff as text (rich), JSON or Markdown: what 'techgate diff' prints."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.table import Table

from techgate.model.diff import RecordDiff
from techgate.render.diff_view import DiffView, Row, diff_view
from techgate.render.formats import OutputFormat
from techgate.render.small import render_small
from techgate.render.text import DECISION_STYLE, Text

__all__ = ["diff_text_view", "render_diff"]

_DIRECTION_STYLE = {"better": "bold green", "worse": "bold red", "same": "bold"}


def render_diff(
    diff: RecordDiff,
    output_format: OutputFormat,
    *,
    width: int = 100,
    user_templates: Path | None = None,
) -> str:
    """The diff in the given format, as a string (the same diff, the same bytes)."""
    return render_small(
        diff,
        output_format,
        kind="diff",
        template="diff.md.j2",
        view=lambda: diff_view(diff),
        text_view=lambda: diff_text_view(diff),
        width=width,
        user_templates=user_templates,
    )


def diff_text_view(diff: RecordDiff) -> RenderableType:
    """A rich renderable of the diff, decision first; every string shown, never obeyed."""
    view = diff_view(diff)
    headline = Text("DECISION: ", style=_DIRECTION_STYLE[diff.direction])
    headline.append(view.decision.upper(), style=DECISION_STYLE[diff.after.decision])
    parts: list[RenderableType] = [headline, Text(diff.summary)]
    parts.append(_table("Figures", ("", "Before", "After", "Change"), view.figures))
    parts.append(_table("Records", ("", "Proposal", "sha256", "Pack", "As of"), view.sides))
    if view.pack_note:
        parts.append(Text(view.pack_note, style="bold"))
    if view.gates:
        columns: tuple[str, ...] = ("Gate", "Severity", "Before", "After", "Reason now")
        parts.append(_table("Gates whose status changed", columns, view.gates))
    if view.criteria:
        columns = ("Criterion", "Score before", "Score after", "Weight before", "Weight after")
        parts.append(_table("Criteria whose score changed", columns, view.criteria))
    if view.indicators:
        columns = ("Indicator", "Criterion", "What changed", "Before", "After")
        parts.append(_table("Indicators that changed", columns, view.indicators))
    if view.answers:
        columns = ("Indicator", "Assessor", "Answer before", "Answer after")
        parts.append(_table("Answers that changed", columns, view.answers))
    conditions = _conditions(view)
    if conditions is not None:
        parts.append(conditions)
    return Group(*parts)


def _table(title: str, columns: tuple[str, ...], rows: tuple[Row, ...]) -> Table:
    table = Table(title=Text(title, style="bold"), title_justify="left", show_lines=False)
    for column in columns:
        table.add_column(Text(column))
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _conditions(view: DiffView) -> Text | None:
    if not (view.met or view.still_open or view.new):
        return None
    text = Text("Conditions\n", style="bold")
    for label, items in (("met", view.met), ("still open", view.still_open), ("new", view.new)):
        for item in items:
            text.append(f"[{label}] ", style="bold")
            text.append(item)
            text.append("\n")
    return text
