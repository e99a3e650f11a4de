"""Weights, scores and answers changed on validated copies of the pack and the proposal."""

from __future__ import annotations

import re
from typing import NamedTuple

from techgate import api
from techgate.engine.scoring import indicator_weight
from techgate.errors import InvalidInputError
from techgate.model.criteria import CriteriaPack, Criterion, Indicator
from techgate.model.evaluation import Evaluation, IndicatorResult, IndicatorStatus
from techgate.model.proposal import ModeratedAnswer, Proposal, Trait
from techgate.model.whatif import Change, ChangeRequest
from techgate.whatif.requests import (
    close_to,
    level_value,
    problem,
    refused,
    split,
    weight_value,
)


class Applied(NamedTuple):
    """A change understood, and the inputs it gives."""

    change: Change
    proposal: Proposal
    pack: CriteriaPack


def changed(request: ChangeRequest, target: str, before: str, after: str, words: str) -> Change:
    return Change.trusted(
        kind=request.kind,
        target=target,
        before=before,
        after=after,
        given=request.text,
        words=words,
    )


def renamed(request: ChangeRequest, error: InvalidInputError) -> InvalidInputError:
    """Problems a validated copy found, said of the option that asked for the change."""
    return InvalidInputError(
        problem(request, f"{p.field}: {p.message}" if p.field else p.message, p.hint)
        for p in error.problems
    )


def apply_weight(request: ChangeRequest, proposal: Proposal, pack: CriteriaPack) -> Applied:
    """'CRITERION=W' or 'CRITERION.INDICATOR=W': the weight the pack gives it, replaced."""
    target, text = split(request)
    value = weight_value(request, text)
    criteria = {c.id: c for c in pack.criteria}
    if target in criteria:
        before = criteria[target].weight
        changed_pack = _pack_with(request, pack, criterion_weights={target: value})
        words = f"{target} weight {before:g} → {value:g}"
        change = changed(request, target, f"{before:g}", f"{value:g}", words)
        return Applied(change, proposal, changed_pack)
    criterion, indicator = _criterion_indicator(request, pack, target)
    traits = proposal.traits
    before = indicator_weight(indicator, traits)
    name = f"{criterion.id}.{indicator.id}"
    applying = sorted(t for t in indicator.trait_weights if t in traits)
    if applying:
        # For this proposal the indicator weighs by its trait weight (the pack's
        # 'trait_weights'); changing the plain weight would move nothing.
        changed_pack = _with_trait_weight(pack, criterion.id, indicator.id, applying, value)
        words = (
            f"{name} weight {before:g} → {value:g} "
            f"(its weight for {', '.join(t.value for t in applying)} proposals)"
        )
    else:
        changed_pack = _pack_with(request, pack, indicator_weights={indicator.id: value})
        words = f"{name} weight {before:g} → {value:g}"
    return Applied(
        changed(request, name, f"{before:g}", f"{value:g}", words), proposal, changed_pack
    )


def _pack_with(
    request: ChangeRequest, pack: CriteriaPack, **weights: dict[str, float]
) -> CriteriaPack:
    try:
        return api.pack_with(pack, **weights)
    except InvalidInputError as error:
        raise renamed(request, error) from None


def _criterion_indicator(
    request: ChangeRequest, pack: CriteriaPack, target: str
) -> tuple[Criterion, Indicator]:
    # Ids may hold dots themselves: every place a dot could divide them is tried.
    for criterion in pack.criteria:
        prefix = criterion.id + "."
        if target.startswith(prefix):
            wanted = target[len(prefix) :]
            for indicator in criterion.indicators:
                if indicator.id == wanted:
                    return criterion, indicator
            raise refused(
                request,
                f"criterion {criterion.id!r} has no indicator {wanted!r}",
                close_to(wanted, [i.id for i in criterion.indicators])
                or f"its indicators: {', '.join(i.id for i in criterion.indicators)}",
            )
    found = pack.indicators().get(target)
    if found is not None:
        raise refused(
            request,
            f"{target!r} is an indicator; an indicator's weight is named with its criterion",
            f"write '{found[0].id}.{target}'",
        )
    raise refused(
        request,
        f"pack {pack.id!r} has no criterion {target!r}",
        close_to(target, [c.id for c in pack.criteria])
        or f"criteria: {', '.join(c.id for c in pack.criteria)}",
    )


def _with_trait_weight(
    pack: CriteriaPack, criterion_id: str, indicator_id: str, traits: list[Trait], value: float
) -> CriteriaPack:
    criteria = []
    for criterion in pack.criteria:
        if criterion.id == criterion_id:
            indicators = tuple(
                indicator.model_copy(
                    update={
                        "trait_weights": {
                            trait: value if trait in traits else weight
                            for trait, weight in indicator.trait_weights.items()
                        }
                    }
                )
                if indicator.id == indicator_id
                else indicator
                for indicator in criterion.indicators
            )
            criterion = criterion.model_copy(update={"indicators": indicators})
        criteria.append(criterion)
    return pack.model_copy(update={"criteria": tuple(criteria)})


def scored_indicator(
    request: ChangeRequest, proposal: Proposal, pack: CriteriaPack, indicator_id: str
) -> Indicator:
    """An indicator of the pack that assessors answer and that applies to the proposal."""
    found = pack.indicators().get(indicator_id)
    if found is None:
        raise refused(
            request,
            f"pack {pack.id!r} has no indicator {indicator_id!r}",
            close_to(indicator_id, pack.indicators()) or f"see 'techgate criteria show {pack.id}'",
        )
    indicator = found[1]
    if indicator.derived is not None:
        raise refused(
            request,
            f"indicator {indicator_id!r} is computed from the proposal's facts "
            f"({indicator.derived.value}), not scored",
            "change the facts it is computed from with --fact",
        )
    rule = indicator.applies_to
    if rule is not None and not rule.matches(proposal.category, proposal.traits):
        raise refused(
            request,
            f"indicator {indicator_id!r} does not apply to this proposal "
            f"(it applies to {rule.describe()}), so no answer to it counts",
        )
    return indicator


def apply_score(
    request: ChangeRequest, proposal: Proposal, pack: CriteriaPack, record: Evaluation
) -> Applied:
    """'INDICATOR=LEVEL': every assessor answers it so, or, once the panel moderates,
    the moderated answer is that (the assessors' own answers are locked then)."""
    target, text = split(request)
    indicator = scored_indicator(request, proposal, pack, target)
    level = level_value(request, text, indicator, pack, removable=False)
    assert level is not None  # not removable, so a level or a word
    before = _combined(_result(record, indicator.id))
    moderation = proposal.moderation
    if moderation is not None:
        words = f"{indicator.id} moderated answer {before} → {level}"
        scores = dict(moderation.scores)
        # A moderated answer away from the panel's median needs a reason: this is it.
        scores[indicator.id] = ModeratedAnswer(score=level, comment=f"what-if: {words}")
        try:
            result = proposal.model_copy(
                update={"moderation": moderation.model_copy(update={"scores": scores})}
            )
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            raise refused(request, str(error)) from None
        return Applied(changed(request, indicator.id, before, str(level), words), result, pack)
    if not proposal.assessments:
        raise refused(
            request,
            "nobody assessed this proposal, so there are no answers to set",
            "add an assessor's scores to the proposal first",
        )
    words = f"{indicator.id} score {before} → {level} (every assessor)"
    try:
        for assessment in proposal.assessments:
            proposal = api.proposal_with_answer(proposal, assessment.assessor, indicator.id, level)
    except InvalidInputError as error:
        raise renamed(request, error) from None
    return Applied(changed(request, indicator.id, before, str(level), words), proposal, pack)


def apply_answer(request: ChangeRequest, proposal: Proposal, pack: CriteriaPack) -> Applied:
    """'NAME:INDICATOR=LEVEL': one assessor's answer set ('none' removes it)."""
    target, text = split(request)
    name, colon, indicator_id = target.rpartition(":")
    if not colon or not name.strip() or not indicator_id.strip():
        raise refused(
            request,
            "expected NAME:INDICATOR=VALUE",
            "such as 'Amira Haddad:accuracy=2'; a first name will do when it is unique",
        )
    assessor = _assessor(request, proposal, name.strip())
    indicator = scored_indicator(request, proposal, pack, indicator_id.strip())
    level = level_value(request, text, indicator, pack, removable=True)
    if proposal.moderation is not None:
        raise refused(
            request,
            "the assessors' answers are locked: moderation started on "
            f"{proposal.moderation.started.isoformat()}",
            f"change the panel's moderated answer with --score {indicator.id}=LEVEL",
        )
    before = _answer_of(proposal, assessor, indicator.id)
    after = "none" if level is None else str(level)
    try:
        result = api.proposal_with_answer(proposal, assessor, indicator.id, level)
    except InvalidInputError as error:
        raise renamed(request, error) from None
    words = f"{assessor}'s answer to {indicator.id} {before} → {after}"
    return Applied(
        changed(request, f"{assessor}:{indicator.id}", before, after, words), result, pack
    )


def _assessor(request: ChangeRequest, proposal: Proposal, given: str) -> str:
    """The assessor meant: the exact name, else the only one a word of whose name it starts."""
    names = [a.assessor for a in proposal.assessments]
    if given in names:
        return given
    pattern = re.compile(r"(?:^|\s)" + re.escape(given.casefold()))
    matches = [n for n in names if pattern.search(n.casefold())]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise refused(
            request,
            f"{given!r} could be any of {', '.join(repr(m) for m in sorted(matches))}",
            "give the assessor's full name",
        )
    raise refused(
        request,
        f"no assessor {given!r}",
        f"assessors: {', '.join(sorted(names))}" if names else "nobody assessed this proposal",
    )


def _answer_of(proposal: Proposal, assessor: str, indicator_id: str) -> str:
    for assessment in proposal.assessments:
        if assessment.assessor == assessor and indicator_id in assessment.scores:
            return str(assessment.scores[indicator_id].score)
    return "none"


def _result(record: Evaluation, indicator_id: str) -> IndicatorResult:
    return next(i for c in record.criteria for i in c.indicators if i.id == indicator_id)


def _combined(result: IndicatorResult) -> str:
    """The combined answer in words, as a committee reads it."""
    if result.status is IndicatorStatus.SCORED and result.score is not None:
        return f"{result.score:g}"
    return {
        IndicatorStatus.GAP: "none",
        IndicatorStatus.UNCHANGED: "unchanged",
        IndicatorStatus.NOT_APPLICABLE: "n/a",
    }.get(result.status, "none")


__all__ = ["Applied", "apply_answer", "apply_score", "apply_weight", "renamed"]
