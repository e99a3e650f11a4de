"""Invariants of the engine, checked on generated proposals (hypothesis)."""

from __future__ import annotations

import random
from typing import Any

from conftest import baseline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import techgate
from techgate.model import CriteriaPack, Proposal

PACK = techgate.load_criteria("contact-centre")
ASSESSED = [i.id for c in PACK.criteria for i in c.indicators if i.derived is None]
EVIDENCE = ["prod", "demo", "claim"]

settings.register_profile(
    "techgate", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("techgate")


def base_facts() -> dict[str, Any]:
    data = baseline()
    data["evidence"] = [
        {"id": "prod", "kind": "production-data", "title": "p"},
        {"id": "demo", "kind": "demo", "title": "d"},
        {"id": "claim", "kind": "vendor-claim", "title": "c"},
    ]
    return data


answer = st.one_of(
    st.integers(0, 4),
    st.fixed_dictionaries(
        {"score": st.integers(0, 4)},
        optional={"evidence": st.lists(st.sampled_from(EVIDENCE), max_size=2, unique=True)},
    ),
)
assessor_scores = st.dictionaries(st.sampled_from(ASSESSED), answer, min_size=8)
assessments = st.lists(assessor_scores, min_size=1, max_size=3)
categories = st.sampled_from(["chatbot", "ivr", "crm", "callback", "self-service"])


def proposal_from(scores: list[dict[str, Any]], category: str = "self-service") -> Proposal:
    data = base_facts()
    data["category"] = category
    data["assessments"] = [{"assessor": f"assessor-{n}", "scores": s} for n, s in enumerate(scores)]
    return techgate.load_proposal(data)


def score_of(answer: Any) -> int:
    return answer if isinstance(answer, int) else answer["score"]


def raised(answer: Any) -> Any:
    if isinstance(answer, int):
        return min(answer + 1, 4)
    return {**answer, "score": min(answer["score"] + 1, 4)}


@given(assessments, categories, st.data())
def test_raising_a_score_never_lowers_the_score_or_turns_go_into_no_go(
    scores: list[dict[str, Any]], category: str, data: st.DataObject
) -> None:
    before = techgate.evaluate(proposal_from(scores, category), PACK)
    who = data.draw(st.integers(0, len(scores) - 1))
    which = data.draw(st.sampled_from(sorted(scores[who])))
    bumped = [dict(s) for s in scores]
    bumped[who][which] = raised(bumped[who][which])
    after = techgate.evaluate(proposal_from(bumped, category), PACK)
    assert after.score >= before.score
    if before.decision.value == "go":
        assert after.decision.value != "no-go"


def scaled(pack: CriteriaPack, factor: float) -> CriteriaPack:
    data = pack.model_dump()
    for criterion in data["criteria"]:
        criterion["weight"] *= factor
        for indicator in criterion["indicators"]:
            indicator["weight"] *= factor
    return CriteriaPack.model_validate(data)


def without_weights(record: Any) -> dict[str, Any]:
    """The record minus the raw weights and the pack hash, which scaling changes by design."""
    data = record.model_dump(mode="json")
    del data["provenance"]["pack_sha256"]
    for criterion in data["criteria"]:
        del criterion["weight"]
        for indicator in criterion["indicators"]:
            del indicator["weight"]
    return data


@given(assessments, categories, st.sampled_from([2, 3, 0.5, 10, 0.25]))
def test_scaling_all_weights_changes_nothing(
    scores: list[dict[str, Any]], category: str, factor: float
) -> None:
    proposal = proposal_from(scores, category)
    assert without_weights(techgate.evaluate(proposal, PACK)) == without_weights(
        techgate.evaluate(proposal, scaled(PACK, factor))
    )


@given(assessments, categories, st.randoms(use_true_random=False))
def test_assessor_order_does_not_matter(
    scores: list[dict[str, Any]], category: str, shuffler: random.Random
) -> None:
    proposal = proposal_from(scores, category)
    shuffled = list(proposal.assessments)
    shuffler.shuffle(shuffled)
    reordered = proposal.model_copy(update={"assessments": tuple(shuffled)})
    first = techgate.evaluate(proposal, PACK).model_dump_json()
    assert techgate.evaluate(reordered, PACK).model_dump_json() == first


@given(assessments, categories)
def test_same_input_gives_identical_json(scores: list[dict[str, Any]], category: str) -> None:
    first = techgate.evaluate(proposal_from(scores, category), PACK).model_dump_json()
    again = techgate.evaluate(proposal_from(scores, category), PACK).model_dump_json()
    assert first == again


@given(assessments, categories)
def test_record_invariants(scores: list[dict[str, Any]], category: str) -> None:
    record = techgate.evaluate(proposal_from(scores, category), PACK)
    assert 0 <= record.score <= 100
    assert 0 <= record.confidence <= record.coverage <= 1
    failed = [g for g in record.gates if not g.passed]
    if record.decision.value == "go":
        assert not failed
        assert record.score >= PACK.policy.go_threshold
        assert record.confidence >= PACK.policy.min_confidence
    if any(g.severity.value == "no-go" for g in failed) or record.score < 50:
        assert record.decision.value == "no-go"
    # Contributions add up to the score (each is rounded to 0.01).
    total = sum(c.contribution for c in record.criteria)
    assert abs(total - record.score) <= 0.01 * len(record.criteria)
    # Reasons are ranked 1..n without holes.
    assert [r.rank for r in record.reasons] == list(range(1, len(record.reasons) + 1))


@given(
    numbers=st.lists(st.integers(0, 4), min_size=1, max_size=40),
    position=st.integers(0, 39),
    step=st.sampled_from([1, -1]),
)
def test_spread_is_the_range_for_a_small_panel_and_moves_a_level_at_most(
    numbers: list[int], position: int, step: int
) -> None:
    from techgate.engine.aggregate import RANGE_SPREAD_UP_TO, spread_of

    spread = spread_of(numbers)
    assert 0 <= spread <= max(numbers) - min(numbers)
    if len(numbers) <= RANGE_SPREAD_UP_TO:
        assert spread == max(numbers) - min(numbers)
    # The margin relies on one answer moving the spread by one level at most.
    index = position % len(numbers)
    moved = [*numbers[:index], numbers[index] + step, *numbers[index + 1 :]]
    assert abs(spread_of(moved) - spread) <= 1 + 1e-9
