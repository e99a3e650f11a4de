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

from techgate.engine.aggregate import median_of, spread_of
from techgate.engine.decide import combine, held_severities
from techgate.engine.numbers import points
from techgate.engine.scoring import Raw, agreement_loss
from techgate.engine.table import pack_table
from techgate.model.criteria import (
    Aggregation,
    CriteriaPack,
    MinCriterionScoreGate,
    MinIndicatorScoreGate,
    Severity,
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


_RANKS = (Decision.GO, Decision.CONDITIONAL, Decision.NO_GO)
# Gates whose verdict one indicator's level can change.
_FloorGate = MinIndicatorScoreGate | MinCriterionScoreGate


@dataclass(frozen=True)
class MarginState:
    pack: CriteriaPack
    raw: Raw
    gates: tuple[GateResult, ...]
    caps: tuple[str, ...]
    decision: Decision
    # Per indicator: the gates its level can change, and the worst rank of
    # the failed gates it cannot, worked out once instead of per change.
    dependent: dict[str, list[tuple[_FloorGate, GateResult]]]
    fixed_rank: dict[str, int]


def margin_state(
    pack: CriteriaPack,
    raw: Raw,
    gates: tuple[GateResult, ...],
    caps: tuple[str, ...],
    decision: Decision,
) -> MarginState:
    pairs = list(zip(pack.gates, gates, strict=True))
    dependent: dict[str, list[tuple[_FloorGate, GateResult]]] = {key: [] for key in raw.fraction}
    for index, keys in pack_table(pack).floor_gates:
        gate, result = pairs[index]
        if result.status is GateStatus.NOT_APPLICABLE:
            continue  # applicability comes from traits and categories, not from levels
        for key in keys:
            dependent[key].append((gate, result))  # type: ignore[arg-type]
    touched: dict[int, set[str]] = {}
    for key, deps in dependent.items():
        for gate, _ in deps:
            touched.setdefault(id(gate), set()).add(key)
    failed = [
        (_held_rank(r), touched.get(id(g), set()))
        for g, r in pairs
        if r.status in (GateStatus.FAILED, GateStatus.WAIVED)
    ]
    # Most indicators touch no failed gate: they share the worst rank of all.
    worst = max((rank for rank, _ in failed), default=0)
    fixed_rank = dict.fromkeys(dependent, worst)
    for key in {key for _, keys in failed for key in keys}:
        fixed_rank[key] = max((rank for rank, keys in failed if key not in keys), default=0)
    return MarginState(pack, raw, gates, caps, decision, dependent, fixed_rank)


def _band(score: float, go: float, conditional: float) -> int:
    """The rank the score alone gives: 0 go, 1 conditional, 2 no-go."""
    return 0 if score >= go else 1 if score >= conditional else 2


_SEVERITY_RANK = {Severity.NO_GO: 2, Severity.CONDITIONAL: 1}


def _held_rank(result: GateResult) -> int:
    """The rank a failing gate holds the decision at: a waived one, conditional at most."""
    return 1 if result.status is GateStatus.WAIVED else _SEVERITY_RANK[result.severity]


def decision_margin(
    pack: CriteriaPack,
    raw: Raw,
    indicators: dict[str, IndicatorResult],
    gates: tuple[GateResult, ...],
    caps: tuple[str, ...],
    decision: Decision,
    by_score: Decision,
) -> Margin:
    state = margin_state(pack, raw, gates, caps, decision)
    better: list[tuple[float, Flip]] = []
    worse: list[tuple[float, Flip]] = []
    step = 1 / pack.scale.maximum
    policy = pack.policy
    go, conditional = policy.go_threshold, policy.conditional_threshold
    band = _band(points(raw.score), go, conditional)
    for key, ind in indicators.items():
        if ind.status is not IndicatorStatus.SCORED or state.fixed_rank[key] == 2:
            continue  # not scored, or held at no-go by gates this level cannot touch
        fraction = raw.fraction[key]
        weight = raw.overall_weight[key]
        level_matters = _level_can_matter(state, key, weight)
        if (
            ind.derived_from is None
            # A moderated level is the panel's: one assessor's answer no longer moves it.
            and ind.moderation is None
            and sum(a.score is not None for a in ind.assessors) > 1
            and _answer_can_matter(state, key, ind, weight, level_matters)
        ):
            # One assessor's answer moves the spread, and so confidence, even
            # where it leaves the combined answer where it is.
            _assessor_flips(state, ind, better, worse)
        if not level_matters:
            continue
        for delta in (step, -step):
            moved = min(max(fraction + delta, 0.0), 1.0)
            if moved == fraction:
                continue
            # The common case, worked out inline: no gate depends on this
            # indicator, so only a move across a score threshold can matter.
            if not state.dependent[key]:
                score = raw.score + weight * (moved - fraction) * 100
                if min(abs(score - go), abs(score - conditional)) < 0.01:
                    score = points(score)  # near a threshold the rounding decides
                if _band(score, go, conditional) == band:
                    continue
            outcome = decision_with(state, key, moved - fraction, 0.0)
            if outcome is decision:
                continue
            level = round(moved * pack.scale.maximum, 2)
            flip = Flip.trusted(
                kind="indicator",
                ref=key,
                change=f"{ind.title} one level {'up' if delta > 0 else 'down'} "
                f"({ind.score:g} to {level:g})",
                to=outcome,
            )
            (better if outcome.rank < decision.rank else worse).append((-weight, flip))
    for gate in gates:
        if gate.status in (GateStatus.FAILED, GateStatus.WAIVED):
            others = held_severities(g for g in gates if g is not gate)
            outcome = combine(by_score, others, bool(caps))
            if outcome is not decision:
                flip = Flip.trusted(
                    kind="gate", ref=gate.id, change=f"gate '{gate.title}' passes", to=outcome
                )
                better.append((0.0, flip))
    if caps:
        outcome = combine(by_score, held_severities(gates), False)
        if outcome is not decision:
            better.append(
                (
                    0.0,
                    Flip.trusted(
                        kind="cap", ref=",".join(caps), change="the policy caps lift", to=outcome
                    ),
                )
            )
    better.sort(key=lambda pair: (pair[1].to.rank, pair[0], pair[1].kind, pair[1].ref))
    worse.sort(key=lambda pair: (-pair[1].to.rank, pair[0], pair[1].kind, pair[1].ref))
    flips = tuple(f for _, f in better[:LISTED_FLIPS]) + tuple(f for _, f in worse[:LISTED_FLIPS])
    knife_edge = any(f.kind == "indicator" for _, f in better + worse)
    return Margin.trusted(
        knife_edge=knife_edge,
        score_above=_above(raw.score, pack, by_score),
        score_below=_below(raw.score, pack, by_score),
        binding=_binding(state, by_score),
        flips=flips,
        summary=_summary(knife_edge, flips, raw.score, pack, by_score),
    )


def decision_with(state: MarginState, key: str, delta: float, confidence_delta: float) -> Decision:
    """The decision if one indicator's fraction moved by delta (and confidence by its delta)."""
    pack, raw = state.pack, state.raw
    rank = state.fixed_rank[key]
    if rank == 2:  # a no-go this indicator's level cannot touch
        return Decision.NO_GO
    policy = pack.policy
    score = points(raw.score + raw.overall_weight[key] * delta * 100)
    if score < policy.conditional_threshold:
        return Decision.NO_GO
    rank = max(rank, 0 if score >= policy.go_threshold else 1)
    for gate, result in state.dependent[key]:
        if isinstance(gate, MinIndicatorScoreGate):
            level = round((raw.fraction[key] + delta) * pack.scale.maximum, 4)
            failed = level < gate.min_score
        else:
            before = raw.criterion_score[raw.criterion_of[key]] or 0.0
            failed = points(before + raw.within[key] * delta * 100) < gate.min_score
        if failed:
            if result.status is GateStatus.WAIVED:
                rank = max(rank, 1)  # still failing, still waived
            else:
                severity = result.severity if result.status is GateStatus.FAILED else gate.severity
                rank = max(rank, _SEVERITY_RANK[severity])
    capped = bool(state.caps)
    if confidence_delta:
        others = set(state.caps) - {"min_confidence"}
        confidence = round(raw.confidence + confidence_delta, 4)
        capped = bool(others) or confidence < policy.min_confidence
    if capped:
        rank = max(rank, 1)
    return _RANKS[rank]


def _level_can_matter(state: MarginState, key: str, weight: float) -> bool:
    """Whether one level either way on this indicator could reach a threshold or a floor.

    Most indicators sit far from every line one level can cross; for them
    no move of their own, and no single assessor's answer through them (it
    moves the combined answer by a level at most), changes the score's band
    or a floor gate, so the decision stays as it is.
    """
    raw, policy, top = state.raw, state.pack.policy, state.pack.scale.maximum
    shift = weight * 100 / top + 0.01
    if (
        min(abs(raw.score - policy.go_threshold), abs(raw.score - policy.conditional_threshold))
        <= shift
    ):
        return True
    for gate, result in state.dependent[key]:
        if result.missing_facts:
            return True  # its verdict does not rest on the levels alone
        if isinstance(gate, MinIndicatorScoreGate):
            if abs(raw.fraction[key] * top - gate.min_score) <= 1 + 1e-6:
                return True
        else:
            before = raw.criterion_score[raw.criterion_of[key]] or 0.0
            if abs(before - gate.min_score) <= raw.within[key] * 100 / top + 0.01:
                return True
    return False


def _answer_can_matter(
    state: MarginState, key: str, ind: IndicatorResult, weight: float, level_matters: bool
) -> bool:
    """Whether one assessor's answer, one level either way, could move the decision at all.

    Such a move shifts the combined answer and the spread by a level at most;
    if neither the score, a floor gate nor confidence can reach a threshold
    that way, no single answer can flip the decision.
    """
    if level_matters:
        return True
    pack, raw = state.pack, state.raw
    policy, top = pack.policy, pack.scale.maximum
    if not raw.support_weight:
        return False
    reach = (
        raw.coverage
        * (1 - policy.benefits_weight)
        * weight
        * ind.evidence_strength
        * agreement_loss(1, top)
        / raw.support_weight
    )
    return abs(raw.confidence - policy.min_confidence) <= reach + 1e-4


def _assessor_flips(
    state: MarginState,
    ind: IndicatorResult,
    better: list[tuple[float, Flip]],
    worse: list[tuple[float, Flip]],
) -> None:
    """Flips from one assessor's answer moving one level, where that moves the combined one."""
    pack, raw = state.pack, state.raw
    top = pack.scale.maximum
    policy = pack.policy
    scored = [a for a in ind.assessors if a.score is not None]
    numbers: list[int] = [a.score for a in scored]  # type: ignore[misc]
    combine_fn = median_of if policy.aggregation is Aggregation.MEDIAN else statistics.fmean
    before = combine_fn(numbers)
    spread_before = spread_of(numbers)
    weight = raw.overall_weight[ind.id]
    # Confidence: this indicator's agreement changes with the spread; the
    # terms multiply in the order scoring uses, so ties round alike.
    factor = raw.coverage * (1 - policy.benefits_weight) * weight * ind.evidence_strength
    for step in (1, -1):
        for position, answer in enumerate(scored):
            moved = numbers[position] + step
            if not 0 <= moved <= top:
                continue
            changed = [*numbers[:position], moved, *numbers[position + 1 :]]
            after = combine_fn(changed)
            spread_after = spread_of(changed)
            if after == before and spread_after == spread_before:
                continue  # neither the combined answer nor the spread moves
            loss = agreement_loss(spread_after, top) - agreement_loss(spread_before, top)
            confidence_delta = -(factor * loss) / raw.support_weight if raw.support_weight else 0.0
            outcome = decision_with(state, ind.id, (after - before) / top, confidence_delta)
            if outcome is state.decision:
                continue
            flip = Flip.trusted(
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


def _binding(state: MarginState, by_score: Decision) -> tuple[str, ...]:
    decision = state.decision
    binding = [
        g.id
        for g in state.gates
        if g.status in (GateStatus.FAILED, GateStatus.WAIVED) and _RANKS[_held_rank(g)] is decision
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
