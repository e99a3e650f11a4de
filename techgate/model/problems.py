"""Consistency rules that span several fields, as pure functions.

Pydantic checks each field; these check how fields relate (ids that must
exist, shares that must add up). They return problems with a path into the
document instead of raising, so a loader can attach file lines to all of
them and report every one at once.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from techgate.model.criteria import (
    CriteriaPack,
    MinCriterionScoreGate,
    MinIndicatorScoreGate,
)
from techgate.model.moderation import assessments_sha256, panel_start
from techgate.model.proposal import (
    LIVE_CATEGORIES,
    MUST_STATE_GENERATION,
    Category,
    ObjectiveKind,
    Proposal,
    Trait,
)

Path = tuple[str | int, ...]
# Shares are entered by hand as decimals; allow rounding such as 0.33 * 3.
SHARE_TOLERANCE = 0.005


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, located by its path."""

    path: Path
    message: str
    hint: str = ""


def dotted(path: Path) -> str:
    """assessments[0].scores.availability, the way a reader names a field."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def suggest(word: str, options: Iterable[str]) -> str:
    """A 'did you mean' hint for a misspelt id or key, or ''."""
    matches = difflib.get_close_matches(word, sorted(set(options)), n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else ""


def _duplicates(values: Iterable[tuple[Path, str]], what: str) -> Iterator[Problem]:
    seen: Counter[str] = Counter()
    for path, value in values:
        seen[value] += 1
        if seen[value] == 2:
            yield Problem(path, f"duplicate {what} {value!r}", f"each {what} must be unique")


def pack_problems(pack: CriteriaPack) -> list[Problem]:
    """Everything inconsistent inside a resolved criteria pack."""
    problems: list[Problem] = []
    problems += _duplicates(
        ((("criteria", i, "id"), c.id) for i, c in enumerate(pack.criteria)), "criterion id"
    )
    problems += _duplicates(
        (
            (("criteria", i, "indicators", j, "id"), ind.id)
            for i, c in enumerate(pack.criteria)
            for j, ind in enumerate(c.indicators)
        ),
        "indicator id",
    )
    problems += _duplicates(
        ((("gates", i, "id"), g.id) for i, g in enumerate(pack.gates)), "gate id"
    )
    expected_levels = set(range(pack.scale.maximum + 1))
    for i, criterion in enumerate(pack.criteria):
        for j, indicator in enumerate(criterion.indicators):
            if set(indicator.levels) != expected_levels:
                missing = sorted(expected_levels - set(indicator.levels))
                extra = sorted(set(indicator.levels) - expected_levels)
                problems.append(
                    Problem(
                        ("criteria", i, "indicators", j, "levels"),
                        f"levels must describe every scale level {sorted(expected_levels)}"
                        + (f"; missing {missing}" if missing else "")
                        + (f"; not on the scale {extra}" if extra else ""),
                        "write one description per level of the pack's scale",
                    )
                )
    for i, criterion in enumerate(pack.criteria):
        for j, indicator in enumerate(criterion.indicators):
            if (
                indicator.acceptable_level is not None
                and indicator.acceptable_level > pack.scale.maximum
            ):
                problems.append(
                    Problem(
                        ("criteria", i, "indicators", j, "acceptable_level"),
                        f"acceptable_level {indicator.acceptable_level} is above the scale's "
                        f"top level {pack.scale.maximum}",
                    )
                )
    if (
        pack.policy.acceptable_level is not None
        and pack.policy.acceptable_level > pack.scale.maximum
    ):
        problems.append(
            Problem(
                ("policy", "acceptable_level"),
                f"acceptable_level {pack.policy.acceptable_level} is above the scale's top level "
                f"{pack.scale.maximum}",
            )
        )
    problems += _gate_reference_problems(pack)
    return problems


def _gate_reference_problems(pack: CriteriaPack) -> Iterator[Problem]:
    criterion_ids = [c.id for c in pack.criteria]
    indicator_ids = list(pack.indicators())
    for i, gate in enumerate(pack.gates):
        if isinstance(gate, MinCriterionScoreGate) and gate.criterion not in criterion_ids:
            yield Problem(
                ("gates", i, "criterion"),
                f"gate refers to unknown criterion {gate.criterion!r}",
                suggest(gate.criterion, criterion_ids) or f"known: {', '.join(criterion_ids)}",
            )
        if isinstance(gate, MinIndicatorScoreGate):
            if gate.indicator not in indicator_ids:
                yield Problem(
                    ("gates", i, "indicator"),
                    f"gate refers to unknown indicator {gate.indicator!r}",
                    suggest(gate.indicator, indicator_ids),
                )
            if gate.min_score > pack.scale.maximum:
                yield Problem(
                    ("gates", i, "min_score"),
                    f"min_score {gate.min_score} is above the scale's top level "
                    f"{pack.scale.maximum}",
                )


def proposal_problems(proposal: Proposal, pack: CriteriaPack | None = None) -> list[Problem]:
    """Everything inconsistent inside a proposal, and against a pack if given."""
    problems: list[Problem] = []
    problems += _duplicates(
        ((("evidence", i, "id"), e.id) for i, e in enumerate(proposal.evidence)), "evidence id"
    )
    problems += _duplicates(
        ((("assessments", i, "assessor"), a.assessor) for i, a in enumerate(proposal.assessments)),
        "assessor",
    )
    for field, shares in (
        ("segments", [s.share for s in proposal.segments]),
        ("transactions", [t.volume_share for t in proposal.transactions]),
    ):
        if sum(shares) > 1 + SHARE_TOLERANCE:
            problems.append(
                Problem(
                    (field,),
                    f"shares add up to {sum(shares):.3f}, more than 1",
                    "shares are fractions of the whole (0.25 means a quarter)",
                )
            )
    evidence_ids = [e.id for e in proposal.evidence]
    problems += _automation_problems(proposal)
    problems += _benefits_problems(proposal, evidence_ids)
    for i, assessment in enumerate(proposal.assessments):
        for indicator_id, answer in assessment.scores.items():
            for k, ref in enumerate(answer.evidence):
                if ref not in evidence_ids:
                    problems.append(
                        Problem(
                            ("assessments", i, "scores", indicator_id, "evidence", k),
                            f"cites evidence {ref!r}, which the proposal does not list",
                            suggest(ref, evidence_ids) or "add it under 'evidence:'",
                        )
                    )
    if proposal.moderation is not None:
        problems += _moderation_problems(proposal)
    if pack is not None:
        problems += _trait_fact_problems(proposal, pack)
        problems += _score_problems(proposal, pack)
        problems += _moderated_score_problems(proposal, pack)
    return problems


def _moderation_problems(proposal: Proposal) -> Iterator[Problem]:
    """A moderated answer away from the panel's median must say why."""
    moderation = proposal.moderation
    if moderation is None:
        return
    if not proposal.assessments:
        yield Problem(
            ("moderation",),
            "moderation needs the assessors' answers, and there are none",
            "import the scoresheets first, then start moderation",
        )
    locked = moderation.answers_sha256
    if locked is not None and locked != assessments_sha256(proposal.assessments):
        yield Problem(
            ("moderation", "answers_sha256"),
            "the assessments changed after moderation started; the individual answers are locked",
            "put the assessors' answers back as they were, or remove 'moderation' to reopen "
            "scoring",
        )
    for indicator_id, moderated in moderation.scores.items():
        start = panel_start(proposal.assessments, indicator_id)
        if moderated.score != start.start and not moderated.comment.strip():
            began = "nobody answered it" if start.start is None else f"it starts at {start.start!r}"
            if start.median is not None and start.median != start.start:
                began += f" (median {start.median:g}, rounded down)"
            yield Problem(
                ("moderation", "scores", indicator_id),
                f"moderated answer {moderated.score!r} differs from the panel's, and {began}, "
                "without a comment",
                "give the reason in 'comment', or set the score back",
            )


def _moderated_score_problems(proposal: Proposal, pack: CriteriaPack) -> Iterator[Problem]:
    moderation = proposal.moderation
    if moderation is None:
        return
    indicators = pack.indicators()
    for indicator_id, moderated in moderation.scores.items():
        path: Path = ("moderation", "scores", indicator_id)
        found = indicators.get(indicator_id)
        if found is None:
            yield Problem(
                path,
                f"pack {pack.id!r} has no indicator {indicator_id!r}",
                suggest(indicator_id, indicators) or f"see 'techgate criteria show {pack.id}'",
            )
            continue
        indicator = found[1]
        score = moderated.score
        if indicator.derived is not None:
            yield Problem(path, f"indicator {indicator_id!r} is computed and cannot be moderated")
        elif score == "n/a" and not indicator.allow_na:
            yield Problem((*path, "score"), f"indicator {indicator_id!r} does not allow 'n/a'")
        elif score == "unchanged" and not indicator.allow_unchanged:
            yield Problem((*path, "score"), f"indicator {indicator_id!r} cannot be 'unchanged'")
        elif isinstance(score, int) and score > pack.scale.maximum:
            yield Problem(
                (*path, "score"),
                f"score {score} is above the scale's top level {pack.scale.maximum}",
            )


def _automation_problems(proposal: Proposal) -> Iterator[Problem]:
    automation = proposal.automation
    if proposal.category in MUST_STATE_GENERATION and automation.generates_answers is None:
        yield _generation_unstated(proposal, "")
    if proposal.category is Category.AGENT_ASSIST and automation.human_reviews_output is None:
        yield Problem(
            ("category",),
            "an agent-assist proposal must say whether a person checks every output",
            "add 'automation: {human_reviews_output: true}' if agents check every draft before "
            "a customer sees it, or false if anything reaches customers unchecked",
        )
    if proposal.category in LIVE_CATEGORIES and automation.human_reviews_output:
        yield Problem(
            ("automation", "human_reviews_output"),
            f"a {proposal.category.value} answers customers as they go: nobody can check each "
            "output before the customer hears or sees it",
            "set it to false; a tool whose drafts agents check is agent-assist",
        )
    if proposal.category is Category.GENERATIVE_ASSISTANT and automation.generates_answers is False:
        yield Problem(
            ("automation", "generates_answers"),
            "a generative-assistant composes its own answers by definition",
            "use the category chatbot (or voicebot, ivr) for fixed answers",
        )


def _benefits_problems(proposal: Proposal, evidence_ids: list[str]) -> Iterator[Problem]:
    motive = proposal.motive
    workforce = proposal.workforce
    if (
        workforce is not None
        and workforce.roles_removed + workforce.roles_frozen > 0
        and not any(
            o.kind is ObjectiveKind.EFFICIENCY and (o.value or o.weight) for o in motive.objectives
        )
    ):
        yield Problem(
            ("workforce", "roles_removed"),
            "posts are removed or frozen, but no efficiency objective states what that saves",
            "add the saving as an objective of kind efficiency with its value (and what has "
            "been measured of it), so the cut can be judged on it",
        )
    for i, objective in enumerate(motive.objectives):
        if (
            objective.baseline is not None
            and objective.target is not None
            and objective.baseline == objective.target
        ):
            yield Problem(
                ("motive", "objectives", i, "target"),
                "the target equals the baseline, so no effect can be measured against it",
                "state the value the objective aims for",
            )
    valued = [i for i, o in enumerate(motive.objectives) if o.value is not None]
    weighed = [i for i, o in enumerate(motive.objectives) if o.weight is not None]
    for i, objective in enumerate(motive.objectives):
        if objective.value is not None and objective.weight is not None:
            yield Problem(
                ("motive", "objectives", i, "weight"),
                "an objective states both a value and a weight",
                "give its annual value, or its weight, not both",
            )
    if valued and weighed:
        yield Problem(
            ("motive", "objectives", weighed[0], "weight"),
            "some objectives state a money value and others a weight, which cannot be compared",
            "state every objective's annual value, or every objective's weight",
        )
    if valued and motive.currency is None:
        yield Problem(
            ("motive", "objectives", valued[0], "value"),
            "objectives state money values but the motive names no currency",
            "add 'currency: EUR' (or another ISO 4217 code) under 'motive:'",
        )
    cited = [
        (("motive", "objectives", i, "evidence", k), ref)
        for i, o in enumerate(motive.objectives)
        for k, ref in enumerate(o.evidence)
    ] + [
        (("motive", "success_metrics", i, "evidence", k), ref)
        for i, m in enumerate(motive.success_metrics)
        for k, ref in enumerate(m.evidence)
    ]
    for path, ref in cited:
        if ref not in evidence_ids:
            yield Problem(
                path,
                f"cites evidence {ref!r}, which the proposal does not list",
                suggest(ref, evidence_ids) or "add it under 'evidence:'",
            )


def _generation_unstated(proposal: Proposal, why: str) -> Problem:
    return Problem(
        ("category",),
        f"a {proposal.category.value} proposal must say whether it composes its own answers{why}",
        "add 'automation: {generates_answers: true}' if a language model writes what customers "
        "or agents see, or false if it only uses fixed, approved wording",
    )


def _trait_fact_problems(proposal: Proposal, pack: CriteriaPack) -> Iterator[Problem]:
    """Facts the pack's applicability rules depend on must be stated, not defaulted.

    Left out, 'generates_answers' would read as no, and the safeguards for
    generated answers would not apply: omission would pay.
    """
    if (
        proposal.automation.generates_answers is None
        and proposal.category not in MUST_STATE_GENERATION
        and proposal.category not in (Category.GENERATIVE_ASSISTANT, Category.AGENT_ASSIST)
        and Trait.GENERATIVE in pack.rule_traits
    ):
        yield _generation_unstated(
            proposal, f": pack {pack.id!r} has safeguards that apply to generated answers"
        )


def _score_problems(proposal: Proposal, pack: CriteriaPack) -> Iterator[Problem]:
    indicators = pack.indicators()
    for i, assessment in enumerate(proposal.assessments):
        for indicator_id, answer in assessment.scores.items():
            path: Path = ("assessments", i, "scores", indicator_id)
            if indicator_id not in indicators:
                yield Problem(
                    path,
                    f"pack {pack.id!r} has no indicator {indicator_id!r}",
                    suggest(indicator_id, indicators) or f"see 'techgate criteria show {pack.id}'",
                )
                continue
            indicator = indicators[indicator_id][1]
            if indicator.derived is not None:
                yield Problem(
                    path,
                    f"indicator {indicator_id!r} is computed from the proposal's facts "
                    f"({indicator.derived.value}) and cannot be scored",
                    "remove this score and describe the facts instead",
                )
            elif answer.score == "n/a" and not indicator.allow_na:
                yield Problem(
                    (*path, "score"),
                    f"indicator {indicator_id!r} does not allow 'n/a'",
                    f"score it 0-{pack.scale.maximum}, or leave it out to record a gap "
                    "(a gap counts as level 0)",
                )
            elif answer.score == "unchanged" and not indicator.allow_unchanged:
                yield Problem(
                    (*path, "score"),
                    f"indicator {indicator_id!r} cannot be 'unchanged': the technology brings "
                    "its own level of it",
                    f"score it 0-{pack.scale.maximum}",
                )
            elif isinstance(answer.score, int) and answer.score > pack.scale.maximum:
                yield Problem(
                    (*path, "score"),
                    f"score {answer.score} is above the scale's top level {pack.scale.maximum}",
                    f"use a level from 0 to {pack.scale.maximum}",
                )
