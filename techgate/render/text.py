"""The terminal view a steering meeting projects: decision first, then why."""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from techgate.model.evaluation import Decision, Evaluation, GateStatus, IndicatorStatus

# Colour is never the only signal: the decision is always spelt out too.
DECISION_STYLE = {
    Decision.GO: "bold white on green",
    Decision.CONDITIONAL: "bold black on yellow",
    Decision.NO_GO: "bold white on red",
}
SHOWN_REASONS = 5


def text_view(evaluation: Evaluation) -> RenderableType:
    """A rich renderable of the whole record, for a console to print."""
    parts: list[RenderableType] = [_headline(evaluation), _facts(evaluation)]
    failed = [g for g in evaluation.gates if g.status is GateStatus.FAILED]
    if failed:
        table = _table("Failed gates", ("Gate", "Severity", "Reason"))
        for gate in failed:
            table.add_row(Text(gate.title), Text(gate.severity.value.upper()), Text(gate.reason))
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
        parts.append(_disagreements(evaluation))
    if evaluation.gaps:
        gaps = _table("Gaps (not scored)", ("Indicator", "Criterion", "Why"))
        for gap in evaluation.gaps:
            gaps.add_row(Text(gap.indicator), Text(gap.criterion), Text(gap.reason))
        parts.append(gaps)
    parts.append(_analyses(evaluation))
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
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
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


def _facts(evaluation: Evaluation) -> Text:
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
    text.append(
        f"Judged by {evaluation.pack.title} {evaluation.pack.version}; "
        f"assessors: {', '.join(proposal.assessors) or 'none'}"
    )
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


def _disagreements(evaluation: Evaluation) -> Table:
    table = _table("Assessor disagreements", ("Indicator", "Scores", "Spread", "Used"))
    for criterion in evaluation.criteria:
        for indicator in criterion.indicators:
            if indicator.disagreement:
                scores = ", ".join(
                    f"{a.assessor}: {'n/a' if a.score is None else a.score}"
                    for a in indicator.assessors
                )
                table.add_row(
                    Text(indicator.title),
                    Text(scores),
                    f"{indicator.spread:g}",
                    f"{indicator.score:g}",
                )
    return table


def _analyses(evaluation: Evaluation) -> Text:
    analyses = evaluation.analyses
    text = Text("Analyses\n", style="bold")
    for label, summary in (
        ("Motive", analyses.motive.summary),
        ("Segments", analyses.segments.summary),
        ("Escalation", analyses.escalation.summary),
        ("Stakeholders", analyses.stakeholders.summary),
    ):
        text.append(f"{label}: ", style="bold")
        text.append(summary + "\n")
    scored = sum(
        1 for c in evaluation.criteria for i in c.indicators if i.status is IndicatorStatus.SCORED
    )
    text.append(f"{scored} indicators scored, {len(evaluation.gaps)} gaps.")
    return text
