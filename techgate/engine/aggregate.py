"""Combine several assessors' answers for each indicator."""

from __future__ import annotations

import statistics
from typing import NamedTuple

from techgate.model.criteria import Aggregation, DecisionPolicy
from techgate.model.evaluation import AssessorScore, ModerationResult, SpreadBand
from techgate.model.moderation import panel_start
from techgate.model.proposal import Assessment, EvidenceKind, Proposal

# Weakest to strongest; the steps are even because the ranking is ordinal
# and nothing measured says one step is worth more than another.
EVIDENCE_STRENGTH = {
    EvidenceKind.VENDOR_CLAIM: 0.2,
    EvidenceKind.DEMO: 0.4,
    EvidenceKind.REFERENCE_CUSTOMER: 0.6,
    EvidenceKind.PILOT: 0.8,
    EvidenceKind.PRODUCTION_DATA: 1.0,
}


class Aggregate(NamedTuple):
    """All assessors' answers to one indicator, combined."""

    score: float | None
    """Combined numeric score; None when no answer was a level."""
    unchanged: bool
    """No answer was a level and at least one said 'unchanged'."""
    spread: float
    strength: float
    strongest: EvidenceKind | None
    answers: tuple[AssessorScore, ...]
    moderation: ModerationResult | None = None
    """The panel's moderated answer, which 'score' and 'unchanged' then follow."""


def aggregate_answers(proposal: Proposal, how: Aggregation) -> dict[str, Aggregate]:
    """Indicator id to the combined answer, for every indicator anyone scored."""
    kinds = {item.id: item.kind for item in proposal.evidence}
    answers: dict[str, list[AssessorScore]] = {}
    make = AssessorScore.trusted
    # Sorted so that the order assessors appear in the file changes nothing.
    for assessment in sorted(proposal.assessments, key=_assessor):
        assessor = assessment.assessor
        for indicator_id, answer in assessment.scores.items():
            score = answer.score
            numeric = score if isinstance(score, int) else None
            record = make(
                assessor=assessor,
                score=numeric,
                answer="level" if numeric is not None else score,
                evidence=answer.evidence,
                note=answer.note,
            )
            group = answers.get(indicator_id)
            if group is None:
                answers[indicator_id] = [record]
            else:
                group.append(record)
    median = how is Aggregation.MEDIAN
    return {key: _combine(tuple(group), kinds, median) for key, group in answers.items()}


def apply_moderation(proposal: Proposal, answers: dict[str, Aggregate]) -> dict[str, Aggregate]:
    """The combined answers with the panel's moderated ones in place of the aggregate.

    The assessors' answers, their spread and the evidence they cited stay:
    moderation settles the level, not what the independent scoring found.
    """
    moderation = proposal.moderation
    if moderation is None or not moderation.scores:
        return answers
    moderated = dict(answers)
    for indicator_id, agreed in moderation.scores.items():
        start = panel_start(proposal.assessments, indicator_id)
        level = agreed.score if isinstance(agreed.score, int) else None
        result = ModerationResult.trusted(
            median=start.median,
            start=start.start,
            score=level,
            answer="level" if level is not None else agreed.score,
            changed=agreed.score != start.start,
            comment=agreed.comment,
        )
        found = answers.get(indicator_id)
        if found is None:
            found = Aggregate(None, False, 0.0, 0.0, None, ())
        moderated[indicator_id] = found._replace(
            score=None if level is None else float(level),
            unchanged=agreed.score == "unchanged",
            moderation=result,
        )
    return moderated


def spread_band(spread: float, top: int, policy: DecisionPolicy) -> SpreadBand:
    """The band of a spread, as a share of the scale, by the policy's thresholds."""
    width = spread / top
    if width < policy.spread_medium_from:
        return "low"
    if width <= policy.spread_high_above:
        return "medium"
    return "high"


def _assessor(assessment: Assessment) -> str:
    return assessment.assessor


# Up to this many answers the spread is the whole range: in a small panel
# every assessor is one voice that counts. Beyond it, the range is set by the
# two most extreme of many and nearly always spans the scale, so the spread
# is the middle half of the answers (the interquartile range) instead; the
# reports name the answers far from the median.
RANGE_SPREAD_UP_TO = 5


def spread_of(numbers: list[int]) -> float:
    """How far the assessors' levels for one indicator are apart."""
    if len(numbers) <= RANGE_SPREAD_UP_TO:
        return float(max(numbers) - min(numbers))
    first, _, third = statistics.quantiles(numbers, n=4, method="inclusive")
    return float(third - first)


def median_of(numbers: list[int]) -> float:
    """The median as statistics.median gives it, without its generality: lists are tiny."""
    ordered = sorted(numbers)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


_STRENGTH = EVIDENCE_STRENGTH.__getitem__


def _combine(
    answers: tuple[AssessorScore, ...], kinds: dict[str, EvidenceKind], median: bool
) -> Aggregate:
    # 'n/a' or 'unchanged' from some assessors and levels from others: the
    # levels stand, since someone judged the quality is there to be scored.
    numbers = [a.score for a in answers if a.score is not None]
    if not numbers:
        unchanged = any(a.answer == "unchanged" for a in answers)
        return Aggregate(None, unchanged, 0.0, 0.0, None, answers)
    # The strongest kind of evidence cited with a level; the first of equals.
    strongest: EvidenceKind | None = None
    for a in answers:
        if a.score is not None:
            for ref in a.evidence:
                kind = kinds.get(ref)
                if kind is not None and (
                    strongest is None or _STRENGTH(kind) > _STRENGTH(strongest)
                ):
                    strongest = kind
    if len(numbers) == 1:
        combined, spread = float(numbers[0]), 0.0
    else:
        combined = median_of(numbers) if median else statistics.fmean(numbers)
        spread = spread_of(numbers)
    return Aggregate(
        score=float(combined),
        unchanged=False,
        spread=spread,
        strength=_STRENGTH(strongest) if strongest else 0.0,
        strongest=strongest,
        answers=answers,
    )
