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
_COUNTED = (IndicatorStatus.SCORED, IndicatorStatus.GAP)


# A reason before it is ranked: kind, ref, direction, impact, text.
_Draft = tuple[str, str, str, float | None, str]


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    score_decision: Decision
    caps: tuple[str, ...]  # policy caps holding the decision at conditional
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]


_AS_DECISION = {Severity.NO_GO: Decision.NO_GO, Severity.CONDITIONAL: Decision.CONDITIONAL}


def score_decision(score: float, policy: DecisionPolicy) -> Decision:
    if score >= policy.go_threshold:
        return Decision.GO
    if score >= policy.conditional_threshold:
        return Decision.CONDITIONAL
    return Decision.NO_GO


def held_severities(gates: Iterable[GateResult]) -> list[Severity]:
    """What each gate holds the decision to: a failed gate its severity, a waived gate
    conditional (a waiver lifts the gate's own severity, never past conditional)."""
    return [
        g.severity if g.status is GateStatus.FAILED else Severity.CONDITIONAL
        for g in gates
        if g.status in _HOLDING
    ]


_HOLDING = (GateStatus.FAILED, GateStatus.WAIVED)


def combine(by_score: Decision, severities: Iterable[Severity], capped: bool) -> Decision:
    """The worst of the score's decision, each failed gate's severity and the policy caps."""
    decision = by_score
    for severity in severities:
        decision = decision.worst(_AS_DECISION[severity])
    return decision.worst(Decision.CONDITIONAL) if capped else decision


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
    waived = [g for g in gates if g.status is GateStatus.WAIVED]
    by_score = score_decision(score, policy)
    caps = list(_caps(policy, confidence, coverage, indicators))
    decision = combine(by_score, held_severities(gates), bool(caps))
    reasons = _reasons(failed, waived, by_score, score, caps, indicators, pack)
    conditions: tuple[Condition, ...] = ()
    if decision is not Decision.GO:
        conditions = tuple(
            _conditions(
                failed,
                waived,
                score,
                policy,
                confidence,
                coverage,
                indicators,
                gaps,
                pack.scale.maximum,
            )
        )
    return Outcome(decision, by_score, tuple(ref for _, ref, _ in caps), reasons, conditions)


def _caps(
    policy: DecisionPolicy, confidence: float, coverage: float, indicators: list[IndicatorResult]
) -> Iterable[tuple[str, str, str]]:
    """(kind, ref, text) for every policy rule that keeps the decision from go."""
    if coverage < policy.min_coverage:
        yield (
            "coverage",
            "min_coverage",
            f"Only {coverage:.0%} of the weight was assessed; at least "
            f"{policy.min_coverage:.0%} is needed for a go.",
        )
    if confidence < policy.min_confidence:
        yield (
            "confidence",
            "min_confidence",
            f"Confidence is {confidence:.2f}, below the {policy.min_confidence:.2f} a go needs: "
            "the evidence or the benefits case is weak, incomplete or disputed.",
        )
    unsupported = [i.title for i in indicators if i.evidence_missing]
    if unsupported:
        yield (
            "evidence",
            "evidence_required",
            f"Scores without the evidence the pack requires: {', '.join(unsupported)}.",
        )


def _score_reason(
    by_score: Decision, score: float, policy: DecisionPolicy
) -> tuple[str, str, str, float | None, str]:
    if by_score is Decision.GO:
        text = f"The score, {score:g}, clears the go threshold of {policy.go_threshold:g}."
    elif by_score is Decision.CONDITIONAL:
        text = (
            f"The score, {score:g}, is {policy.go_threshold - score:.2f} points short of the go "
            f"threshold of {policy.go_threshold:g}."
        )
    else:
        text = (
            f"The score, {score:g}, is below the conditional threshold of "
            f"{policy.conditional_threshold:g}."
        )
    direction = "for" if by_score is Decision.GO else "against"
    return ("score", "score", direction, points(score - policy.go_threshold), text)


def _reasons(
    failed: list[GateResult],
    waived: list[GateResult],
    by_score: Decision,
    score: float,
    caps: list[tuple[str, str, str]],
    indicators: list[IndicatorResult],
    pack: CriteriaPack,
) -> tuple[Reason, ...]:
    ordered_gates = sorted(failed, key=lambda g: g.severity is not Severity.NO_GO)
    drafts: list[_Draft] = [
        (
            "gate",
            g.id,
            "against",
            None,
            f"Gate '{g.title}' failed ({g.severity.value}): {g.reason}.",
        )
        for g in ordered_gates
    ]
    drafts += [("gate", g.id, "against", None, _waived_reason(g)) for g in waived]
    drafts.append(_score_reason(by_score, score, pack.policy))
    drafts += [(kind, ref, "against", None, text) for kind, ref, text in caps]
    # Indicators argue for or against by how far they sit from the level the
    # pack calls acceptable; one exactly there argues neither way, and an
    # unchanged or not-applicable one is no reason at all.
    scale_max = pack.scale.maximum
    impacts = []
    for ind in indicators:
        if ind.status not in _COUNTED:
            continue
        pct = ind.score_pct or 0.0
        impact = points(ind.overall_weight * (pct - 100 * ind.acceptable_level / scale_max))
        if impact:
            impacts.append((impact, ind))
    impacts.sort(key=lambda pair: (-abs(pair[0]), pair[1].id))
    drafts += [
        (
            "indicator",
            ind.id,
            "for" if impact > 0 else "against",
            impact,
            _indicator_text(ind, pack),
        )
        for impact, ind in impacts
    ]
    return tuple(
        Reason.trusted(rank=rank, kind=kind, ref=ref, direction=direction, impact=impact, text=text)
        for rank, (kind, ref, direction, impact, text) in enumerate(drafts, start=1)
    )


def _indicator_text(ind: IndicatorResult, pack: CriteriaPack) -> str:
    if ind.status is IndicatorStatus.GAP:
        return (
            f"{ind.title}: not assessed, so it counts as {pack.scale.level(0).label} (0) — "
            f"{ind.explanation}"
        )
    text = f"{ind.title}: {ind.level_label} ({ind.score:.3g})"
    # A computed indicator is explained by its facts; the pack's wording for
    # the level it rounds down to can contradict them (40 staff heard, mostly
    # against, is not 'nobody consulted').
    detail = ind.explanation if ind.derived_from else ind.level_description
    if detail:
        text += f" — {detail}"
    return text


def _waived_reason(gate: GateResult) -> str:
    waiver = gate.waiver
    assert waiver is not None
    return (
        f"Gate '{gate.title}' failed ({gate.severity.value}): {gate.reason}; waived until "
        f"{waiver.expires.isoformat()} by waiver {waiver.id} (ticket {waiver.ticket}), so it "
        "holds the decision at conditional instead."
    )


def _waiver_condition(gate: GateResult) -> str:
    waiver = gate.waiver
    assert waiver is not None
    text = (
        f"Waiver {waiver.id} (ticket {waiver.ticket}, owner {waiver.owner}, granted by "
        f"{waiver.granted_by}) accepts that gate '{gate.title}' failed, until the end of "
        f"{waiver.expires.isoformat()} (UTC); then it counts as {gate.severity.value} again."
    )
    if waiver.condition:
        text += f" While it applies: {waiver.condition}"
    return text


def _conditions(
    failed: list[GateResult],
    waived: list[GateResult],
    score: float,
    policy: DecisionPolicy,
    confidence: float,
    coverage: float,
    indicators: list[IndicatorResult],
    gaps: tuple[Gap, ...],
    scale_max: int,
) -> Iterable[Condition]:
    for gate in failed:
        yield Condition.trusted(source=gate.id, text=gate.condition or gate.reason)
    for gate in waived:
        yield Condition.trusted(source=gate.id, text=_waiver_condition(gate))
    if score < policy.go_threshold:
        yield Condition.trusted(
            source="score", text=_improvement_plan(score, policy, indicators, scale_max)
        )
    if coverage < policy.min_coverage:
        titles = {i.id: i.title for i in indicators}
        named = ", ".join(titles[g.indicator] for g in gaps[: NAMED_IN_CONDITION * 2])
        yield Condition.trusted(source="coverage", text=f"Assess what is missing: {named}.")
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
            "Back the weightiest scores, and the benefits case, with pilot or production "
            f"evidence: {', '.join(i.title for i in weakest)}."
        )
        if disputed:
            text += f" Settle where assessors disagree: {', '.join(disputed)}."
        yield Condition.trusted(source="confidence", text=text)
    unsupported = [i.title for i in indicators if i.evidence_missing]
    if unsupported:
        yield Condition.trusted(
            source="evidence", text=f"Cite evidence for: {', '.join(unsupported)}."
        )


def _improvement_plan(
    score: float, policy: DecisionPolicy, indicators: list[IndicatorResult], scale_max: int
) -> str:
    """Fewest indicators whose full marks would lift the score to the go threshold."""
    needed = policy.go_threshold - score
    candidates = sorted(
        (i for i in indicators if i.status in _COUNTED and (i.score_pct or 0) < 100),
        key=lambda i: (-i.overall_weight * (100 - (i.score_pct or 0.0)), i.id),
    )
    chosen, gained = [], 0.0
    for ind in candidates:
        if gained >= needed:
            break
        chosen.append(ind)
        gained += ind.overall_weight * (100 - (ind.score_pct or 0.0))
    named = ", ".join(
        f"{i.title} (now {'not assessed' if i.score is None else f'{i.score:.3g}/{scale_max}'})"
        for i in chosen
    )
    return (
        f"Raise the score from {score:g} to at least {policy.go_threshold:g}. "
        f"The largest gains are in: {named}; full marks there add {gained:.1f} points."
    )
