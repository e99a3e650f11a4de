"""Combine several assessors' answers for each indicator."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import NamedTuple

from techgate.model.criteria import Aggregation
from techgate.model.evaluation import AssessorScore
from techgate.model.proposal import EvidenceKind, Proposal

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


def aggregate_answers(proposal: Proposal, how: Aggregation) -> dict[str, Aggregate]:
    """Indicator id to the combined answer, for every indicator anyone scored."""
    kinds = {item.id: item.kind for item in proposal.evidence}
    answers: dict[str, list[AssessorScore]] = defaultdict(list)
    # Sorted so that the order assessors appear in the file changes nothing.
    for assessment in sorted(proposal.assessments, key=lambda a: a.assessor):
        for indicator_id, answer in assessment.scores.items():
            numeric = answer.score if isinstance(answer.score, int) else None
            answers[indicator_id].append(
                AssessorScore.trusted(
                    assessor=assessment.assessor,
                    score=numeric,
                    answer="level" if numeric is not None else answer.score,
                    evidence=answer.evidence,
                    note=answer.note,
                )
            )
    return {key: _combine(tuple(group), kinds, how) for key, group in answers.items()}


def _median(numbers: list[int]) -> float:
    """The median as statistics.median gives it, without its generality: lists are tiny."""
    ordered = sorted(numbers)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _combine(
    answers: tuple[AssessorScore, ...], kinds: dict[str, EvidenceKind], how: Aggregation
) -> Aggregate:
    # 'n/a' or 'unchanged' from some assessors and levels from others: the
    # levels stand, since someone judged the quality is there to be scored.
    numbers = [a.score for a in answers if a.score is not None]
    if not numbers:
        unchanged = any(a.answer == "unchanged" for a in answers)
        return Aggregate(None, unchanged, 0.0, 0.0, None, answers)
    cited = [
        kinds[ref] for a in answers if a.score is not None for ref in a.evidence if ref in kinds
    ]
    strongest = max(cited, key=EVIDENCE_STRENGTH.__getitem__, default=None)
    combined = _median(numbers) if how is Aggregation.MEDIAN else statistics.fmean(numbers)
    return Aggregate(
        score=float(combined),
        unchanged=False,
        spread=float(max(numbers) - min(numbers)),
        strength=EVIDENCE_STRENGTH[strongest] if strongest else 0.0,
        strongest=strongest,
        answers=answers,
    )
