"""The terminal view a steering meeting projects: decision first, then why.

Every piece of text goes through Text and _table below, which show control
characters as escapes (techgate.render.safe_text): a title or a note must
not be able to drive the terminal that shows it.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape as escape_markup
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text as RichText

from techgate.model.evaluation import (
    AssessorScore,
    Decision,
    Evaluation,
    GateResult,
    GateStatus,
    IndicatorResult,
    IndicatorStatus,
    Sensitivity,
)
from techgate.render.panel import PanelView, panel_view
from techgate.render.safe_text import printable

# Colour is never the only signal: the decision is always spelt out too.
DECISION_STYLE = {
    Decision.GO: "bold white on green",
    Decision.CONDITIONAL: "bold black on yellow",
    Decision.NO_GO: "bold white on red",
}
SHOWN_REASONS = 5
# What a policy cap means, for readers who do not know the policy's field names.
CAP_WORDS = {
    "min_confidence": "confidence below the minimum for a go",
    "min_coverage": "coverage below the minimum for a go",
    "evidence_required": "scores without the evidence the pack requires",
}


class Text(RichText):
    """rich's Text, its content shown and never obeyed: control characters become escapes."""

    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(printable(text), *args, **kwargs)

    def append(self, text: str | RichText, style: str | Style | None = None) -> RichText:
        return super().append(printable(text) if isinstance(text, str) else text, style)


class _Table(Table):
    """A table whose plain-string cells are shown as text too, never read as markup."""

    def add_row(self, *cells: RenderableType | None, **kwargs: Any) -> None:
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **kwargs)


def text_view(evaluation: Evaluation) -> RenderableType:
    """A rich renderable of the whole record, for a console to print."""
    panel = panel_view(evaluation)
    parts: list[RenderableType] = [
        _headline(evaluation),
        _facts(evaluation, panel),
        _margin(evaluation),
    ]
    if evaluation.sensitivity is not None:
        parts.append(_sensitivity(evaluation.sensitivity))
    lenient = [g for g in evaluation.gates if g.lenient]
    if lenient:
        names = ", ".join(f"'{g.title}'" for g in lenient)
        parts.append(
            Text(
                f"LENIENT: the pack judges gate {names} more lightly than the worst honest "
                "answer to the facts the proposal leaves out.",
                style="bold",
            )
        )
    failed = [g for g in evaluation.gates if g.status is GateStatus.FAILED]
    if failed:
        table = _table("Failed gates", ("Gate", "Severity", "Reason"))
        for gate in failed:
            severity = gate.severity.value.upper() + (" (LENIENT)" if gate.lenient else "")
            table.add_row(Text(gate.title), Text(severity), _gate_reason(gate))
        parts.append(table)
    waived = [g for g in evaluation.gates if g.status is GateStatus.WAIVED]
    if waived:
        table = _table(
            "Waived gates (failed; a waiver accepts it, never a pass)",
            ("Gate", "Severity", "Reason", "Waiver"),
        )
        for gate in waived:
            table.add_row(
                Text(gate.title),
                Text(f"WAIVED ({gate.severity.value})"),
                _gate_reason(gate),
                _waiver_text(gate),
            )
        parts.append(table)
    if evaluation.conditions:
        conditions = Text("Conditions\n", style="bold")
        for number, condition in enumerate(evaluation.conditions, start=1):
            conditions.append(f"{number}. ")
            conditions.append(condition.text)
            conditions.append("\n")
        parts.append(conditions)
    parts.append(_reasons(evaluation))
    parts.append(_criteria(evaluation))
    if evaluation.disagreements:
        parts.append(_disagreements(evaluation, panel))
    if evaluation.moderation is not None:
        parts.append(_moderation(evaluation))
    if panel is not None:
        parts.append(_dissenters(panel))
    if evaluation.gaps:
        gaps = _table("Gaps (not assessed, counted at level 0)", ("Indicator", "Criterion", "Why"))
        for gap in evaluation.gaps:
            gaps.add_row(Text(gap.indicator), Text(gap.criterion), Text(gap.reason))
        parts.append(gaps)
    unchanged = _unchanged(evaluation)
    if unchanged:
        text = Text("Unchanged (covered, not in the score): ", style="bold")
        text.append(", ".join(f"{i.title} — unchanged" for i in unchanged))
        parts.append(text)
    parts += [
        _benefits(evaluation),
        _workforce(evaluation),
        _automation(evaluation),
        _stakeholders(evaluation),
        _analyses(evaluation),
    ]
    provenance = evaluation.provenance
    parts.append(
        Text(
            f"techgate {provenance.techgate_version} · pack {provenance.pack_id} "
            f"{provenance.pack_version} ({provenance.pack_sha256[:12]}) · proposal "
            f"{provenance.proposal_sha256[:12]} · as of {provenance.as_of.isoformat()}",
            style="dim",
        )
    )
    return Group(*parts)


def render_text(evaluation: Evaluation, *, width: int = 100) -> str:
    """The view as plain text (no colour codes), for files."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(text_view(evaluation))
    return buffer.getvalue()


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = _Table(
        title=escape_markup(printable(title)),
        title_justify="left",
        title_style="bold",
        expand=False,
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _headline(evaluation: Evaluation) -> Panel:
    decision = evaluation.decision
    return Panel(
        Text(f"DECISION: {decision.value.upper()}", justify="center"),
        style=DECISION_STYLE[decision],
        expand=True,
    )


def _facts(evaluation: Evaluation, panel: PanelView | None) -> Text:
    proposal, policy = evaluation.proposal, evaluation.pack.policy
    text = Text()
    text.append(proposal.title, style="bold")
    text.append(f"  [{proposal.id}]\n")
    text.append(
        f"{proposal.vendor} · {proposal.category.value} · owner {proposal.owner} · "
        f"{proposal.date.isoformat()}\n"
    )
    text.append(f"Score {evaluation.score:.1f}/100", style="bold")
    text.append(
        f" (go ≥ {policy.go_threshold:g}, conditional ≥ {policy.conditional_threshold:g}; "
        f"the score alone says {evaluation.score_decision.value})   "
    )
    text.append(f"Confidence {evaluation.confidence:.2f}", style="bold")
    text.append(f" (min {policy.min_confidence:.2f})   ")
    text.append(f"Coverage {evaluation.coverage:.0%}", style="bold")
    text.append(f" (min {policy.min_coverage:.0%})\n")
    if panel is None:
        assessors = ", ".join(proposal.assessors) or "none"
    else:
        assessors = (
            f"{panel.assessors:,}, their answers summarised (every answer is in the JSON record)"
        )
    text.append(f"Judged by {evaluation.pack.title} {evaluation.pack.version}; ")
    text.append(f"assessors: {assessors}")
    return text


def _reasons(evaluation: Evaluation) -> Text:
    text = Text("Reasons that weighed most\n", style="bold")
    for reason in evaluation.reasons[:SHOWN_REASONS]:
        marker = "+" if reason.direction == "for" else "−"
        impact = f" ({reason.impact:+.1f})" if reason.impact is not None else ""
        text.append(f"{marker} ")
        text.append(reason.text)
        text.append(f"{impact}\n")
    return text


def _criteria(evaluation: Evaluation) -> Table:
    table = _table("Criteria", ("Criterion", "Weight", "Score", "", "Coverage", "Points"))
    for column in table.columns[1:]:
        column.justify = "right"
    table.columns[3].justify = "left"
    for criterion in evaluation.criteria:
        score = criterion.score
        table.add_row(
            Text(criterion.title),
            f"{criterion.weight_share:.0%}",
            "—" if score is None else f"{score:.1f}",
            "░" * 20 if score is None else "█" * round(score / 5) + "░" * (20 - round(score / 5)),
            f"{criterion.coverage:.0%}",
            f"{criterion.contribution:.1f}",
        )
    return table


def _disagreements(evaluation: Evaluation, panel: PanelView | None) -> Table:
    table = _table("Assessor disagreements", ("Indicator", "Scores", "Spread", "Used"))
    for criterion in evaluation.criteria:
        for indicator in criterion.indicators:
            if indicator.disagreement:
                summary = panel.summaries.get(indicator.id) if panel else None
                if summary is None:
                    scores = ", ".join(f"{a.assessor}: {_answer(a)}" for a in indicator.assessors)
                else:
                    scores = f"{summary.counts}\n{summary.distribution}\n{summary.outliers}"
                table.add_row(
                    Text(indicator.title),
                    Text(scores),
                    f"{indicator.spread:g}"
                    + (f" ({indicator.spread_band})" if indicator.spread_band else ""),
                    f"{indicator.score:g}",
                )
    return table


def _moderation(evaluation: Evaluation) -> RenderableType:
    moderation = evaluation.moderation
    assert moderation is not None
    chair = f", chaired by {moderation.chair}" if moderation.chair else ""
    title = (
        f"Moderated on {moderation.started.isoformat()}{chair}: "
        f"{len(moderation.moderated)} indicators, {len(moderation.changed)} moved from the "
        "panel's median"
    )
    changed = set(moderation.changed)
    table = _table(title, ("Indicator", "Answers", "Median", "Moderated", "Comment"))
    for criterion in evaluation.criteria:
        for indicator in criterion.indicators:
            result = indicator.moderation
            if result is None or indicator.id not in changed:
                continue
            table.add_row(
                Text(indicator.title),
                Text(", ".join(f"{a.assessor}: {_answer(a)}" for a in indicator.assessors)),
                "—" if result.median is None else f"{result.median:g}",
                str(result.score) if result.score is not None else result.answer,
                Text(result.comment),
            )
    if not changed:
        return Text(title + "; every moderated answer stayed at its start.", style="bold")
    return table


def _dissenters(panel: PanelView) -> RenderableType:
    """Beyond a handful of assessors: who is far from the median on several indicators."""
    note = Text(
        f"{panel.assessors:,} assessors. Far from the median means {panel.far_from} or more "
        "levels from it. "
    )
    if panel.more_dissenters:
        note.append(f"{panel.more_dissenters:,} more are far from it on two or more indicators. ")
    note.append(
        f"{panel.far_once:,} are far from it on one indicator only. "
        "Every answer is in the JSON record (--format json)."
    )
    if not panel.dissenters:
        return note
    table = _table(
        "Assessors far from the median on several indicators",
        ("Assessor", "Indicators", "Their level (the median of all levels)"),
    )
    table.columns[1].justify = "right"
    for dissenter in panel.dissenters:
        table.add_row(Text(dissenter.assessor), str(len(dissenter.far)), Text(dissenter.answers))
    table.caption = note
    table.caption_justify = "left"
    return table


def _analyses(evaluation: Evaluation) -> Text:
    analyses = evaluation.analyses
    text = Text("Analyses\n", style="bold")
    for label, summary in (
        ("Motive", analyses.motive.summary),
        ("Segments", analyses.segments.summary),
        ("Escalation", analyses.escalation.summary),
    ):
        text.append(f"{label}: ", style="bold")
        text.append(summary + "\n")
    scored = sum(
        1 for c in evaluation.criteria for i in c.indicators if i.status is IndicatorStatus.SCORED
    )
    text.append(
        f"{scored} indicators scored, {len(evaluation.unchanged)} unchanged, "
        f"{len(evaluation.gaps)} gaps (counted at level 0)."
    )
    return text


def _answer(score: AssessorScore) -> str:
    return str(score.score) if score.answer == "level" else score.answer


def _gate_reason(gate: GateResult) -> Text:
    text = Text(gate.reason)
    if gate.missing_facts:
        text.append(f". Not stated: {'; '.join(gate.missing_facts)}")
        text.append(" (the pack is lenient here)" if gate.lenient else " (judged at its worst)")
    return text


def _waiver_text(gate: GateResult) -> Text:
    waiver = gate.waiver
    if waiver is None:
        return Text("")
    text = Text(
        f"waiver {waiver.id}, ticket {waiver.ticket}, until {waiver.expires.isoformat()}; "
        f"owner {waiver.owner}, granted by {waiver.granted_by}: {waiver.reason}"
    )
    if waiver.condition:
        text.append(f". Condition: {waiver.condition}")
    return text


def _indicators(evaluation: Evaluation) -> dict[str, IndicatorResult]:
    return {i.id: i for c in evaluation.criteria for i in c.indicators}


def _unchanged(evaluation: Evaluation) -> list[IndicatorResult]:
    indicators = _indicators(evaluation)
    return [indicators[key] for key in evaluation.unchanged if key in indicators]


def _margin(evaluation: Evaluation) -> Text:
    margin = evaluation.margin
    text = Text()
    if margin.knife_edge:
        text.append(" KNIFE-EDGE ", style="bold reverse")
        text.append(" one level on one indicator changes the decision.\n")
    text.append("Margin: ", style="bold")
    text.append(margin.summary.removeprefix("Knife-edge: ") + "\n")
    titles = {g.id: g.title for g in evaluation.gates}
    held = [
        f"the score ({evaluation.score:g})"
        if ref == "score"
        else f"gate '{titles[ref]}'"
        if ref in titles
        else CAP_WORDS.get(ref, ref)
        for ref in margin.binding
    ]
    text.append("Held where it is by: ", style="bold")
    text.append("; ".join(held) or "nothing in particular")
    for flip in margin.flips:
        text.append(f"\n  → {flip.to.value.upper()} if ")
        text.append(flip.change)
    return text


def _sensitivity(block: Sensitivity) -> RenderableType:
    from techgate.render.sensitivity_view import nearest_level_swings, weight_ranges

    heading = Text("Sensitivity: ", style="bold")
    heading.append(block.summary)
    table = _table(
        "Criterion weight shares that keep the decision (others rescaled in proportion)",
        ("Criterion", "Share now", "Keeps it from", "to", "Beyond"),
    )
    for item in weight_ranges(block):
        beyond = "; ".join(
            f"{label} {decision.value}"
            for label, decision in (("below:", item.below), ("above:", item.above))
            if decision is not None
        )
        table.add_row(
            Text(item.title),
            f"{item.share:.2f} %",
            f"{item.low:.2f} %",
            f"{item.high:.2f} %",
            beyond or "holds over 0-100 %",
        )
    parts: list[RenderableType] = [heading, table]
    swings = nearest_level_swings(block)
    if swings:
        levels = _table(
            "Indicator scores that change it, in levels",
            ("Indicator", "Now", "Up", "Down"),
        )
        for swing in swings:
            levels.add_row(
                Text(swing.title),
                f"{swing.score:g}",
                "—"
                if swing.up is None or swing.up_to is None
                else f"+{swing.up:g} → {swing.up_to.value}",
                "—"
                if swing.down is None or swing.down_to is None
                else f"−{swing.down:g} → {swing.down_to.value}",
            )
        parts.append(levels)
    return Group(*parts)


def _money(value: float | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    return f"{currency} {value:,.0f}" if currency else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _benefits(evaluation: Evaluation) -> RenderableType:
    benefits = evaluation.analyses.benefits
    unit = f"{benefits.currency} a year" if benefits.currency else "a year"
    table = _table(
        f"Benefits case ({unit}): claimed and measured",
        ("Objective", "Kind", "Claimed", "Share", "Basis", "Measured", "Of target"),
    )
    for index in (2, 3, 5, 6):
        table.columns[index].justify = "right"
    for line in benefits.lines:
        table.add_row(
            Text(line.objective),
            line.kind,
            _money(line.value),
            _pct(line.share),
            Text("MEASURED", style="bold")
            if line.basis == "measured"
            else line.basis.replace("-", " "),
            _money(line.measured_value),
            _pct(line.realised),
        )
    table.caption = Text(benefits.summary)
    table.caption_justify = "left"
    return table


def _workforce(evaluation: Evaluation) -> Text:
    workforce = evaluation.analyses.workforce
    text = Text("Workforce: ", style="bold")
    text.append(workforce.summary)
    return text


def _automation(evaluation: Evaluation) -> RenderableType:
    automation = evaluation.analyses.automation
    heading = Text("Automation findings: ", style="bold")
    heading.append(automation.summary)
    heading.append(f" Traits: {', '.join(automation.traits) or 'none'}.")
    if not automation.indicators and not automation.gates:
        return heading
    table = _table("", ("Applies because of its traits", "Result", "Finding"))
    indicators = _indicators(evaluation)
    top = evaluation.pack.scale_max
    for key in automation.indicators:
        ind = indicators[key]
        if ind.score is not None:
            result, finding = f"{ind.score:g}/{top}", f"{ind.level_label}: {ind.level_description}"
        else:
            result = f"0/{top} (gap)" if ind.status is IndicatorStatus.GAP else ind.status.value
            finding = ind.explanation
        table.add_row(Text(f"Indicator: {ind.title}"), result, Text(finding))
    gates = {g.id: g for g in evaluation.gates}
    for key in automation.gates:
        gate = gates[key]
        result = gate.status.value.upper() + (" (LENIENT)" if gate.lenient else "")
        table.add_row(Text(f"Gate: {gate.title}"), result, _gate_reason(gate))
    return Group(heading, table)


def _stakeholders(evaluation: Evaluation) -> Table:
    stakeholders = evaluation.analyses.stakeholders
    table = _table(
        "Who was heard",
        ("Group", "Participants", "Opinion recorded", "Favourable", "Counts for", "Methods"),
    )
    for group in stakeholders.groups:
        table.add_row(
            group.group.replace("-", " "),
            f"{'at least ' if group.at_least else ''}{group.participants}",
            str(group.opinion_recorded),
            "not recorded" if group.favourable_share is None else _pct(group.favourable_share),
            _pct(group.sample_weight),
            Text(", ".join(group.methods) or "—"),
        )
    table.caption = Text(stakeholders.summary)
    table.caption_justify = "left"
    return table
