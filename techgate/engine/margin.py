"""How far a decision is from flipping, and the smallest changes that flip it.

Worked out arithmetically from the unrounded figures of one evaluation, not
by running the engine again: one level on one indicator moves the score by
its overall weight times one step of the scale, moves its criterion by its
share inside the criterion, and leaves coverage and evidence as they are.
One assessor's answer also moves the spread, and so confidence.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from techgate.engine.decide import combine, score_decision
from techgate.engine.numbers import points
from techgate.engine.scoring import Raw, agreement_loss
from techgate.model.criteria import (
    Aggregation,
    CriteriaPack,
    MinCriterionScoreGate,
    MinIndicatorScoreGate,
)
from techgate.model.evaluation import (
    Decision,
    Flip,
    GateResult,
    GateStatus,
    IndicatorResult,
    IndicatorStatus,
    Margin,
)

# How many flips a record lists in each direction.
LISTED_FLIPS = 4


@dataclass(frozen=True)
class _State:
    pack: CriteriaPack
    raw: Raw
    gates: tuple[GateResult, ...]
    caps: tuple[str, ...]
    decision: Decision


def decision_margin(
    pack: CriteriaPack,
    raw: Raw,
    indicators: dict[str, IndicatorResult],
    gates: tuple[GateResult, ...],
    caps: tuple[str, ...],
    decision: Decision,
    by_score: Decision,
) -> Margin:
    state = _State(pack, raw, gates, caps, decision)
    better: list[tuple[float, Flip]] = []
    worse: list[tuple[float, Flip]] = []
    step = 1 / pack.scale.maximum
    for key, ind in indicators.items():
        if ind.status is not IndicatorStatus.SCORED:
            continue
        fraction = raw.fraction[key]
        weight = raw.overall_weight[key]
        for delta in (step, -step):
            moved = min(max(fraction + delta, 0.0), 1.0)
            if moved == fraction:
                continue
            outcome = _decision_with(state, key, moved - fraction, 0.0)
            if outcome is decision:
                continue
            level = round(moved * pack.scale.maximum, 2)
            flip = Flip(
                kind="indicator",
                ref=key,
                change=f"{ind.title} one level {'up' if delta > 0 else 'down'} "
                f"({ind.score:g} to {level:g})",
                to=outcome,
            )
            (better if outcome.rank < decision.rank else worse).append((-weight, flip))
            if ind.derived_from is None and len(ind.assessors) > 1:
                _assessor_flips(state, ind, delta > 0, better, worse)
    for gate in gates:
        if gate.status is GateStatus.FAILED:
            others = [g.severity for g in gates if g.status is GateStatus.FAILED and g is not gate]
            outcome = combine(by_score, others, bool(caps))
            if outcome is not decision:
                flip = Flip(
                    kind="gate", ref=gate.id, change=f"gate '{gate.title}' passes", to=outcome
                )
                better.append((0.0, flip))
    if caps:
        failed = [g.severity for g in gates if g.status is GateStatus.FAILED]
        outcome = combine(by_score, failed, False)
        if outcome is not decision:
            better.append(
                (
                    0.0,
                    Flip(kind="cap", ref=",".join(caps), change="the policy caps lift", to=outcome),
                )
            )
    better.sort(key=lambda pair: (pair[1].to.rank, pair[0], pair[1].kind, pair[1].ref))
    worse.sort(key=lambda pair: (-pair[1].to.rank, pair[0], pair[1].kind, pair[1].ref))
    flips = tuple(f for _, f in better[:LISTED_FLIPS]) + tuple(f for _, f in worse[:LISTED_FLIPS])
    knife_edge = any(f.kind == "indicator" for _, f in better + worse)
    return Margin(
        knife_edge=knife_edge,
        score_above=_above(raw.score, pack, by_score),
        score_below=_below(raw.score, pack, by_score),
        binding=_binding(state, by_score),
        flips=flips,
        summary=_summary(knife_edge, flips, raw.score, pack, by_score),
    )


def _decision_with(state: _State, key: str, delta: float, confidence_delta: float) -> Decision:
    """The decision if one indicator's fraction moved by delta (and confidence by its delta)."""
    pack, raw = state.pack, state.raw
    score = points(raw.score + raw.overall_weight[key] * delta * 100)
    criterion = raw.criterion_of[key]
    severities = []
    for gate, result in zip(pack.gates, state.gates, strict=True):
        status = result.status
        if isinstance(gate, MinIndicatorScoreGate) and gate.indicator == key:
            fraction = raw.fraction[key] + delta
            status = (
                GateStatus.PASSED
                if round(fraction * pack.scale.maximum, 4) >= gate.min_score
                else GateStatus.FAILED
            )
        elif isinstance(gate, MinCriterionScoreGate) and gate.criterion == criterion:
            before = raw.criterion_score[criterion] or 0.0
            after = points(before + raw.within[key] * delta * 100)
            status = GateStatus.PASSED if after >= gate.min_score else GateStatus.FAILED
        if status is GateStatus.FAILED:
            severities.append(
                result.severity if result.status is GateStatus.FAILED else gate.severity
            )
    caps = set(state.caps)
    if confidence_delta:
        confidence = round(raw.confidence + confidence_delta, 4)
        caps.discard("min_confidence")
        if confidence < pack.policy.min_confidence:
            caps.add("min_confidence")
    return combine(score_decision(score, pack.policy), severities, bool(caps))


def _assessor_flips(
    state: _State,
    ind: IndicatorResult,
    up: bool,
    better: list[tuple[float, Flip]],
    worse: list[tuple[float, Flip]],
) -> None:
    """Flips from one assessor's answer moving one level, where that moves the combined one."""
    pack, raw = state.pack, state.raw
    top = pack.scale.maximum
    numbers = [a.score for a in ind.assessors if a.score is not None]
    combine_fn = (
        statistics.median if pack.policy.aggregation is Aggregation.MEDIAN else statistics.fmean
    )
    before = combine_fn(numbers)
    spread_before = max(numbers) - min(numbers)
    for position, answer in enumerate(a for a in ind.assessors if a.score is not None):
        assert answer.score is not None
        moved = answer.score + (1 if up else -1)
        if not 0 <= moved <= top:
            continue
        changed = [*numbers[:position], moved, *numbers[position + 1 :]]
        after = combine_fn(changed)
        if after == before:
            continue
        spread_after = max(changed) - min(changed)
        weight = raw.overall_weight[ind.id]
        # Confidence: this indicator's agreement changes with the spread.
        loss = agreement_loss(spread_after, top) - agreement_loss(spread_before, top)
        coverage = raw.coverage
        benefits_weight = pack.policy.benefits_weight
        confidence_delta = (
            -coverage
            * (1 - benefits_weight)
            * weight
            * ind.evidence_strength
            * loss
            / raw.support_weight
            if raw.support_weight
            else 0.0
        )
        outcome = _decision_with(state, ind.id, (after - before) / top, confidence_delta)
        if outcome is state.decision:
            continue
        flip = Flip(
            kind="assessor",
            ref=answer.assessor,
            change=f"{answer.assessor}'s answer on {ind.title} from {answer.score} to {moved}",
            to=outcome,
        )
        (better if outcome.rank < state.decision.rank else worse).append((-weight, flip))


def _above(score: float, pack: CriteriaPack, by_score: Decision) -> float | None:
    policy = pack.policy
    if by_score is Decision.GO:
        return points(score - policy.go_threshold)
    if by_score is Decision.CONDITIONAL:
        return points(score - policy.conditional_threshold)
    return None


def _below(score: float, pack: CriteriaPack, by_score: Decision) -> float | None:
    policy = pack.policy
    if by_score is Decision.NO_GO:
        return points(policy.conditional_threshold - score)
    if by_score is Decision.CONDITIONAL:
        return points(policy.go_threshold - score)
    return None


def _binding(state: _State, by_score: Decision) -> tuple[str, ...]:
    decision = state.decision
    binding = [
        g.id
        for g in state.gates
        if g.status is GateStatus.FAILED and Decision(g.severity.value) is decision
    ]
    if by_score is decision:
        binding.append("score")
    if decision is Decision.CONDITIONAL:
        binding += state.caps
    return tuple(binding)


def _summary(
    knife_edge: bool, flips: tuple[Flip, ...], score: float, pack: CriteriaPack, by_score: Decision
) -> str:
    above = _above(score, pack, by_score)
    text = ""
    first = next((f for f in flips if f.kind in ("indicator", "assessor")), None)
    if knife_edge and first is not None:
        text = f"Knife-edge: {first.change} would make it {first.to.value}."
    elif flips:
        text = f"Nearest change: {flips[0].change} would make it {flips[0].to.value}."
    else:
        text = "No single level, answer or gate changes the decision."
    if above is not None:
        text += f" The score is {above:g} points above the threshold below it."
    return text
