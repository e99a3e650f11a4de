"""Indicator, criterion and overall scores; coverage; confidence."""

from __future__ import annotations

import math
from dataclasses import dataclass

from techgate.engine.aggregate import Aggregate
from techgate.engine.analyses import Derived
from techgate.engine.numbers import maybe_share, points, share
from techgate.model.criteria import CriteriaPack, Criterion, DerivedMeasure, Indicator
from techgate.model.evaluation import CriterionResult, IndicatorResult, IndicatorStatus

# Facts the proposer states (motive, segments, consultations) are taken at
# their word but not independently checked: as strong as a reference customer.
DERIVED_STRENGTH = 0.6
# Disagreement across the whole scale halves what an indicator lends to confidence.
DISAGREEMENT_PENALTY = 0.5


@dataclass(frozen=True)
class _Value:
    """An indicator's value before weighting."""

    status: IndicatorStatus
    score: float | None = None
    spread: float = 0.0
    strength: float = 0.0
    aggregate: Aggregate | None = None
    explanation: str = ""


@dataclass(frozen=True)
class Scores:
    """Everything the scoring step produced."""

    criteria: tuple[CriterionResult, ...]
    score: float
    coverage: float
    confidence: float


def score_pack(
    pack: CriteriaPack, answers: dict[str, Aggregate], derived: dict[DerivedMeasure, Derived]
) -> Scores:
    scale_max = pack.scale.maximum
    values = {
        ind.id: _value(ind, answers.get(ind.id), derived)
        for crit in pack.criteria
        for ind in crit.indicators
    }
    criterion_scores = {c.id: _criterion_score(c, values, scale_max) for c in pack.criteria}
    scored = [c for c in pack.criteria if criterion_scores[c.id] is not None]
    scored_weight = sum(c.weight for c in scored)
    # Weights become shares before they multiply anything, everywhere: a
    # ratio of weights is exact under scaling, so scaling every weight by the
    # same factor gives a bit-identical record.
    overall = sum((c.weight / scored_weight) * (criterion_scores[c.id] or 0.0) for c in scored)
    criteria = tuple(
        _criterion_result(
            c,
            values,
            pack,
            criterion_scores[c.id],
            c.weight / scored_weight if criterion_scores[c.id] is not None else 0.0,
        )
        for c in pack.criteria
    )
    coverage = _coverage(pack, values)
    return Scores(
        criteria,
        points(overall),
        share(coverage),
        share(_confidence(criteria, values, coverage, scale_max)),
    )


def _is_scored(value: _Value) -> bool:
    return value.status is IndicatorStatus.SCORED


def _value(
    indicator: Indicator, answer: Aggregate | None, derived: dict[DerivedMeasure, Derived]
) -> _Value:
    if indicator.derived is not None:
        fact = derived[indicator.derived]
        if fact.fraction is None:
            status = IndicatorStatus.GAP if fact.applicable else IndicatorStatus.NOT_APPLICABLE
            return _Value(status, explanation=fact.explanation)
        return _Value(
            IndicatorStatus.SCORED,
            score=fact.fraction,
            strength=DERIVED_STRENGTH,
            explanation=fact.explanation,
        )
    if answer is None:
        return _Value(IndicatorStatus.GAP, explanation="no assessor scored it")
    if answer.score is None:
        return _Value(
            IndicatorStatus.NOT_APPLICABLE,
            aggregate=answer,
            explanation="every assessor answered 'n/a'",
        )
    return _Value(
        IndicatorStatus.SCORED,
        score=answer.score,
        spread=answer.spread,
        strength=answer.strength,
        aggregate=answer,
    )


def _fraction(indicator: Indicator, value: _Value, scale_max: int) -> float:
    """Score as a fraction of the top level (derived values already are fractions)."""
    assert value.score is not None
    return value.score if indicator.derived is not None else value.score / scale_max


def _criterion_score(
    criterion: Criterion, values: dict[str, _Value], scale_max: int
) -> float | None:
    """0-100 weighted mean of the scored indicators, or None when none was scored."""
    scored = [i for i in criterion.indicators if _is_scored(values[i.id])]
    weight = sum(i.weight for i in scored)
    if not weight:
        return None
    return 100 * sum((i.weight / weight) * _fraction(i, values[i.id], scale_max) for i in scored)


def _criterion_result(
    criterion: Criterion,
    values: dict[str, _Value],
    pack: CriteriaPack,
    score: float | None,
    weight_share: float,
) -> CriterionResult:
    scored = [i for i in criterion.indicators if _is_scored(values[i.id])]
    applicable = [
        i for i in criterion.indicators if values[i.id].status is not IndicatorStatus.NOT_APPLICABLE
    ]
    scored_weight = sum(i.weight for i in scored)
    indicators = tuple(
        _indicator_result(
            i,
            values[i.id],
            pack,
            weight_share * (i.weight / scored_weight) if _is_scored(values[i.id]) else 0.0,
        )
        for i in criterion.indicators
    )
    applicable_weight = sum(i.weight for i in applicable)
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        weight=criterion.weight,
        weight_share=share(weight_share),
        score=None if score is None else points(score),
        contribution=points(weight_share * score) if score is not None else 0.0,
        coverage=share(scored_weight / applicable_weight) if applicable_weight else 1.0,
        indicators=indicators,
    )


def _indicator_result(
    indicator: Indicator, value: _Value, pack: CriteriaPack, overall_weight: float
) -> IndicatorResult:
    scale_max = pack.scale.maximum
    scored = _is_scored(value)
    scale_score = (_fraction(indicator, value, scale_max) * scale_max) if scored else None
    level = min(math.floor(scale_score + 1e-9), scale_max) if scale_score is not None else None
    answers = value.aggregate.answers if value.aggregate else ()
    cited = any(a.evidence for a in answers if a.score is not None)
    return IndicatorResult(
        id=indicator.id,
        title=indicator.title,
        status=value.status,
        derived_from=indicator.derived.value if indicator.derived else None,
        score=maybe_share(scale_score),
        score_pct=points(100 * scale_score / scale_max) if scale_score is not None else None,
        level=level,
        level_label=pack.scale.level(level).label if level is not None else None,
        level_description=indicator.levels.get(level) if level is not None else None,
        weight=indicator.weight,
        overall_weight=share(overall_weight),
        contribution=points(100 * overall_weight * scale_score / scale_max)
        if scale_score is not None
        else 0.0,
        spread=value.spread if scored and indicator.derived is None else None,
        disagreement=scored and value.spread >= pack.policy.disagreement_spread,
        evidence_strength=share(value.strength),
        evidence_kind=value.aggregate.strongest if value.aggregate else None,
        evidence_missing=scored
        and indicator.evidence_required
        and indicator.derived is None
        and not cited,
        explanation=value.explanation,
        assessors=answers,
    )


def _coverage(pack: CriteriaPack, values: dict[str, _Value]) -> float:
    """Share of applicable weight that was scored, criterion weights applied."""
    shares: list[tuple[float, float]] = []
    for criterion in pack.criteria:
        applicable = [
            i
            for i in criterion.indicators
            if values[i.id].status is not IndicatorStatus.NOT_APPLICABLE
        ]
        weight = sum(i.weight for i in applicable)
        if weight:
            scored = sum(i.weight for i in applicable if _is_scored(values[i.id]))
            shares.append((criterion.weight, scored / weight))
    total = sum(weight for weight, _ in shares)
    return sum((weight / total) * covered for weight, covered in shares) if total else 0.0


def _confidence(
    criteria: tuple[CriterionResult, ...],
    values: dict[str, _Value],
    coverage: float,
    scale_max: int,
) -> float:
    """coverage x the weighted mean, over scored indicators, of strength x agreement."""
    support = sum(
        ind.overall_weight
        * values[ind.id].strength
        * (1 - DISAGREEMENT_PENALTY * values[ind.id].spread / scale_max)
        for crit in criteria
        for ind in crit.indicators
        if ind.status is IndicatorStatus.SCORED
    )
    return coverage * support
