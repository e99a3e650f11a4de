"""Indicator, criterion and overall scores; coverage; confidence.

An indicator is *scored* (a level, or a fraction computed from facts),
*unchanged* (the technology leaves it as it is: covered, but out of the
score), *not applicable* (out of everything), or a *gap*. A gap keeps its
weight and counts at level 0, the level that means nothing shows the
quality is there: an unanswered question can never score better than the
worst honest answer to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from techgate.engine.aggregate import Aggregate
from techgate.engine.analyses import Derived
from techgate.engine.numbers import maybe_share, points, share
from techgate.model.criteria import CriteriaPack, Criterion, DerivedMeasure, Indicator
from techgate.model.evaluation import CriterionResult, IndicatorResult, IndicatorStatus
from techgate.model.proposal import Category, Trait

# Facts the proposer states (motive, segments, consultations) are taken at
# their word but not independently checked: as strong as a reference customer.
DERIVED_STRENGTH = 0.6
# Disagreement across the whole scale halves what an indicator lends to confidence.
DISAGREEMENT_PENALTY = 0.5

_SCORED, _GAP = IndicatorStatus.SCORED, IndicatorStatus.GAP
_UNCHANGED, _NOT_APPLICABLE = IndicatorStatus.UNCHANGED, IndicatorStatus.NOT_APPLICABLE
# Statuses that carry weight in the score (a gap at zero) and in coverage.
_COUNTED = (_SCORED, _GAP)
_COVERED = (_SCORED, _UNCHANGED)


@dataclass(frozen=True)
class _Value:
    """An indicator's value before weighting."""

    status: IndicatorStatus
    fraction: float = 0.0  # of the top level; 0 for a gap
    weight: float = 0.0  # inside its criterion, after trait weights
    spread: float = 0.0
    strength: float = 0.0
    aggregate: Aggregate | None = None
    explanation: str = ""


@dataclass(frozen=True)
class Raw:
    """Unrounded figures, so the margin can work out what one change would do."""

    score: float
    confidence: float
    coverage: float
    support_weight: float  # sum of overall weights of scored indicators
    overall_weight: dict[str, float]  # indicator id -> share of the overall score
    within: dict[str, float]  # indicator id -> share inside its criterion
    fraction: dict[str, float]  # indicator id -> fraction of the top level (gap: 0)
    criterion_of: dict[str, str]
    criterion_score: dict[str, float | None]


@dataclass(frozen=True)
class Scores:
    """Everything the scoring step produced."""

    criteria: tuple[CriterionResult, ...]
    score: float
    coverage: float
    confidence: float
    raw: Raw


def indicator_weight(indicator: Indicator, traits: frozenset[Trait]) -> float:
    """The indicator's weight for a proposal with these traits."""
    chosen = [w for t, w in indicator.trait_weights.items() if t in traits]
    return max(chosen) if chosen else indicator.weight


def score_pack(
    pack: CriteriaPack,
    category: Category,
    traits: frozenset[Trait],
    answers: dict[str, Aggregate],
    derived: dict[DerivedMeasure, Derived],
    benefits_support: float,
) -> Scores:
    values = {
        ind.id: _value(ind, answers.get(ind.id), derived, category, traits, pack.scale.maximum)
        for crit in pack.criteria
        for ind in crit.indicators
    }
    criterion_scores = {c.id: _criterion_score(c, values) for c in pack.criteria}
    counted = [c for c in pack.criteria if criterion_scores[c.id] is not None]
    counted_weight = sum(c.weight for c in counted)
    # Weights become shares before they multiply anything, everywhere: a
    # ratio of weights is exact under scaling, so scaling every weight by the
    # same factor gives a bit-identical record.
    shares = {
        c.id: (c.weight / counted_weight if criterion_scores[c.id] is not None else 0.0)
        for c in pack.criteria
    }
    overall = sum(shares[c.id] * (criterion_scores[c.id] or 0.0) for c in counted)
    criteria = tuple(
        _criterion_result(c, values, pack, criterion_scores[c.id], shares[c.id])
        for c in pack.criteria
    )
    coverage = _coverage(pack, values)
    within: dict[str, float] = {}
    for criterion in pack.criteria:
        weight = sum(
            values[i.id].weight for i in criterion.indicators if values[i.id].status in _COUNTED
        )
        for i in criterion.indicators:
            if values[i.id].status in _COUNTED:
                within[i.id] = values[i.id].weight / weight
    overall_weights = {
        i.id: shares[c.id] * within[i.id]
        for c in pack.criteria
        for i in c.indicators
        if i.id in within
    }
    support_weight, support = _support(values, overall_weights, pack.scale.maximum)
    weight = pack.policy.benefits_weight
    confidence = coverage * ((1 - weight) * support + weight * benefits_support)
    raw = Raw(
        score=overall,
        confidence=confidence,
        coverage=coverage,
        support_weight=support_weight,
        overall_weight=overall_weights,
        within=within,
        fraction={key: value.fraction for key, value in values.items()},
        criterion_of={i.id: c.id for c in pack.criteria for i in c.indicators},
        criterion_score=criterion_scores,
    )
    return Scores(criteria, points(overall), share(coverage), share(confidence), raw)


def _value(
    indicator: Indicator,
    answer: Aggregate | None,
    derived: dict[DerivedMeasure, Derived],
    category: Category,
    traits: frozenset[Trait],
    scale_max: int,
) -> _Value:
    weight = indicator_weight(indicator, traits)
    if indicator.applies_to is not None and not indicator.applies_to.matches(category, traits):
        return _Value(
            _NOT_APPLICABLE,
            aggregate=answer,
            explanation=f"applies only to {indicator.applies_to.describe()}",
        )
    if indicator.derived is not None:
        fact = derived[indicator.derived]
        if fact.fraction is None:
            if not fact.applicable:
                return _Value(_NOT_APPLICABLE, explanation=fact.explanation)
            return _Value(_GAP, weight=weight, explanation=f"{fact.explanation}; counts as level 0")
        return _Value(
            _SCORED,
            fraction=fact.fraction,
            weight=weight,
            strength=DERIVED_STRENGTH,
            explanation=fact.explanation,
        )
    if answer is None:
        return _Value(_GAP, weight=weight, explanation="no assessor scored it; counts as level 0")
    if answer.score is None:
        if answer.unchanged:
            return _Value(
                _UNCHANGED,
                weight=weight,
                aggregate=answer,
                explanation="the assessors say the technology leaves it as it is",
            )
        return _Value(
            _NOT_APPLICABLE, aggregate=answer, explanation="every assessor answered 'n/a'"
        )
    return _Value(
        _SCORED,
        fraction=answer.score / scale_max,
        weight=weight,
        spread=answer.spread,
        strength=answer.strength,
        aggregate=answer,
    )


def _criterion_score(criterion: Criterion, values: dict[str, _Value]) -> float | None:
    """0-100 weighted mean of scored indicators and gaps (at zero); None when neither exists."""
    counted = [values[i.id] for i in criterion.indicators if values[i.id].status in _COUNTED]
    weight = sum(v.weight for v in counted)
    if not weight:
        return None
    return 100 * sum((v.weight / weight) * v.fraction for v in counted)


def _criterion_result(
    criterion: Criterion,
    values: dict[str, _Value],
    pack: CriteriaPack,
    score: float | None,
    weight_share: float,
) -> CriterionResult:
    counted_weight = sum(
        values[i.id].weight for i in criterion.indicators if values[i.id].status in _COUNTED
    )
    indicators = tuple(
        _indicator_result(
            i,
            values[i.id],
            pack,
            weight_share * (values[i.id].weight / counted_weight)
            if values[i.id].status in _COUNTED
            else 0.0,
        )
        for i in criterion.indicators
    )
    applicable = sum(
        values[i.id].weight
        for i in criterion.indicators
        if values[i.id].status is not _NOT_APPLICABLE
    )
    covered = sum(
        values[i.id].weight for i in criterion.indicators if values[i.id].status in _COVERED
    )
    return CriterionResult(
        id=criterion.id,
        title=criterion.title,
        weight=criterion.weight,
        weight_share=share(weight_share),
        score=None if score is None else points(score),
        contribution=points(weight_share * score) if score is not None else 0.0,
        coverage=share(covered / applicable) if applicable else 1.0,
        indicators=indicators,
    )


def _indicator_result(
    indicator: Indicator, value: _Value, pack: CriteriaPack, overall_weight: float
) -> IndicatorResult:
    scale_max = pack.scale.maximum
    scored = value.status is _SCORED
    scale_score = value.fraction * scale_max if scored else None
    level = min(math.floor(scale_score + 1e-9), scale_max) if scale_score is not None else None
    answers = value.aggregate.answers if value.aggregate else ()
    cited = any(a.evidence for a in answers if a.score is not None)
    return IndicatorResult(
        id=indicator.id,
        title=indicator.title,
        status=value.status,
        derived_from=indicator.derived.value if indicator.derived else None,
        score=maybe_share(scale_score),
        score_pct=points(100 * value.fraction) if scored else None,
        level=level,
        level_label=pack.scale.level(level).label if level is not None else None,
        level_description=indicator.levels.get(level) if level is not None else None,
        weight=value.weight or indicator.weight,
        overall_weight=share(overall_weight),
        acceptable_level=acceptable_level(indicator, pack),
        contribution=points(100 * overall_weight * value.fraction) if scored else 0.0,
        spread=value.spread if scored and indicator.derived is None else None,
        disagreement=scored and value.spread >= pack.policy.disagreement_spread,
        evidence_strength=share(value.strength),
        evidence_kind=value.aggregate.strongest if value.aggregate else None,
        # An unassessed indicator that needs evidence has none: omission must
        # not escape the evidence rule that an honest answer would meet.
        evidence_missing=value.status in _COUNTED
        and indicator.evidence_required
        and indicator.derived is None
        and not cited,
        explanation=value.explanation,
        assessors=answers,
    )


def acceptable_level(indicator: Indicator, pack: CriteriaPack) -> int:
    level = indicator.acceptable_level
    return pack.acceptable_level if level is None else level


def _coverage(pack: CriteriaPack, values: dict[str, _Value]) -> float:
    """Share of applicable weight that was scored or found unchanged, criterion weights applied."""
    shares: list[tuple[float, float]] = []
    for criterion in pack.criteria:
        weighed = [values[i.id] for i in criterion.indicators]
        applicable = sum(v.weight for v in weighed if v.status is not _NOT_APPLICABLE)
        if applicable:
            covered = sum(v.weight for v in weighed if v.status in _COVERED)
            shares.append((criterion.weight, covered / applicable))
    total = sum(weight for weight, _ in shares)
    return sum((weight / total) * covered for weight, covered in shares) if total else 0.0


def _support(
    values: dict[str, _Value], overall_weights: dict[str, float], scale_max: int
) -> tuple[float, float]:
    """(weight, weighted mean) over scored indicators of evidence strength x agreement."""
    weight = support = 0.0
    for key, value in values.items():
        if value.status is _SCORED:
            agreement = 1 - DISAGREEMENT_PENALTY * value.spread / scale_max
            weight += overall_weights[key]
            support += overall_weights[key] * value.strength * agreement
    return weight, (support / weight if weight else 0.0)


def agreement_loss(spread: float, scale_max: int) -> float:
    """What a spread takes off an indicator's agreement."""
    return DISAGREEMENT_PENALTY * spread / scale_max
