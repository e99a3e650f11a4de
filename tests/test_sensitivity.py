"""Sensitivity of one decision: the vectorised decision is the engine's, swings are exact."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from conftest import EXAMPLES, read_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techgate import api
from techgate.engine import weight_basis_of
from techgate.engine.sensitivity import decisions, figures, python_round
from techgate.engine.weight_space import rescaled, shares_of
from techgate.model.criteria import CriteriaPack
from techgate.model.evaluation import Decision, Evaluation, SensitivityRequest
from techgate.model.proposal import Proposal

RANKS = (Decision.GO, Decision.CONDITIONAL, Decision.NO_GO)


def _gapped(name: str, dropped: tuple[str, ...]) -> dict[str, Any]:
    """The example with some indicators left unassessed by everyone, so coverage falls."""
    data = read_yaml(EXAMPLES / f"{name}.yaml")
    for assessment in data["assessments"]:
        for key in dropped:
            assessment["scores"].pop(key, None)
    return data


# (example or mapping, policy changes worked out from the record: thresholds put
# next to its own figures, so that weight changes do cross them).
CASES: dict[str, tuple[str, str]] = {
    "speech-default": ("speech-analytics-savings", ""),
    "agent-default": ("agent-assist-drafts", ""),
    "crm-confidence-cap": ("crm-consolidation", ""),
    "speech-near-thresholds": ("speech-analytics-savings", "score"),
    "crm-near-confidence": ("crm-consolidation", "confidence"),
    "callback-gapped-near-coverage": ("callback-queue", "coverage"),
    # Gaps lend no support but keep their weight in confidence's mean: the
    # vectorised confidence must carry them as terms too.
    "callback-gapped-near-confidence": ("callback-queue", "gapped-confidence"),
    "sms-near-thresholds": ("sms-reminders-unchanged", "score"),
    "speech-just-below": ("speech-analytics-savings", "below"),
    "voicebot-default": ("voicebot-projected-savings", ""),
}


@cache
def case(name: str) -> tuple[Proposal, CriteriaPack, Evaluation]:
    example, near = CASES[name]
    source: Any = EXAMPLES / f"{example}.yaml"
    if near in ("coverage", "gapped-confidence"):
        source = _gapped(example, ("accuracy", "data-credibility", "transaction-fit"))
    loaded = api.load(source)
    pack = loaded.pack
    record = api.evaluate(loaded)
    if near == "score":
        pack = api.pack_with(
            pack,
            policy={
                "go_threshold": min(record.score + 1.5, 100),
                "conditional_threshold": max(record.score - 1.5, 0),
            },
        )
    elif near == "below":
        pack = api.pack_with(
            pack,
            policy={"go_threshold": record.score + 10, "conditional_threshold": record.score + 0.7},
        )
    elif near in ("confidence", "gapped-confidence"):
        pack = api.pack_with(pack, policy={"min_confidence": round(record.confidence + 0.01, 4)})
    elif near == "coverage":
        pack = api.pack_with(pack, policy={"min_coverage": round(record.coverage + 0.005, 4)})
    return loaded.proposal, pack, api.evaluate(loaded.proposal, pack=pack)


def engine_with_shares(proposal: Proposal, pack: CriteriaPack, shares: np.ndarray) -> Evaluation:
    """The full engine on a copy of the pack whose criterion weights are these shares (x 100)."""
    weights = {crit.id: float(s) * 100 for crit, s in zip(pack.criteria, shares, strict=True)}
    return api.evaluate(proposal, pack=api.pack_with(pack, criterion_weights=weights))


@pytest.mark.parametrize("name", sorted(CASES))
def test_vectorised_figures_are_the_engines_at_the_packs_weights(name: str) -> None:
    proposal, pack, record = case(name)
    basis = weight_basis_of(proposal, pack)
    score, coverage, confidence = figures(basis, basis.weights[np.newaxis, :])
    assert round(float(score[0]), 2) == record.score
    assert round(float(coverage[0]), 4) == record.coverage
    assert round(float(confidence[0]), 4) == record.confidence
    assert RANKS[int(decisions(basis, basis.weights)[0])] is record.decision


def test_the_cases_reach_every_decision_and_cross_thresholds() -> None:
    # The hypothesis test below is only as good as its cases: they must span
    # the outcomes, and weight changes must move some of them.
    seen = {case(name)[2].decision for name in CASES}
    assert seen == set(Decision)
    moved = 0
    for name in CASES:
        proposal, pack, _record = case(name)
        basis = weight_basis_of(proposal, pack)
        drawn = np.random.default_rng(1).dirichlet(np.ones(len(basis.weights)), size=500)
        moved += len(set(decisions(basis, drawn).tolist())) > 1
    assert moved >= 4


@pytest.mark.parametrize("name", sorted(CASES))
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(raw=st.lists(st.floats(0.05, 50.0), min_size=6, max_size=6))
def test_vectorised_decision_is_the_engines_for_any_weights(name: str, raw: list[float]) -> None:
    proposal, pack, _ = case(name)
    basis = weight_basis_of(proposal, pack)
    weights = np.array(raw[: len(pack.criteria)])
    changed = engine_with_shares(proposal, pack, shares_of(weights))
    score, coverage, confidence = figures(basis, shares_of(weights)[np.newaxis, :])
    assert python_round(score, 2)[0] == changed.score
    assert python_round(coverage, 4)[0] == changed.coverage
    assert python_round(confidence, 4)[0] == changed.confidence
    assert RANKS[int(decisions(basis, shares_of(weights))[0])] is changed.decision


@pytest.mark.parametrize("name", sorted(CASES))
def test_vectorised_decision_is_the_engines_for_drawn_weights(name: str) -> None:
    proposal, pack, _ = case(name)
    basis = weight_basis_of(proposal, pack)
    drawn = np.random.default_rng(7).dirichlet(np.ones(len(basis.weights)) * 2, size=12)
    fast = decisions(basis, drawn)
    for row, rank in zip(drawn, fast, strict=True):
        assert RANKS[int(rank)] is engine_with_shares(proposal, pack, row).decision


def test_python_round_matches_python_at_half_way_points() -> None:
    values = np.array([69.995, 0.125, 2.675, 1.005, 49.995, 0.40005, 0.5, -0.0])
    for digits in (2, 4):
        expected = [round(float(v), digits) for v in values]
        assert python_round(values, digits).tolist() == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_weight_swings_are_where_the_engine_changes_its_mind(name: str) -> None:
    proposal, pack, record = case(name)
    sensitivity = api.evaluate(
        proposal, pack=pack, sensitivity=SensitivityRequest(samples=200)
    ).sensitivity
    assert sensitivity is not None
    basis = weight_basis_of(proposal, pack)
    shares = shares_of(basis.weights)
    for column, swing in enumerate(sensitivity.weights):
        start = float(shares[column])
        assert swing.share == round(start, 4)
        for sign, points, to in ((1, swing.up, swing.up_to), (-1, swing.down, swing.down_to)):
            if points is None:
                # Nothing changes anywhere along the way (checked on a fine grid).
                end = 1 - 1e-9 if sign > 0 else 1e-9
                path = np.linspace(start, end, 4001)
                assert set(decisions(basis, rescaled(shares, column, path)).tolist()) == {
                    record.decision.rank
                }
                assert to is None
                continue
            assert to is not None and to is not record.decision
            target = start + sign * points / 100
            target = min(max(target, 1e-9), 1 - 1e-9)
            at = engine_with_shares(proposal, pack, rescaled(shares, column, [target])[0])
            assert at.decision is to
            if points > 0.01:
                short = start + sign * (points - 0.01) / 100
                before = engine_with_shares(proposal, pack, rescaled(shares, column, [short])[0])
                assert before.decision is record.decision


def test_some_case_has_weight_swings_both_ways() -> None:
    found = set()
    for name in CASES:
        proposal, pack, _ = case(name)
        block = api.evaluate(
            proposal, pack=pack, sensitivity=SensitivityRequest(samples=10)
        ).sensitivity
        assert block is not None
        found |= {"up" for w in block.weights if w.up is not None}
        found |= {"down" for w in block.weights if w.down is not None}
    assert found == {"up", "down"}


def _all_answers_at(proposal: Proposal, indicator: str, level: int) -> Proposal:
    for assessment in proposal.assessments:
        if indicator in assessment.scores:
            proposal = api.proposal_with_answer(proposal, assessment.assessor, indicator, level)
    return proposal


@pytest.mark.parametrize("name", sorted(CASES))
def test_level_swings_are_what_the_engine_decides_on_the_changed_proposal(name: str) -> None:
    proposal, pack, record = case(name)
    block = api.evaluate(proposal, pack=pack, sensitivity=SensitivityRequest(samples=10))
    assert block.sensitivity is not None
    results = {i.id: i for c in record.criteria for i in c.indicators}
    top = pack.scale.maximum
    checked = 0
    for swing in block.sensitivity.indicators:
        result = results[swing.indicator]
        levels = {a.score for a in result.assessors if a.score is not None}
        # Moving every assessor's answer together keeps the spread (0) and the
        # evidence, which is what a swing assumes; only such indicators compare.
        if result.derived_from is not None or len(levels) != 1:
            continue
        level = levels.pop()
        for sign, steps, to in ((1, swing.up, swing.up_to), (-1, swing.down, swing.down_to)):
            if steps is None:
                end = top if sign > 0 else 0
                if end != level:
                    moved = api.evaluate(_all_answers_at(proposal, swing.indicator, end), pack=pack)
                    assert moved.decision is record.decision
                continue
            reached = level + sign * steps
            assert reached == int(reached)
            moved = api.evaluate(
                _all_answers_at(proposal, swing.indicator, int(reached)), pack=pack
            )
            assert moved.decision is to
            if steps > 1:
                nearer = api.evaluate(
                    _all_answers_at(proposal, swing.indicator, int(reached - sign)), pack=pack
                )
                assert nearer.decision is record.decision
            checked += 1
    if name.startswith(("speech", "sms")):
        assert checked, "the case must exercise at least one level swing"


def test_stability_is_reproducible_and_counts_every_sample() -> None:
    proposal, pack, _ = case("speech-near-thresholds")
    request = SensitivityRequest(samples=3000, seed=11, concentration=50)
    first = api.evaluate(proposal, pack=pack, sensitivity=request)
    second = api.evaluate(proposal, pack=pack, sensitivity=request)
    assert first.model_dump_json() == second.model_dump_json()
    block = first.sensitivity
    assert block is not None
    assert (block.samples, block.seed, block.concentration) == (3000, 11, 50.0)
    assert abs(block.go + block.conditional + block.no_go - 1) < 1e-3
    assert block.stability == {"go": block.go, "conditional": block.conditional}.get(
        first.decision.value, block.no_go
    )
    # Near both thresholds, the weights do move this decision sometimes.
    assert 0 < block.stability < 1
    other = api.evaluate(proposal, pack=pack, sensitivity=request.model_copy(update={"seed": 12}))
    assert other.sensitivity is not None
    assert other.sensitivity.stability != block.stability


def test_stability_counts_the_engines_decisions_on_the_drawn_vectors() -> None:
    from techgate.engine.weight_space import dirichlet_weights

    proposal, pack, record = case("speech-near-thresholds")
    request = SensitivityRequest(samples=40, seed=5, concentration=20)
    block = api.evaluate(proposal, pack=pack, sensitivity=request).sensitivity
    assert block is not None
    basis = weight_basis_of(proposal, pack)
    drawn = dirichlet_weights(shares_of(basis.weights), 40, 5, 20.0)
    kept = sum(engine_with_shares(proposal, pack, row).decision is record.decision for row in drawn)
    assert block.stability == kept / 40


def test_higher_concentration_keeps_drawn_weights_nearer_the_pack() -> None:
    from techgate.engine.weight_space import dirichlet_weights

    shares = np.array([0.2, 0.2, 0.1333, 0.2, 0.1333, 0.1334])
    loose = dirichlet_weights(shares, 5000, 1, 10.0)
    tight = dirichlet_weights(shares, 5000, 1, 1000.0)
    assert np.allclose(loose.sum(axis=1), 1) and np.allclose(tight.sum(axis=1), 1)
    assert np.all(tight.std(axis=0) < loose.std(axis=0))
    expected = np.sqrt(shares * (1 - shares) / 11)
    assert np.allclose(loose.std(axis=0), expected, rtol=0.1)


def test_without_a_request_the_record_has_no_block() -> None:
    _proposal, _pack, record = case("speech-default")
    assert record.sensitivity is None
    assert record.provenance.record_schema == 3


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_record_with_the_block_validates_to_the_same_bytes(name: str) -> None:
    # The engine builds the block with Record.trusted; validating its JSON
    # must give the same record, field types and all.
    proposal, pack, _ = case(name)
    record = api.evaluate(proposal, pack=pack, sensitivity=SensitivityRequest(samples=50))
    text = record.model_dump_json()
    assert Evaluation.model_validate_json(text).model_dump_json() == text
    assert Evaluation.model_validate(record.model_dump()) == record
