"""Turn scores and gates into a decision, ranked reasons and conditions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from techgate.engine.numbers import points
from techgate.model.criteria import CriteriaPack, DecisionPolicy, Severity
from techgate.model.evaluation import (
    Condition,
    CriterionResult,
    Decision,
    Gap,
    GateResult,
    GateStatus,
    IndicatorResult,
    IndicatorStatus,
    Reason,
)

# How many indicators a condition names before it gets unreadable.
NAMED_IN_CONDITION = 3


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    score_decision: Decision
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]


def score_decision(score: float, policy: DecisionPolicy) -> Decision:
    if score >= policy.go_threshold:
        return Decision.GO
    if score >= policy.conditional_threshold:
        return Decision.CONDITIONAL
    return Decision.NO_GO


def decide(
    pack: CriteriaPack,
    score: float,
    confidence: float,
    coverage: float,
    criteria: tuple[CriterionResult, ...],
    gates: tuple[GateResult, ...],
    gaps: tuple[Gap, ...],
) -> Outcome:
    policy = pack.policy
    indicators = [ind for crit in criteria for ind in crit.indicators]
    failed = [g for g in gates if g.status is GateStatus.FAILED]
    by_score = score_decision(score, policy)
    decision = by_score
    for gate in failed:
        decision = decision.worst(Decision(gate.severity.value))
    caps = list(_caps(policy, confidence, coverage, indicators))
    if caps:
        decision = decision.worst(Decision.CONDITIONAL)
    reasons = _reasons(failed, caps, indicators, policy)
    conditions: tuple[Condition, ...] = ()
    if decision is not Decision.GO:
        conditions = tuple(
            _conditions(
                failed, score, policy, confidence, coverage, indicators, gaps, pack.scale.maximum
            )
        )
    return Outcome(decision, by_score, reasons, conditions)


def _caps(
    policy: DecisionPolicy, confidence: float, coverage: float, indicators: list[IndicatorResult]
) -> Iterable[tuple[str, str, str]]:
    """(kind, ref, text) for every policy rule that keeps the decision from go."""
    if coverage < policy.min_coverage:
        yield (
            "coverage",
            "min_coverage",
            f"Only {coverage:.0%} of the weight was scored; at least "
            f"{policy.min_coverage:.0%} is needed for a go.",
        )
    if confidence < policy.min_confidence:
        yield (
            "confidence",
            "min_confidence",
            f"Confidence is {confidence:.2f}, below the {policy.min_confidence:.2f} a go needs: "
            "the evidence is weak, incomplete or disputed.",
        )
    unsupported = [i.title for i in indicators if i.evidence_missing]
    if unsupported:
        yield (
            "evidence",
            "evidence_required",
            f"Scores without the evidence the pack requires: {', '.join(unsupported)}.",
        )


def _reasons(
    failed: list[GateResult],
    caps: list[tuple[str, str, str]],
    indicators: list[IndicatorResult],
    policy: DecisionPolicy,
) -> tuple[Reason, ...]:
    ordered_gates = sorted(failed, key=lambda g: g.severity is not Severity.NO_GO)
    drafts: list[tuple[str, str, str, float | None, str]] = [
        (
            "gate",
            g.id,
            "against",
            None,
            f"Gate '{g.title}' failed ({g.severity.value}): {g.reason}.",
        )
        for g in ordered_gates
    ]
    drafts += [(kind, ref, "against", None, text) for kind, ref, text in caps]
    impacts = [
        (points(ind.overall_weight * ((ind.score_pct or 0.0) - policy.go_threshold)), ind)
        for ind in indicators
        if ind.status is IndicatorStatus.SCORED
    ]
    impacts.sort(key=lambda pair: (-abs(pair[0]), pair[1].id))
    drafts += [
        ("indicator", ind.id, "for" if impact >= 0 else "against", impact, _indicator_text(ind))
        for impact, ind in impacts
    ]
    return tuple(
        Reason(rank=rank, kind=kind, ref=ref, direction=direction, impact=impact, text=text)
        for rank, (kind, ref, direction, impact, text) in enumerate(drafts, start=1)
    )


def _indicator_text(ind: IndicatorResult) -> str:
    text = f"{ind.title}: {ind.level_label} ({ind.score:.3g})"
    if ind.level_description:
        text += f" — {ind.level_description}"
    return text


def _conditions(
    failed: list[GateResult],
    score: float,
    policy: DecisionPolicy,
    confidence: float,
    coverage: float,
    indicators: list[IndicatorResult],
    gaps: tuple[Gap, ...],
    scale_max: int,
) -> Iterable[Condition]:
    for gate in failed:
        yield Condition(source=gate.id, text=gate.condition or gate.reason)
    if score < policy.go_threshold:
        yield Condition(
            source="score", text=_improvement_plan(score, policy, indicators, scale_max)
        )
    if coverage < policy.min_coverage:
        titles = {i.id: i.title for i in indicators}
        named = ", ".join(titles[g.indicator] for g in gaps[: NAMED_IN_CONDITION * 2])
        yield Condition(source="coverage", text=f"Assess what is missing: {named}.")
    if confidence < policy.min_confidence:
        weakest = sorted(
            (
                i
                for i in indicators
                if i.status is IndicatorStatus.SCORED and i.derived_from is None
            ),
            key=lambda i: (-i.overall_weight * (1 - i.evidence_strength), i.id),
        )[:NAMED_IN_CONDITION]
        disputed = [i.title for i in indicators if i.disagreement]
        text = (
            "Back the weightiest scores with pilot or production evidence: "
            f"{', '.join(i.title for i in weakest)}."
        )
        if disputed:
            text += f" Settle where assessors disagree: {', '.join(disputed)}."
        yield Condition(source="confidence", text=text)
    unsupported = [i.title for i in indicators if i.evidence_missing]
    if unsupported:
        yield Condition(source="evidence", text=f"Cite evidence for: {', '.join(unsupported)}.")


def _improvement_plan(
    score: float, policy: DecisionPolicy, indicators: list[IndicatorResult], scale_max: int
) -> str:
    """Fewest indicators whose full marks would lift the score to the go threshold."""
    needed = policy.go_threshold - score
    candidates = sorted(
        (i for i in indicators if i.status is IndicatorStatus.SCORED and (i.score_pct or 0) < 100),
        key=lambda i: (-i.overall_weight * (100 - (i.score_pct or 0.0)), i.id),
    )
    chosen, gained = [], 0.0
    for ind in candidates:
        if gained >= needed:
            break
        chosen.append(ind)
        gained += ind.overall_weight * (100 - (ind.score_pct or 0.0))
    named = ", ".join(f"{i.title} (now {i.score:.3g}/{scale_max})" for i in chosen)
    return (
        f"Raise the score from {score:g} to at least {policy.go_threshold:g}. "
        f"The largest gains are in: {named}; full marks there add {gained:.1f} points."
    )
