"""A comparison as documents (JSON, Markdown, HTML, PDF), a chart and a terminal view.

Formatters get the comparison record only, never the engine.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from techgate.errors import RenderError, TechgateError
from techgate.model.comparison import Comparison, Member
from techgate.model.evaluation import Evaluation
from techgate.render.charts import GRID, INK, _n, _opening
from techgate.render.safe_text import printable
from techgate.vocabulary import DocumentFormat, Paper

# Fills for up to eight vendors: distinct in grey as well as in colour, so a
# black-and-white print still tells the bars apart.
FILLS = ("#1f5f99", "#d9822b", "#5b8c3a", "#8c4f9f", "#4d4d4d", "#c2464b", "#2a9d8f", "#a0a0a0")


@dataclass(frozen=True)
class ComparisonContext:
    """Everything a comparison template may use; templates get it as 'ctx'."""

    comparison: Comparison
    paper: Paper
    chart: Markup
    ranked: tuple[Member, ...]
    """Members in the ranking, best first."""
    knocked_out: tuple[Member, ...]
    """Members out of the ranking."""
    records: dict[str, Evaluation]
    """Member id to its decision record."""
    criteria: tuple[tuple[str, str], ...]
    """(id, title) of the pack's criteria, in pack order."""
    indicators: tuple[tuple[str, str, str], ...]
    """(criterion id, indicator id, title), in pack order."""


def comparison_context(comparison: Comparison, paper: Paper = Paper.A4) -> ComparisonContext:
    records = {r.proposal.id: r for r in comparison.records}
    first = comparison.records[0]
    return ComparisonContext(
        comparison=comparison,
        paper=paper,
        chart=criterion_chart(comparison),
        ranked=tuple(m for m in comparison.members if m.knocked_out is None),
        knocked_out=tuple(m for m in comparison.members if m.knocked_out is not None),
        records=records,
        criteria=tuple((c.id, c.title) for c in first.criteria),
        indicators=tuple((c.id, i.id, i.title) for c in first.criteria for i in c.indicators),
    )


def criterion_chart(comparison: Comparison, width: int = 640) -> Markup:
    """Each criterion's score (0-100) per member, one bar per member, grouped by criterion."""
    members = comparison.members
    first = comparison.records[0]
    records = {r.proposal.id: r for r in comparison.records}
    bar, gap, label_width, top = 9, 10, 170, 8
    group = bar * len(members) + gap
    legend = 16 * ((len(members) + 2) // 3)
    height = top + group * len(first.criteria) + 24 + legend
    scale = (width - label_width - 50) / 100
    summary = "; ".join(
        f"{c.title}: "
        + ", ".join(f"{m.id} {_score(records[m.id].criteria[index].score)}" for m in members)
        for index, c in enumerate(first.criteria)
    )
    parts = _opening("compare", width, height, "Criterion scores per proposal: " + summary)
    for tick in (0, 25, 50, 75, 100):
        x = label_width + tick * scale
        parts.append(
            f'<line x1="{_n(x)}" y1="{top}" x2="{_n(x)}" '
            f'y2="{_n(top + group * len(first.criteria))}" stroke="{GRID}" stroke-width="0.5"/>'
        )
        parts.append(
            f'<text x="{_n(x)}" y="{_n(top + group * len(first.criteria) + 10)}" '
            f'font-size="8" text-anchor="middle" fill="{INK}">{tick}</text>'
        )
    for index, criterion in enumerate(first.criteria):
        y = top + index * group
        lines = textwrap.wrap(criterion.title, 28)[:2] or [""]
        middle = y + group / 2 - 6 * (len(lines) - 1)
        spans = "".join(
            f'<tspan x="{label_width - 6}" y="{_n(middle + 12 * n)}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(f'<text text-anchor="end" font-size="9" fill="{INK}">{spans}</text>')
        for position, member in enumerate(members):
            score = records[member.id].criteria[index].score
            fill = FILLS[position % len(FILLS)]
            parts.append(
                f'<rect x="{label_width}" y="{_n(y + position * bar)}" '
                f'width="{_n((score or 0.0) * scale)}" height="{bar - 1}" fill="{fill}"/>'
            )
    legend_top = top + group * len(first.criteria) + 22
    for position, member in enumerate(members):
        x = label_width + (position % 3) * 150
        y = legend_top + (position // 3) * 16
        fill = FILLS[position % len(FILLS)]
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{fill}"/>')
        parts.append(
            f'<text x="{x + 14}" y="{y + 9}" font-size="9" fill="{INK}">'
            f"{escape(textwrap.shorten(member.id, 24, placeholder='…'))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or numeric


def _score(value: float | None) -> str:
    return "not scored" if value is None else f"{value:.0f}"


def render_comparison_documents(
    comparison: Comparison,
    formats: Iterable[DocumentFormat],
    *,
    paper: Paper = Paper.A4,
    user_templates: Path | None = None,
) -> dict[DocumentFormat, bytes]:
    """Each requested document's bytes (the HTML once for --html and --pdf); all or none."""
    from techgate.render.documents import template_errors

    try:
        with template_errors(user_templates, "the comparison"):
            return _render_all(comparison, tuple(dict.fromkeys(formats)), paper, user_templates)
    except TechgateError:
        raise
    except Exception as error:
        raise RenderError(
            f"could not render the comparison: {type(error).__name__}: {error}"
        ) from error


def _render_all(
    comparison: Comparison,
    formats: tuple[DocumentFormat, ...],
    paper: Paper,
    user_templates: Path | None,
) -> dict[DocumentFormat, bytes]:
    from techgate.render.environment import (
        html_environment,
        markdown_environment,
        render_template,
        template_dirs,
    )
    from techgate.render.json import json_text

    rendered: dict[DocumentFormat, bytes] = {}
    html: str | None = None
    for kind in formats:
        if kind is DocumentFormat.JSON:
            rendered[kind] = json_text(comparison).encode("utf-8")
        elif kind is DocumentFormat.MARKDOWN:
            context = comparison_context(comparison, paper)
            text = render_template(
                markdown_environment(user_templates), "comparison.md.j2", context, user_templates
            )
            rendered[kind] = text.encode("utf-8")
        else:
            if html is None:
                context = comparison_context(comparison, paper)
                html = render_template(
                    html_environment(user_templates), "comparison.html.j2", context, user_templates
                )
            if kind is DocumentFormat.HTML:
                rendered[kind] = html.encode("utf-8")
            else:
                from techgate.render.pdf_worker import html_to_pdf

                rendered[kind] = html_to_pdf(html, template_dirs(user_templates))
    return rendered


def comparison_view(comparison: Comparison) -> RenderableType:
    """The comparison for a terminal: ranking, knock-outs, near-ties, recommendation."""
    table = Table(title=printable(comparison.title), title_justify="left")
    for column in ("Rank", "Proposal", "Vendor", "Decision", "Score", "Ranked on", "Spread"):
        table.add_column(column, justify="right" if column in ("Score", "Spread") else "left")
    for member in comparison.members:
        table.add_row(
            "out" if member.rank is None else str(member.rank),
            printable(member.id),
            printable(member.vendor),
            member.decision.value,
            f"{member.score:g}",
            "—" if member.ranking_score is None else f"{member.ranking_score:g}",
            f"{member.assessor_spread:g}",
        )
    parts: list[RenderableType] = [table]
    for member in comparison.members:
        if member.knocked_out:
            parts.append(Text(f"Knocked out: {member.id}: {printable(member.knocked_out.reason)}"))
    for tie in comparison.near_ties:
        word = "tie" if tie.exact else "near-tie"
        parts.append(
            Text(
                f"{word}: {tie.higher} and {tie.lower} differ by {tie.difference:g} points, "
                f"within the panel's noise of {tie.noise:g}"
            )
        )
    parts += _price_lines(comparison)
    if comparison.sensitivity is not None:
        parts.append(Text(printable(comparison.sensitivity.summary)))
    parts.append(Text(printable(comparison.recommendation)))
    return Group(*parts)


def _price_lines(comparison: Comparison) -> list[RenderableType]:
    stage, robust = comparison.price, comparison.price_robustness
    if stage is None:
        return []
    unit = f" {stage.currency}" if stage.currency else ""
    lines: list[RenderableType] = [
        Text(
            f"Price stage ({stage.method.value}"
            + (
                f", technical {stage.technical_weight:g} : price {stage.price_weight:g}"
                if stage.method.value not in ("excluded", "per-quality-point")
                else ""
            )
            + f"): lowest whole-life price{unit} "
            + ("—" if stage.lowest_price is None else f"{stage.lowest_price:,.0f}")
        )
    ]
    for bid in stage.bids:
        if bid.abnormally_low and bid.abnormally_low.flagged:
            lines.append(
                Text(
                    f"Abnormally low: {bid.proposal} is "
                    f"{bid.abnormally_low.below_reference_percent:g} % below the others' "
                    f"{bid.abnormally_low.reference.value}; ask for an explanation"
                )
            )
    if robust is not None and robust.break_even is not None:
        in_currency = f" ({stage.currency})" if stage.currency else ""
        lines.append(Text(printable(robust.break_even.explanation) + in_currency))
    if robust is not None:
        lines += [
            Text(f"Under the {m.method.value} price formula, {m.winner} would win")
            for m in robust.across_methods
            if m.winner is not None and m.winner != robust.winner
        ]
    if robust is not None:
        lines += [
            Text(f"Without {w.withdrawn}, {w.winner} would win instead")
            for w in robust.withdrawals
            if w.winner_changes
        ]
    return lines
