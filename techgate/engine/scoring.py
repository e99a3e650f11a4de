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
from typing import NamedTuple

from techgate.engine.aggregate import Aggregate
from techgate.engine.analyses import Derived
from techgate.engine.numbers import SCORE_DIGITS, SHARE_DIGITS, points, share
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


class _Value(NamedTuple):
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


class _Tally(NamedTuple):
    """One criterion's weights by status, and its score."""

    counted: float  # scored and gaps: what the score is taken over
    applicable: float
    covered: float  # scored and unchanged
    score: float | None


def _tally(criterion: Criterion, values: dict[str, _Value]) -> _Tally:
    counted = applicable = covered = 0.0
    for indicator in criterion.indicators:
        value = values[indicator.id]
        status = value.status
        if status is _NOT_APPLICABLE:
            continue
        applicable += value.weight
        if status is _SCORED or status is _GAP:
            counted += value.weight
        if status is _SCORED or status is _UNCHANGED:
            covered += value.weight
    score = None
    if counted:
        # Weights become shares before they multiply anything, everywhere: a
        # ratio of weights is exact under scaling, so scaling every weight by
        # the same factor gives a bit-identical record.
        score = 100 * sum(
            (values[i.id].weight / counted) * values[i.id].fraction
            for i in criterion.indicators
            if values[i.id].status in _COUNTED
        )
    return _Tally(counted, applicable, covered, score)


def score_pack(
    pack: CriteriaPack,
    category: Category,
    traits: frozenset[Trait],
    answers: dict[str, Aggregate],
    derived: dict[DerivedMeasure, Derived],
    benefits_support: float,
) -> Scores:
    top = pack.scale.maximum
    values = {
        ind.id: _value(ind, answers.get(ind.id), derived, category, traits, top)
        for crit in pack.criteria
        for ind in crit.indicators
    }
    tallies = {c.id: _tally(c, values) for c in pack.criteria}
    counted_weight = sum(c.weight for c in pack.criteria if tallies[c.id].score is not None)
    shares = {
        c.id: (c.weight / counted_weight if tallies[c.id].score is not None else 0.0)
        for c in pack.criteria
    }
    overall = sum(shares[key] * (tally.score or 0.0) for key, tally in tallies.items())
    within: dict[str, float] = {}
    overall_weights: dict[str, float] = {}
    criterion_of: dict[str, str] = {}
    for criterion in pack.criteria:
        counted = tallies[criterion.id].counted
        for i in criterion.indicators:
            criterion_of[i.id] = criterion.id
            if values[i.id].status in _COUNTED:
                within[i.id] = values[i.id].weight / counted
                overall_weights[i.id] = shares[criterion.id] * within[i.id]
    context = _Context(pack, top, pack.acceptable_levels, pack.policy.disagreement_spread)
    criteria = tuple(
        _criterion_result(c, values, context, tallies[c.id], shares[c.id], overall_weights)
        for c in pack.criteria
    )
    coverage = _coverage(pack, tallies)
    support_weight, support = _support(values, overall_weights, top)
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
        criterion_of=criterion_of,
        criterion_score={key: tally.score for key, tally in tallies.items()},
    )
    return Scores(criteria, points(overall), share(coverage), share(confidence), raw)


@dataclass(frozen=True)
class _Context:
    """What every indicator result needs from the pack, looked up once per evaluation."""

    pack: CriteriaPack
    top: int
    acceptable: dict[str, int]
    disagreement_spread: int


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
        if fact.unchanged:
            return _Value(_UNCHANGED, weight=weight, explanation=fact.explanation)
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


def _criterion_result(
    criterion: Criterion,
    values: dict[str, _Value],
    context: _Context,
    tally: _Tally,
    weight_share: float,
    overall_weights: dict[str, float],
) -> CriterionResult:
    score = tally.score
    return CriterionResult.trusted(
        id=criterion.id,
        title=criterion.title,
        weight=criterion.weight,
        weight_share=share(weight_share),
        score=None if score is None else points(score),
        contribution=points(weight_share * score) if score is not None else 0.0,
        coverage=share(tally.covered / tally.applicable) if tally.applicable else 1.0,
        indicators=tuple(
            _indicator_result(i, values[i.id], context, overall_weights.get(i.id, 0.0))
            for i in criterion.indicators
        ),
    )


def _indicator_result(
    indicator: Indicator, value: _Value, context: _Context, overall_weight: float
) -> IndicatorResult:
    top = context.top
    status = value.status
    scored = status is _SCORED
    fraction = value.fraction
    level = scale_score = score_pct = None
    if scored:
        scale_score = round(fraction * top, SHARE_DIGITS) + 0.0
        score_pct = round(100 * fraction, SCORE_DIGITS) + 0.0
        level = min(math.floor(fraction * top + 1e-9), top)
    aggregate = value.aggregate
    answers = aggregate.answers if aggregate else ()
    assessed = indicator.derived is None
    return IndicatorResult.trusted(
        id=indicator.id,
        title=indicator.title,
        status=status,
        derived_from=None if assessed else indicator.derived.value,  # type: ignore[union-attr]
        score=scale_score,
        score_pct=score_pct,
        level=level,
        level_label=None if level is None else context.pack.scale.levels[level].label,
        level_description=None if level is None else indicator.levels.get(level),
        weight=value.weight or indicator.weight,
        overall_weight=round(overall_weight, SHARE_DIGITS) + 0.0 if overall_weight else 0.0,
        acceptable_level=context.acceptable[indicator.id],
        contribution=round(100 * overall_weight * fraction, SCORE_DIGITS) + 0.0 if scored else 0.0,
        spread=value.spread if scored and assessed else None,
        disagreement=scored and value.spread >= context.disagreement_spread,
        evidence_strength=round(value.strength, SHARE_DIGITS) + 0.0 if value.strength else 0.0,
        evidence_kind=aggregate.strongest if aggregate else None,
        # An unassessed indicator that needs evidence has none: omission must
        # not escape the evidence rule that an honest answer would meet.
        evidence_missing=(scored or status is _GAP)
        and indicator.evidence_required
        and assessed
        and not any(a.evidence for a in answers if a.score is not None),
        explanation=value.explanation,
        assessors=answers,
    )


def _coverage(pack: CriteriaPack, tallies: dict[str, _Tally]) -> float:
    """Share of applicable weight that was scored or found unchanged, criterion weights applied."""
    shares = [
        (c.weight, tallies[c.id].covered / tallies[c.id].applicable)
        for c in pack.criteria
        if tallies[c.id].applicable
    ]
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
