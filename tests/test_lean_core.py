"""The table-driven scoring core against a straightforward reference, on generated proposals.

engine.scoring works from a per-pack table (engine/table.py), plain tuples and
memoised roundings, for speed. The reference below works from the pack's own
models, one indicator at a time, with the formulas as docs/scoring.md states
them and nothing cached; the two must agree on every indicator's status and on
every criterion's score, the overall score, coverage and confidence.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from conftest import EXAMPLES, baseline
from hypothesis import given, reject
from hypothesis import strategies as st

import techgate
from techgate.engine.aggregate import aggregate_answers, apply_moderation
from techgate.engine.analyses import Derived, analyse
from techgate.engine.scoring import score_pack
from techgate.errors import InvalidInputError
from techgate.model import CriteriaPack, Proposal
from techgate.model.criteria import DerivedMeasure

PACK = techgate.load_criteria("contact-centre")
ASSESSED = [i.id for c in PACK.criteria for i in c.indicators if i.derived is None]
EVIDENCE = ["prod", "demo", "claim"]
TOLERANCE = 1e-9  # the core sums in another order than the reference; nothing else may differ

level = st.integers(0, 4)
answer = st.one_of(
    level,
    level,
    level,
    st.sampled_from(["unchanged", "n/a"]),
    st.fixed_dictionaries(
        {"score": level},
        optional={"evidence": st.lists(st.sampled_from(EVIDENCE), max_size=2, unique=True)},
    ),
)
assessments = st.lists(
    st.dictionaries(st.sampled_from(ASSESSED), answer, min_size=0, max_size=len(ASSESSED)),
    min_size=1,
    max_size=4,
)
categories = st.sampled_from(["chatbot", "voicebot", "ivr", "crm", "callback", "self-service"])


def proposal_from(scores: list[dict[str, Any]], category: str, dropped: set[str]) -> Proposal:
    data = baseline()
    data["evidence"] = [
        {"id": "prod", "kind": "production-data", "title": "p"},
        {"id": "demo", "kind": "demo", "title": "d"},
        {"id": "claim", "kind": "vendor-claim", "title": "c"},
    ]
    data["category"] = category
    for key in dropped:
        data.pop(key)
    data["assessments"] = [{"assessor": f"a{n}", "scores": s} for n, s in enumerate(scores)]
    try:
        return techgate.load_proposal(data)
    except InvalidInputError:
        reject()  # e.g. 'n/a' where the pack does not allow it


# Facts left out change what the analyses derive, and so the derived indicators.
left_out = st.sets(
    st.sampled_from(
        ["stakeholder_input", "segments", "human_escalation", "transactions", "workforce", "motive"]
    )
)


class Value(NamedTuple):
    status: str
    fraction: float
    weight: float
    spread: float
    strength: float


def reference_value(
    indicator: Any, proposal: Proposal, answers: dict[str, Any], derived: dict[Any, Derived]
) -> Value:
    """One indicator, by the rules of docs/scoring.md."""
    traits = proposal.traits
    matching = [w for t, w in indicator.trait_weights.items() if t in traits]
    weight = max(matching) if matching else indicator.weight
    rule = indicator.applies_to
    if rule is not None and not rule.matches(proposal.category, traits):
        return Value("not-applicable", 0.0, 0.0, 0.0, 0.0)
    if indicator.derived is not None:
        fact = derived[DerivedMeasure(indicator.derived)]
        if fact.unchanged:
            return Value("unchanged", 0.0, weight, 0.0, 0.0)
        if fact.fraction is None:
            if not fact.applicable:
                return Value("not-applicable", 0.0, 0.0, 0.0, 0.0)
            return Value("gap", 0.0, weight, 0.0, 0.0)
        return Value("scored", fact.fraction, weight, 0.0, 0.6)
    combined = answers.get(indicator.id)
    if combined is None:
        return Value("gap", 0.0, weight, 0.0, 0.0)
    if combined.score is None:
        status = "unchanged" if combined.unchanged else "not-applicable"
        return Value(status, 0.0, weight if status == "unchanged" else 0.0, 0.0, 0.0)
    top = PACK.scale.maximum
    return Value("scored", combined.score / top, weight, combined.spread, combined.strength)


def reference(proposal: Proposal, pack: CriteriaPack) -> dict[str, Any]:
    answers = apply_moderation(proposal, aggregate_answers(proposal, pack.policy.aggregation))
    analyses, derived = analyse(proposal, pack)
    top = pack.scale.maximum
    statuses: dict[str, str] = {}
    criterion_scores: dict[str, float | None] = {}
    per_criterion = []
    for criterion in pack.criteria:
        values = {
            i.id: reference_value(i, proposal, answers, derived) for i in criterion.indicators
        }
        statuses.update({k: v.status for k, v in values.items()})
        counted = sum(v.weight for v in values.values() if v.status in ("scored", "gap"))
        applicable = sum(v.weight for v in values.values() if v.status != "not-applicable")
        covered = sum(v.weight for v in values.values() if v.status in ("scored", "unchanged"))
        score = None
        if counted:
            score = 100 * sum(
                v.weight / counted * v.fraction
                for v in values.values()
                if v.status in ("scored", "gap")
            )
        criterion_scores[criterion.id] = score
        per_criterion.append((criterion, values, counted, applicable, covered, score))
    scored_weight = sum(c.weight for c, *_, s in per_criterion if s is not None)
    overall = sum(c.weight / scored_weight * s for c, *_, s in per_criterion if s is not None)
    applicable_weight = sum(c.weight for c, _, _, a, _, _ in per_criterion if a)
    coverage = (
        sum(c.weight / applicable_weight * (cov / a) for c, _, _, a, cov, _ in per_criterion if a)
        if applicable_weight
        else 0.0
    )
    support_weight = support = 0.0
    for criterion, values, counted, *_ in per_criterion:
        for value in values.values():
            if value.status not in ("scored", "gap"):
                continue
            weight = criterion.weight / scored_weight * value.weight / counted
            support_weight += weight  # a gap: counted, and backed by nothing
            if value.status == "scored":
                support += weight * value.strength * (1 - 0.5 * value.spread / top)
    support = support / support_weight if support_weight else 0.0
    share = pack.policy.benefits_weight
    confidence = coverage * ((1 - share) * support + share * analyses.benefits.support)
    return {
        "statuses": statuses,
        "criteria": criterion_scores,
        "score": overall,
        "coverage": coverage,
        "confidence": confidence,
    }


def core(proposal: Proposal, pack: CriteriaPack) -> dict[str, Any]:
    answers = apply_moderation(proposal, aggregate_answers(proposal, pack.policy.aggregation))
    analyses, derived = analyse(proposal, pack)
    scores = score_pack(
        pack, proposal.category, proposal.traits, answers, derived, analyses.benefits.support
    )
    return {
        "statuses": {i.id: i.status.value for c in scores.criteria for i in c.indicators},
        "criteria": scores.raw.criterion_score,
        "score": scores.raw.score,
        "coverage": scores.raw.coverage,
        "confidence": scores.raw.confidence,
        "rounded": (scores.score, scores.coverage, scores.confidence),
    }


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= TOLERANCE


@given(assessments, categories, left_out)
def test_the_core_agrees_with_the_reference(
    scores: list[dict[str, Any]], category: str, dropped: set[str]
) -> None:
    proposal = proposal_from(scores, category, dropped)
    expected, got = reference(proposal, PACK), core(proposal, PACK)
    assert got["statuses"] == expected["statuses"]
    assert got["criteria"].keys() == expected["criteria"].keys()
    for key, value in expected["criteria"].items():
        assert close(got["criteria"][key], value), key
    for name in ("score", "coverage", "confidence"):
        assert close(got[name], expected[name]), name
    # The record's figures are these, rounded as the record rounds them.
    score, coverage, confidence = got["rounded"]
    assert abs(score - expected["score"]) <= 0.005 + TOLERANCE
    assert abs(coverage - expected["coverage"]) <= 0.00005 + TOLERANCE
    assert abs(confidence - expected["confidence"]) <= 0.00005 + TOLERANCE


def test_the_reference_is_not_trivially_equal_on_the_examples() -> None:
    # Guard against a reference that agrees because every case is empty: on the shipped
    # examples, and a proposal nobody has scored yet, it meets every status.
    seen: set[str] = set()
    proposals = [techgate.load_proposal(path) for path in sorted(EXAMPLES.glob("*.yaml"))]
    for proposal in [*proposals, proposal_from([{}], "chatbot", set())]:
        expected, got = reference(proposal, PACK), core(proposal, PACK)
        assert got["statuses"] == expected["statuses"]
        assert close(got["score"], expected["score"])
        assert close(got["confidence"], expected["confidence"])
        seen.update(expected["statuses"].values())
    assert seen == {"scored", "gap", "unchanged", "not-applicable"}
