"""Inline SVG charts written by techgate: no browser, no image files.

Every label is escaped: pack and proposal text must never become markup.
Coordinates are written with fixed decimals so the same record gives the
same bytes.
"""

from __future__ import annotations

import math
import textwrap

from markupsafe import Markup, escape

from techgate.model.evaluation import BenefitsCase, CriterionResult
from techgate.render.sensitivity_view import WeightRange

INK = "#1a1a1a"
GRID = "#b8b8b8"
FILL = "#1f5f99"
PALE = "#dbe6f1"
LABEL_CHARS = 20


def _n(value: float) -> str:
    return f"{value:.1f}"


def radar_chart(criteria: tuple[CriterionResult, ...], size: int = 300, width: int = 520) -> Markup:
    """Criterion scores (0-100) on one axis each; unscored criteria sit at the centre."""
    count = len(criteria)
    # Wider than tall: axis labels run sideways and must not be clipped.
    centre_x, centre, radius = width / 2, size / 2, size / 2 - 40
    summary = "; ".join(
        f"{c.title} {'not scored' if c.score is None else f'{c.score:.0f}'}" for c in criteria
    )

    def point(index: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        return (
            centre_x + radius * fraction * math.cos(angle),
            centre + radius * fraction * math.sin(angle),
        )

    parts = _opening("radar", width, size, "Criterion scores out of 100: " + summary)
    for ring in (0.25, 0.5, 0.75, 1.0):
        ring_points = " ".join(
            f"{_n(x)},{_n(y)}" for x, y in (point(i, ring) for i in range(count))
        )
        parts.append(
            f'<polygon points="{ring_points}" fill="none" stroke="{GRID}" stroke-width="0.8"/>'
        )
    for index, criterion in enumerate(criteria):
        x, y = point(index, 1.0)
        parts.append(
            f'<line x1="{_n(centre_x)}" y1="{_n(centre)}" x2="{_n(x)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
        )
        lx, ly = point(index, 1.12)
        anchor = "middle" if abs(lx - centre_x) < 1 else ("start" if lx > centre_x else "end")
        lines = textwrap.wrap(criterion.title, LABEL_CHARS) or [""]
        first_y = ly + 4 - 6 * (len(lines) - 1)
        spans = "".join(
            f'<tspan x="{_n(lx)}" y="{_n(first_y + 12 * n)}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(f'<text text-anchor="{anchor}" font-size="10" fill="{INK}">{spans}</text>')
    shape = " ".join(
        f"{_n(x)},{_n(y)}"
        for x, y in (point(i, (c.score or 0.0) / 100) for i, c in enumerate(criteria))
    )
    parts.append(
        f'<polygon points="{shape}" fill="{FILL}" fill-opacity="0.25" stroke="{FILL}" '
        'stroke-width="2"/>'
    )
    for label, ring in (("50", 0.5), ("100", 1.0)):
        x, y = point(0, ring)
        parts.append(
            f'<text x="{_n(x + 3)}" y="{_n(y + 10)}" font-size="8" fill="{INK}">{label}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or numeric


def contribution_chart(criteria: tuple[CriterionResult, ...], width: int = 460) -> Markup:
    """Each criterion's points of the overall score, against the most it could give."""
    row, label_width, top = 24, 170, 8
    height = top + row * len(criteria) + 20
    most = max((100 * c.weight_share for c in criteria), default=0.0) or 1.0
    scale = (width - label_width - 80) / most
    summary = "; ".join(
        f"{c.title} {c.contribution:.1f} of {100 * c.weight_share:.1f} points" for c in criteria
    )
    parts = _opening(
        "bars", width, height, "Points each criterion adds to the overall score: " + summary
    )
    for index, criterion in enumerate(criteria):
        y = top + index * row
        possible = 100 * criterion.weight_share * scale
        actual = criterion.contribution * scale
        parts.append(
            f'<text x="{label_width - 6}" y="{_n(y + 14)}" text-anchor="end" '
            f'font-size="10" fill="{INK}">{escape(criterion.title)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{_n(y + 3)}" width="{_n(possible)}" '
            f'height="15" fill="{PALE}"/>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{_n(y + 3)}" width="{_n(actual)}" '
            f'height="15" fill="{FILL}"/>'
        )
        parts.append(
            f'<text x="{_n(label_width + possible + 4)}" y="{_n(y + 14)}" font-size="10" '
            f'fill="{INK}">{criterion.contribution:.1f} / {100 * criterion.weight_share:.1f}'
            "</text>"
        )
    parts.append(
        f'<text x="{label_width}" y="{height - 4}" font-size="8" fill="{INK}">'
        "dark: points earned; pale: points the criterion can give</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or numeric


def benefits_chart(benefits: BenefitsCase, width: int = 520) -> Markup:
    """Each objective's claimed annual value (pale) and the part measured here (dark).

    Empty when no objective states a value: weights alone have no size to draw.
    """
    lines = [line for line in benefits.lines if line.value is not None]
    if not lines:
        return Markup("")
    row, label_width, top, text_room = 30, 190, 8, 130
    height = top + row * len(lines) + 20
    most = max(line.value or 0.0 for line in lines) or 1.0
    scale = (width - label_width - text_room) / most
    unit = f"{benefits.currency} " if benefits.currency else ""

    def amount(value: float | None) -> str:
        return "not measured" if value is None else f"{value:,.0f}"

    summary = "; ".join(
        f"{line.objective}: {unit}{amount(line.value)} claimed, "
        + (
            "not measured"
            if line.measured_value is None
            else f"{amount(line.measured_value)} measured"
        )
        for line in lines
    )
    parts = _opening("benefits", width, height, "Claimed and measured benefits a year: " + summary)
    for index, line in enumerate(lines):
        y = top + index * row
        wrapped = textwrap.wrap(line.objective, 34) or [""]
        label = wrapped[:2]
        if len(wrapped) > 2:
            label[1] = label[1][:32] + "…"
        first_y = y + 14 - 6 * (len(label) - 1)
        spans = "".join(
            f'<tspan x="{label_width - 6}" y="{_n(first_y + 12 * n)}">{escape(text)}</tspan>'
            for n, text in enumerate(label)
        )
        parts.append(f'<text text-anchor="end" font-size="9" fill="{INK}">{spans}</text>')
        claimed = (line.value or 0.0) * scale
        measured = (line.measured_value or 0.0) * scale
        parts.append(
            f'<rect x="{label_width}" y="{_n(y + 3)}" width="{_n(claimed)}" '
            f'height="15" fill="{PALE}" stroke="{FILL}" stroke-width="0.6"/>'
        )
        if measured:
            parts.append(
                f'<rect x="{label_width}" y="{_n(y + 3)}" width="{_n(measured)}" '
                f'height="15" fill="{FILL}"/>'
            )
        parts.append(
            f'<text x="{_n(label_width + claimed + 4)}" y="{_n(y + 14)}" font-size="9" '
            f'fill="{INK}">{escape(amount(line.value))}'
            f"{'' if line.measured_value is None else escape(' / ' + amount(line.measured_value))}"
            "</text>"
        )
    parts.append(
        f'<text x="{label_width}" y="{height - 4}" font-size="8" fill="{INK}">'
        f"{escape(unit)}a year, claimed / measured. Dark: measured here; pale: claimed</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or numeric


def _opening(kind: str, width: float, height: float, title: str) -> list[str]:
    """An SVG chart's opening tag and its title, the text alternative the PDF tags use."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]


def tornado_chart(ranges: tuple[WeightRange, ...], width: int = 560) -> Markup:
    """Per criterion, the weight shares (0-100 %) over which the decision holds, narrowest first.

    A bar spans the range that keeps the decision; the tick marks the pack's
    share; a bar reaching an end holds all the way there. Beyond a bar's end
    the decision becomes the one written there.
    """
    if not ranges:
        return Markup("")
    row, label_width, top, right = 26, 190, 22, 70
    axis = width - label_width - right
    height = top + row * len(ranges) + 24

    def x(percent: float) -> float:
        return label_width + axis * percent / 100

    summary = "; ".join(
        f"{r.title}: now {r.share:.2f} %, holds from {r.low:.2f} % to {r.high:.2f} %"
        for r in ranges
    )
    parts = _opening(
        "tornado", width, height, "Criterion weight shares that keep the decision: " + summary
    )
    for percent in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{_n(x(percent))}" y1="{top - 4}" x2="{_n(x(percent))}" '
            f'y2="{top + row * len(ranges)}" stroke="{GRID}" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text x="{_n(x(percent))}" y="{top - 8}" text-anchor="middle" font-size="8" '
            f'fill="{INK}">{percent} %</text>'
        )
    for index, item in enumerate(ranges):
        y = top + index * row
        parts.append(
            f'<text x="{label_width - 6}" y="{_n(y + 15)}" text-anchor="end" '
            f'font-size="10" fill="{INK}">{escape(_short(item.title))}</text>'
        )
        parts.append(
            f'<rect x="{_n(x(item.low))}" y="{_n(y + 4)}" width="{_n(x(item.high) - x(item.low))}"'
            f' height="15" fill="{PALE}" stroke="{FILL}" stroke-width="0.6"/>'
        )
        parts.append(
            f'<line x1="{_n(x(item.share))}" y1="{_n(y + 1)}" x2="{_n(x(item.share))}" '
            f'y2="{_n(y + 22)}" stroke="{INK}" stroke-width="2"/>'
        )
        if item.below is not None:
            parts.append(
                f'<text x="{_n(x(item.low) - 3)}" y="{_n(y + 15)}" text-anchor="end" '
                f'font-size="8" fill="{INK}">{escape(item.below.value)}</text>'
            )
        if item.above is not None:
            parts.append(
                f'<text x="{_n(x(item.high) + 3)}" y="{_n(y + 15)}" font-size="8" '
                f'fill="{INK}">{escape(item.above.value)}</text>'
            )
    parts.append(
        f'<text x="{label_width}" y="{height - 6}" font-size="8" fill="{INK}">'
        "bar: shares that keep the decision; tick: the pack's share</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped or numeric


def _short(title: str) -> str:
    return title if len(title) <= 32 else title[:31] + "…"
