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

from techgate.engine.aggregate import Aggregate, spread_band
from techgate.engine.analyses import Derived
from techgate.engine.numbers import SCORE_DIGITS, SHARE_DIGITS, points, share
from techgate.engine.table import Row, Table, pack_table
from techgate.model.criteria import CriteriaPack, DerivedMeasure, Indicator
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


@dataclass(frozen=True)
class Raw:
    """Unrounded figures, so the margin can work out what one change would do."""

    score: float
    confidence: float
    coverage: float
    support_weight: float  # sum of overall weights of scored indicators and gaps
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


# An indicator's value before weighting: status, fraction of the top level
# (0 for a gap), weight inside its criterion after trait weights, spread,
# evidence strength, the combined answers, explanation. A plain tuple: one
# is made for every indicator of every evaluation.
_Value = tuple[IndicatorStatus, float, float, float, float, Aggregate | None, str]


def _value(
    row: Row,
    answer: Aggregate | None,
    derived: dict[DerivedMeasure, Derived],
    category: Category,
    traits: frozenset[Trait],
    top: int,
) -> _Value:
    weight = row.weight
    if row.trait_weights:
        chosen = [w for t, w in row.trait_weights if t in traits]
        if chosen:
            weight = max(chosen)
    if row.applies_to is not None and not row.applies_to.matches(category, traits):
        return (_NOT_APPLICABLE, 0.0, 0.0, 0.0, 0.0, answer, row.not_applicable_text)
    if row.derived is not None:
        fact = derived[row.derived]
        if fact.unchanged:
            return (_UNCHANGED, 0.0, weight, 0.0, 0.0, None, fact.explanation)
        if fact.fraction is None:
            if not fact.applicable:
                return (_NOT_APPLICABLE, 0.0, 0.0, 0.0, 0.0, None, fact.explanation)
            text = f"{fact.explanation}; counts as level 0"
            return (_GAP, 0.0, weight, 0.0, 0.0, None, text)
        return (_SCORED, fact.fraction, weight, 0.0, DERIVED_STRENGTH, None, fact.explanation)
    if answer is None:
        return (_GAP, 0.0, weight, 0.0, 0.0, None, _NOT_SCORED)
    if answer.score is None:
        moderated = answer.moderation is not None
        if answer.unchanged:
            text = _MODERATED_UNCHANGED if moderated else _LEFT_AS_IT_IS
            return (_UNCHANGED, 0.0, weight, 0.0, 0.0, answer, text)
        return (
            _NOT_APPLICABLE,
            0.0,
            0.0,
            0.0,
            0.0,
            answer,
            _MODERATED_NA if moderated else _ALL_NA,
        )
    fraction = answer.score / top
    return (_SCORED, fraction, weight, answer.spread, answer.strength, answer, "")


_NOT_SCORED = "no assessor scored it; counts as level 0"
_LEFT_AS_IT_IS = "the assessors say the technology leaves it as it is"
_ALL_NA = "every assessor answered 'n/a'"
_MODERATED_UNCHANGED = "the panel's moderated answer: the technology leaves it as it is"
_MODERATED_NA = "the panel's moderated answer is 'n/a'"


def score_pack(
    pack: CriteriaPack,
    category: Category,
    traits: frozenset[Trait],
    answers: dict[str, Aggregate],
    derived: dict[DerivedMeasure, Derived],
    benefits_support: float,
) -> Scores:
    table = pack_table(pack)
    top = table.top
    get = answers.get
    values = {
        row.id: _value(row, get(row.id), derived, category, traits, top) for row in table.rows
    }
    # Per criterion: (counted, applicable, covered, score). Counted weight
    # (scored and gaps) is what the score is taken over; covered is scored
    # and unchanged.
    tallies: list[tuple[float, float, float, float | None]] = []
    for _, rows in table.criteria:
        counted = applicable = covered = 0.0
        for row in rows:
            status, _, weight, *_ = values[row.id]
            if status is _NOT_APPLICABLE:
                continue
            applicable += weight
            if status is not _UNCHANGED:
                counted += weight
            if status is not _GAP:
                covered += weight
        score = None
        if counted:
            # Weights become shares before they multiply anything, everywhere:
            # a ratio of weights is exact under scaling, so scaling every
            # weight by the same factor gives a bit-identical record.
            score = 100 * sum(
                [
                    (value[2] / counted) * value[1]
                    for value in (values[row.id] for row in rows)
                    if value[0] in _COUNTED
                ]
            )
        tallies.append((counted, applicable, covered, score))
    weights = [crit.weight for crit, _ in table.criteria]
    counted_weight = sum([w for w, t in zip(weights, tallies, strict=True) if t[3] is not None])
    shares = [
        w / counted_weight if t[3] is not None else 0.0
        for w, t in zip(weights, tallies, strict=True)
    ]
    overall = sum([s * (t[3] or 0.0) for s, t in zip(shares, tallies, strict=True)])
    within: dict[str, float] = {}
    overall_weights: dict[str, float] = {}
    for (_, rows), tally, weight_share in zip(table.criteria, tallies, shares, strict=True):
        counted = tally[0]
        for row in rows:
            value = values[row.id]
            if value[0] in _COUNTED:
                inside = within[row.id] = value[2] / counted
                overall_weights[row.id] = weight_share * inside
    criteria = _criterion_results(pack, table, values, tallies, shares, overall_weights)
    covered_shares = [(w, t[2] / t[1]) for w, t in zip(weights, tallies, strict=True) if t[1]]
    total = sum([w for w, _ in covered_shares])
    coverage = sum([(w / total) * c for w, c in covered_shares]) if total else 0.0
    # Support is taken over every counted indicator, a gap lending nothing:
    # taken over the scored ones alone, leaving out a weakly evidenced answer
    # would raise the mean by more than the gap takes from coverage, and an
    # unanswered question would lift confidence above an honest answer.
    support_weight = support = 0.0
    for key, value in values.items():
        status = value[0]
        if status is _SCORED:
            agreement = 1 - DISAGREEMENT_PENALTY * value[3] / top
            weight = overall_weights[key]
            support_weight += weight
            support += weight * value[4] * agreement
        elif status is _GAP:
            support_weight += overall_weights[key]
    support = support / support_weight if support_weight else 0.0
    weight = pack.policy.benefits_weight
    confidence = coverage * ((1 - weight) * support + weight * benefits_support)
    raw = Raw(
        score=overall,
        confidence=confidence,
        coverage=coverage,
        support_weight=support_weight,
        overall_weight=overall_weights,
        within=within,
        fraction={key: value[1] for key, value in values.items()},
        criterion_of={row.id: row.criterion for row in table.rows},
        criterion_score={
            crit.id: t[3] for (crit, _), t in zip(table.criteria, tallies, strict=True)
        },
    )
    return Scores(criteria, points(overall), share(coverage), share(confidence), raw)


# Fraction of the top level -> (scale score, percentage, level), per scale.
# Fractions repeat (a level is k/top, a median of two half a level more), so
# the roundings are worked out once for each.
_FRACTIONS: dict[int, dict[float, tuple[float, float, int]]] = {}


def _on_scale(
    known: dict[float, tuple[float, float, int]], fraction: float, top: int
) -> tuple[float, float, int]:
    if len(known) >= 4096:
        known.clear()
    # Fractions are never negative, so round() cannot give -0.0 here.
    found = known[fraction] = (
        round(fraction * top, SHARE_DIGITS),
        round(100 * fraction, SCORE_DIGITS),
        min(math.floor(fraction * top + 1e-9), top),
    )
    return found


def _criterion_results(
    pack: CriteriaPack,
    table: Table,
    values: dict[str, _Value],
    tallies: list[tuple[float, float, float, float | None]],
    shares: list[float],
    overall_weights: dict[str, float],
) -> tuple[CriterionResult, ...]:
    top, labels = table.top, table.labels
    spread_limit = pack.policy.disagreement_spread
    policy = pack.policy
    make_indicator = IndicatorResult.trusted
    fractions = _FRACTIONS.setdefault(top, {})
    results = []
    for (crit, rows), (_, applicable, covered, score), weight_share in zip(
        table.criteria, tallies, shares, strict=True
    ):
        indicators = []
        for row in rows:
            status, fraction, weight, spread, strength, aggregate, explanation = values[row.id]
            overall_weight = overall_weights.get(row.id, 0.0)
            scored = status is _SCORED
            assessed = row.derived is None
            answers = aggregate.answers if aggregate else ()
            levels_given = sum(1 for a in answers if a.score is not None)
            level = scale_score = score_pct = None
            if scored:
                scale_score, score_pct, level = fractions.get(fraction) or _on_scale(
                    fractions, fraction, top
                )
            indicators.append(
                make_indicator(
                    id=row.id,
                    title=row.title,
                    status=status,
                    derived_from=row.derived_name,
                    score=scale_score,
                    score_pct=score_pct,
                    level=level,
                    level_label=None if level is None else labels[level],
                    level_description=None if level is None else row.levels.get(level),
                    weight=weight or row.weight,
                    overall_weight=round(overall_weight, SHARE_DIGITS) if overall_weight else 0.0,
                    acceptable_level=row.acceptable,
                    contribution=(
                        round(100 * overall_weight * fraction, SCORE_DIGITS) if scored else 0.0
                    ),
                    spread=spread if scored and assessed else None,
                    disagreement=scored and spread >= spread_limit,
                    evidence_strength=round(strength, SHARE_DIGITS) if strength else 0.0,
                    evidence_kind=aggregate.strongest if aggregate else None,
                    # An unassessed indicator that needs evidence has none:
                    # omission must not escape the evidence rule that an
                    # honest answer would meet.
                    evidence_missing=(scored or status is _GAP)
                    and row.evidence_required
                    and assessed
                    and not any(a.evidence for a in answers if a.score is not None),
                    explanation=explanation,
                    assessors=answers,
                    spread_band=(
                        spread_band(aggregate.spread, top, policy)
                        if aggregate is not None and assessed and levels_given >= 2
                        else None
                    ),
                    moderation=aggregate.moderation if aggregate else None,
                )
            )
        results.append(
            CriterionResult.trusted(
                id=crit.id,
                title=crit.title,
                weight=crit.weight,
                weight_share=share(weight_share),
                score=None if score is None else points(score),
                contribution=points(weight_share * score) if score is not None else 0.0,
                coverage=share(covered / applicable) if applicable else 1.0,
                indicators=tuple(indicators),
            )
        )
    return tuple(results)


def agreement_loss(spread: float, scale_max: int) -> float:
    """What a spread takes off an indicator's agreement."""
    return DISAGREEMENT_PENALTY * spread / scale_max
