"""The scoring engine: pure functions from (proposal, pack) to a decision record.

Nothing here reads files, prints or knows about YAML or templates.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from techgate._version import __version__
from techgate.engine.aggregate import aggregate_answers, apply_moderation
from techgate.engine.analyses import analyse
from techgate.engine.decide import Outcome, decide
from techgate.engine.gates import GateInputs, evaluate_gates
from techgate.engine.margin import decision_margin
from techgate.engine.scoring import Scores, score_pack
from techgate.engine.waivers import waived_gates
from techgate.errors import InputProblem, InvalidInputError
from techgate.model.criteria import CriteriaPack
from techgate.model.evaluation import (
    SCHEMA_VERSION,
    Analyses,
    Evaluation,
    Gap,
    GateResult,
    IndicatorResult,
    IndicatorStatus,
    ModerationSummary,
    PackSummary,
    ProposalSummary,
    Provenance,
    SensitivityRequest,
)
from techgate.model.problems import dotted, proposal_problems
from techgate.model.proposal import Proposal

if TYPE_CHECKING:
    from techgate.engine.sensitivity import WeightBasis
    from techgate.model.evaluation import Sensitivity
    from techgate.model.waiver import Waiver

__all__ = ["evaluate", "evaluate_checked", "weight_basis_of"]


def evaluate(
    proposal: Proposal,
    pack: CriteriaPack,
    *,
    sensitivity: SensitivityRequest | None = None,
    waivers: Iterable[Waiver] = (),
) -> Evaluation:
    """Judge the proposal by the pack. Raises InvalidInputError if they do not fit together."""
    _check(proposal, pack)
    return evaluate_checked(proposal, pack, sensitivity=sensitivity, waivers=waivers)


def evaluate_checked(
    proposal: Proposal,
    pack: CriteriaPack,
    *,
    sensitivity: SensitivityRequest | None = None,
    waivers: Iterable[Waiver] = (),
) -> Evaluation:
    """Judge a proposal that the loader has already checked against this pack.

    For techgate.api, which runs every check once with file lines; anything
    else calls evaluate(), which checks first. With sensitivity, the record
    carries what would flip the decision (engine.sensitivity). waivers are
    those in force (the caller checks model.waiver.applies); each one for
    this proposal id marks its gate waived when that gate failed.
    """
    run = _judged(proposal, pack, tuple(waivers))
    scores, analyses, indicators, gaps, gates, outcome = run
    assessors = tuple(sorted(a.assessor for a in proposal.assessments))
    dates = [proposal.date, *(a.date for a in proposal.assessments if a.date)]
    if proposal.moderation is not None:
        dates.append(proposal.moderation.started)
    return Evaluation.trusted(
        decision=outcome.decision,
        score=scores.score,
        confidence=scores.confidence,
        coverage=scores.coverage,
        score_decision=outcome.score_decision,
        proposal=ProposalSummary.trusted(
            id=proposal.id,
            title=proposal.title,
            vendor=proposal.vendor,
            category=proposal.category,
            owner=proposal.owner,
            date=proposal.date,
            assessors=assessors,
        ),
        pack=PackSummary.trusted(
            id=pack.id,
            title=pack.title,
            version=pack.version,
            scale_max=pack.scale.maximum,
            policy=pack.policy,
        ),
        criteria=scores.criteria,
        gates=gates,
        reasons=outcome.reasons,
        conditions=outcome.conditions,
        gaps=gaps,
        unchanged=tuple(i.id for i in indicators.values() if i.status is IndicatorStatus.UNCHANGED),
        disagreements=tuple(i.id for i in indicators.values() if i.disagreement),
        analyses=analyses,
        margin=decision_margin(
            pack,
            scores.raw,
            indicators,
            gates,
            outcome.caps,
            outcome.decision,
            outcome.score_decision,
        ),
        provenance=Provenance.trusted(
            techgate_version=__version__,
            record_schema=SCHEMA_VERSION,
            pack_id=pack.id,
            pack_version=pack.version,
            pack_lineage=pack.lineage,
            pack_sha256=pack.sha256,
            proposal_sha256=proposal.sha256,
            as_of=max(dates),
        ),
        moderation=_moderation_summary(proposal, indicators),
        sensitivity=None if sensitivity is None else _sensitivity(run, pack, sensitivity),
    )


def _sensitivity(run: _Run, pack: CriteriaPack, request: SensitivityRequest) -> Sensitivity:
    # numpy (about 0.1 s to import) only for the runs that ask for it.
    from techgate.engine.sensitivity import sensitivity

    scores, analyses, indicators, _, gates, outcome = run
    return sensitivity(
        pack,
        scores.raw,
        indicators,
        gates,
        outcome.caps,
        outcome.decision,
        analyses.benefits.support,
        request,
    )


def _moderation_summary(
    proposal: Proposal, indicators: dict[str, IndicatorResult]
) -> ModerationSummary | None:
    moderation = proposal.moderation
    if moderation is None:
        return None
    moderated = [i for i in indicators.values() if i.moderation is not None]
    return ModerationSummary.trusted(
        started=moderation.started,
        chair=moderation.chair,
        moderated=tuple(i.id for i in moderated),
        changed=tuple(i.id for i in moderated if i.moderation and i.moderation.changed),
    )


class _Run(NamedTuple):
    scores: Scores
    analyses: Analyses
    indicators: dict[str, IndicatorResult]
    gaps: tuple[Gap, ...]
    gates: tuple[GateResult, ...]
    outcome: Outcome


def _judged(proposal: Proposal, pack: CriteriaPack, waivers: tuple[Waiver, ...] = ()) -> _Run:
    """Every step up to the decision, with the unrounded figures the margin needs."""
    traits = proposal.traits
    answers = apply_moderation(proposal, aggregate_answers(proposal, pack.policy.aggregation))
    analyses, derived = analyse(proposal, pack)
    scores = score_pack(
        pack, proposal.category, traits, answers, derived, analyses.benefits.support
    )
    indicators = {i.id: i for c in scores.criteria for i in c.indicators}
    gaps = tuple(
        Gap.trusted(indicator=i.id, criterion=c.id, reason=i.explanation)
        for c in scores.criteria
        for i in c.indicators
        if i.status is IndicatorStatus.GAP
    )
    gates = evaluate_gates(
        pack,
        GateInputs(proposal, traits, analyses, {c.id: c for c in scores.criteria}, indicators),
    )
    if waivers:
        gates = waived_gates(gates, waivers, proposal.id)
    outcome = decide(
        pack, scores.score, scores.confidence, scores.coverage, scores.criteria, gates, gaps
    )
    return _Run(scores, analyses, indicators, gaps, gates, outcome)


def weight_basis_of(proposal: Proposal, pack: CriteriaPack) -> WeightBasis:
    """What the decision depends on once the criterion weights are free (engine.sensitivity).

    For tests and tools that compare the vectorised decision with the engine's.
    """
    from techgate.engine.sensitivity import weight_basis

    _check(proposal, pack)
    run = _judged(proposal, pack)
    return weight_basis(
        pack, run.scores.raw, run.indicators, run.gates, run.analyses.benefits.support
    )


def _check(proposal: Proposal, pack: CriteriaPack) -> None:
    # The loader has already run these checks, with file lines, for files it
    # read; they run again here for callers who build models in code, so
    # that the engine never scores inconsistent input. They cost about 60 us.
    problems = [("<pack>", p) for p in pack.problems]
    problems += [("<proposal>", p) for p in proposal_problems(proposal, pack)]
    if problems:
        raise InvalidInputError(
            InputProblem(name, None, None, dotted(p.path), p.message, p.hint)
            for name, p in problems
        )
