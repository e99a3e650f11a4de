"""Price in comparisons: whole-life cost, the price policy, the formulas, robustness.

Expected numbers are worked by hand in the comments; published worked
examples are cited where they are used.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import techgate
from techgate.engine.price import bid_for, combined_scores, effective_policy, price_scores
from techgate.engine.price import score_prices as score
from techgate.engine.price_robustness import (
    Race,
    _bisect,
    _closed_form,
    _gap_function,
    break_even,
    price_robustness,
)
from techgate.errors import InvalidInputError
from techgate.model import price as price_models
from techgate.model.criteria import PriceMethod, PricePolicy
from techgate.model.docstrings import field_docs
from techgate.model.price import Bid, PriceStage
from techgate.model.proposal import WholeLifeCost

CALLBACK_QUEUE_SHA256 = "877963b9e0cdf352e0328299d02619091252d25cc8f9ce2f9b02400a360f2bad"
CONTACT_CENTRE_SHA256 = "5efc92f945704d195073b0904511e13b73da67767311f4b8540bac223d4e2d26"


def bid(proposal: str, technical: float, price: float | None, **extra: Any) -> Bid:
    fields: dict[str, Any] = {"currency": "EUR", "period_years": 5} if price is not None else {}
    fields.update(extra)
    return Bid(proposal=proposal, technical_score=technical, price=price, **fields)


def policy(method: str = "relative", **fields: Any) -> PricePolicy:
    return PricePolicy.model_validate({"method": method, **fields})


def combined(stage: PriceStage) -> dict[str, float | None]:
    return {b.proposal: b.combined_score for b in stage.bids}


def order(stage: PriceStage) -> list[str]:
    return [b.proposal for b in stage.bids if b.opened]


# --- whole-life cost ----------------------------------------------------------


def cost(**fields: Any) -> WholeLifeCost:
    data: dict[str, Any] = {
        "currency": "EUR",
        "period_years": 5,
        "lines": [
            {"name": "platform", "amount": 50_000, "per": "once", "kind": "purchase"},
            {"name": "seats", "amount": 20_000, "per": "year", "kind": "licence"},
            {"name": "hosting", "amount": 5_000, "per": "year", "kind": "running"},
        ],
    }
    data.update(fields)
    return WholeLifeCost.model_validate(data)


def test_whole_life_total_adds_one_off_lines_and_years() -> None:
    # 50,000 once + (20,000 + 5,000) a year x 5 years = 175,000.
    whole = cost()
    assert (whole.once_total(), whole.yearly_total(), whole.total()) == (50_000, 25_000, 175_000)


def test_discounting_follows_the_green_book_year_zero_convention() -> None:
    # 1,000 a year for 3 years at 3.5 %, paid at the start of years 0, 1, 2:
    # 1,000 x (1 + 1/1.035 + 1/1.035^2) = 1,000 x (1 + 0.966184 + 0.933510) = 2,899.69.
    whole = cost(
        period_years=3,
        discount_rate=0.035,
        lines=[{"name": "service", "amount": 1_000, "per": "year"}],
    )
    assert whole.total() == pytest.approx(2_899.69, abs=0.01)
    # One-off lines are paid in year 0 and are not discounted.
    with_once = cost(period_years=3, discount_rate=0.035)
    assert with_once.total() == pytest.approx(50_000 + 25 * 2_899.69, abs=0.5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "eur"}, "pattern"),
        ({"period_years": 0}, "greater than or equal to 1"),
        ({"discount_rate": 3.5}, "less than or equal to 0.25"),
        ({"lines": []}, "at least 1"),
        ({"lines": [{"name": "x", "amount": 0, "per": "once"}]}, "whole-life total is 0"),
        ({"lines": [{"name": "x", "amount": -1, "per": "once"}]}, "greater than or equal to 0"),
        ({"lines": [{"name": "x", "amount": 5, "per": "month"}]}, "'once' or 'year'"),
        (
            {"lines": [{"name": "x", "amount": 5, "per": "once"}] * 2},
            "repeated: ['x']",
        ),
    ],
)
def test_bad_costs_are_refused_with_a_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re_escape(message)):
        cost(**change)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


COST_BLOCK = """
cost:
  currency: {currency}
  period_years: 4
  source: price schedule v2
  lines:
    - {{name: licences, amount: 12000, per: year, kind: licence}}
    - {{name: set-up, amount: 8000, per: once, kind: implementation}}
"""


def test_a_proposal_file_carries_its_cost_into_a_bid(tmp_path: Path) -> None:
    path = tmp_path / "priced.yaml"
    path.write_text(
        (EXAMPLES / "callback-queue.yaml").read_text() + COST_BLOCK.format(currency="GBP")
    )
    proposal = techgate.load_proposal(path)
    assert proposal.cost is not None and proposal.cost.total() == 8_000 + 4 * 12_000
    made = bid_for(proposal, 71.5, str(path))
    assert (made.proposal, made.price, made.currency, made.period_years, made.where) == (
        "callback-queue",
        56_000,
        "GBP",
        4,
        str(path),
    )


def test_a_bad_cost_in_a_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "priced.yaml"
    text = (EXAMPLES / "callback-queue.yaml").read_text() + COST_BLOCK.format(currency="pounds")
    path.write_text(text)
    with pytest.raises(InvalidInputError) as caught:
        techgate.load_proposal(path)
    [problem] = caught.value.problems
    assert problem.field == "cost.currency"
    assert problem.line == text.splitlines().index("  currency: pounds") + 1


def test_a_proposal_or_pack_without_price_keeps_its_hash(contact_centre: Any) -> None:
    # Records made before costs existed name the proposal and pack by these hashes
    # (computed by the code before the cost and price fields were added); a proposal
    # without cost and a pack without price policy must keep them.
    proposal = techgate.load_proposal(EXAMPLES / "callback-queue.yaml")
    assert proposal.sha256 == CALLBACK_QUEUE_SHA256
    assert contact_centre.sha256 == CONTACT_CENTRE_SHA256


# --- the price policy ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"technical_weight": 70, "price_weight": 40}, "must add up to 100, not 110"),
        ({"log_base": 1}, "log_base (1) must be above 1"),
        ({"log_base": 0.5}, "ratio to the lowest price at which the price score reaches 0"),
        ({"benchmark_zero_ratio": 1}, "benchmark_zero_ratio (1) must be above 1"),
        ({"method": "benchmark"}, "the benchmark method needs benchmark_price"),
        ({"method": "qcbs"}, "the qcbs method needs technical_minimum"),
        ({"technical_minimum": 101}, "less than or equal to 100"),
        ({"abnormally_low": {"below_percent": 0}}, "greater than 0"),
        ({"method": "cheapest"}, "'relative'"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re_escape(message)):
        PricePolicy.model_validate(fields)


def test_every_policy_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        PricePolicy.model_validate(
            {"method": "qcbs", "technical_weight": 50, "price_weight": 20, "log_base": 1}
        )
    text = str(caught.value)
    assert "add up to 100" in text and "log_base" in text and "technical_minimum" in text


def test_an_overlay_sets_the_price_policy(tmp_path: Path, contact_centre: Any) -> None:
    path = tmp_path / "priced-pack.yaml"
    path.write_text(
        "id: priced\ntitle: Priced\nversion: '1'\nextends: contact-centre\n"
        "price:\n  method: logarithmic\n  log_base: 3\n  technical_weight: 60\n"
        "  price_weight: 40\n"
    )
    pack = techgate.load_criteria(path)
    assert pack.price is not None
    assert (pack.price.method, pack.price.log_base, pack.price.price_weight) == (
        PriceMethod.LOGARITHMIC,
        3,
        40,
    )
    assert effective_policy(pack) is pack.price
    # The built-in pack sets none; comparisons then use the default.
    assert contact_centre.price is None
    assert effective_policy(contact_centre) == PricePolicy()
    assert "price" not in json.loads(contact_centre.model_dump_json(exclude={"price"}))


def test_a_bad_price_policy_in_an_overlay_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "priced-pack.yaml"
    path.write_text(
        "id: priced\ntitle: Priced\nversion: '1'\nextends: contact-centre\n"
        "price:\n  technical_weight: 70\n  price_weight: 40\n"
    )
    with pytest.raises(InvalidInputError, match="must add up to 100"):
        techgate.load_criteria(path)


# --- the formulas: price scores -----------------------------------------------


PRICE_CASES = [
    # relative: 100 x lowest / price. 100/125 = 0.8, 100/200 = 0.5.
    ("relative", {}, [100, 125, 200], [100, 80, 50]),
    # linear: 100 x (highest - price) / (highest - lowest). (200-125)/(200-100) = 0.75.
    ("linear", {}, [100, 125, 200], [100, 75, 0]),
    # linear with every price equal: no range, every bid the best.
    ("linear", {}, [50, 50], [100, 100]),
    # logarithmic, A = 2: log2(141.42/100) = 0.5 -> 50; twice the lowest -> 0; four times
    # the lowest would be -100 by the formula and stops at 0.
    ("logarithmic", {"log_base": 2}, [100, 100 * math.sqrt(2), 200, 400], [100, 50, 0, 0]),
    # logarithmic, A = 4 (Chen 2005, Tijdschrift Aanbestedingsrecht p. 51, as quoted on
    # wiskundeforum.nl: 100 - 50 log(P/LP) / log 2 with LP = 80 gives 100, 83.9, 67.8;
    # 50 / log 2 = 100 / log 4): ln 1.25 / ln 4 = 0.160964 -> 83.90;
    # ln 1.5625 / ln 4 = 0.321928 -> 67.81.
    ("logarithmic", {"log_base": 4}, [80, 100, 125], [100, 83.90, 67.81]),
    # benchmark B = 100, zero at 2B: at or below B 100; 150 -> 1 - 50/100 = 50; 2B and
    # beyond 0.
    ("benchmark", {"benchmark_price": 100}, [80, 100, 150, 200, 250], [100, 100, 50, 0, 0]),
    # benchmark B = 1,000, zero at 1.5B: 1,100 -> 1 - 100/500 = 80.
    ("benchmark", {"benchmark_price": 1000, "benchmark_zero_ratio": 1.5}, [1100], [80]),
    # qcbs scores price as relative.
    ("qcbs", {"technical_minimum": 0}, [100, 125, 200], [100, 80, 50]),
]


@pytest.mark.parametrize(("method", "fields", "prices", "expected"), PRICE_CASES)
def test_price_scores(
    method: str, fields: dict[str, Any], prices: list[float], expected: list[float]
) -> None:
    got = price_scores(policy(method, **fields), prices)
    assert [round(s, 2) for s in got] == pytest.approx(expected, abs=0.005)


def test_relative_formula_published_example() -> None:
    # Negometrix, "Low bid scoring formula" (support-us.negometrix.com, article
    # 44001761046): quality 130 points (65 %), price 70 points (35 %). Bidder A: quality
    # 40 + 30 + 20 = 90, price 10,000; bidder B: 32 + 20 + 22 = 74, price 8,000.
    # A: price 8,000/10,000 x 70 = 56, total 146 of 200 = 73 %; B: 74 + 70 = 144 = 72 %.
    stage = score(
        [bid("a", 90 / 130 * 100, 10_000), bid("b", 74 / 130 * 100, 8_000)],
        policy(technical_weight=65, price_weight=35),
    )
    assert combined(stage) == {"a": 73.0, "b": 72.0}
    assert stage.winner == "a"


def test_qcbs_80_20_published_example() -> None:
    # FE Learning and Procurement (felp.ac.uk, "An Assessment Method"): 80:20, non-financial
    # totals A 123, B 126, C 129, D 117 made relative to the best (123/129 x 100 = 95.35 ...);
    # prices A 10,500, B 10,350, C 11,750, D 9,900, price score lowest/price x 100.
    # Published final scores: A 95.14, B 97.27, C 96.85, D 92.56, so B wins.
    technical = {"a": 123, "b": 126, "c": 129, "d": 117}
    prices = {"a": 10_500, "b": 10_350, "c": 11_750, "d": 9_900}
    stage = score(
        [bid(k, technical[k] / 129 * 100, prices[k]) for k in technical],
        policy("qcbs", technical_weight=80, price_weight=20, technical_minimum=0),
    )
    assert combined(stage) == {"a": 95.14, "b": 97.27, "c": 96.85, "d": 92.56}
    assert order(stage) == ["b", "c", "a", "d"]
    # D's price score: 9,900 is the lowest, 100; A's 9,900/10,500 x 100 = 94.29.
    assert {b.proposal: b.price_score for b in stage.bids}["a"] == 94.29


def test_qcbs_opens_only_bids_that_reach_the_minimum() -> None:
    # 80:20, minimum 75. C (70) stays sealed, so the lowest opened price is B's 100,000:
    # A 0.8 x 90 + 0.2 x (100,000/120,000 x 100 = 83.33) = 72 + 16.67 = 88.67;
    # B 0.8 x 80 + 0.2 x 100 = 84. Had C been opened (60,000) it would have cut A to 82.
    bids = [bid("a", 90, 120_000), bid("b", 80, 100_000), bid("c", 70, 60_000)]
    stage = score(bids, policy("qcbs", technical_weight=80, price_weight=20, technical_minimum=75))
    assert combined(stage) == {"a": 88.67, "b": 84.0, "c": None}
    assert stage.lowest_price == 100_000
    sealed = stage.bids[-1]
    assert (sealed.proposal, sealed.opened, sealed.price, sealed.rank) == ("c", False, None, None)
    assert [(t.proposal, t.technical_rank, t.opened) for t in stage.technical] == [
        ("a", 1, True),
        ("b", 2, True),
        ("c", 3, False),
    ]
    # A sealed bid's missing or odd cost is nobody's business: its envelope stays shut.
    unpriced = score(
        [*bids[:2], bid("c", 70, None)],
        policy("qcbs", technical_weight=80, price_weight=20, technical_minimum=75),
    )
    assert combined(unpriced) == combined(stage)


def test_price_per_quality_point() -> None:
    # A 100,000 / 80 = 1,250 a point; B 50,000 / 50 = 1,000; C 135,000 / 90 = 1,500.
    # Lowest per point wins; score 100 x best / own: B 100, A 80, C 66.67.
    stage = score(
        [bid("a", 80, 100_000), bid("b", 50, 50_000), bid("c", 90, 135_000)],
        policy("per-quality-point"),
    )
    assert order(stage) == ["b", "a", "c"]
    assert combined(stage) == {"b": 100.0, "a": 80.0, "c": 66.67}
    assert {b.proposal: b.price_per_point for b in stage.bids} == {
        "a": 1250.0,
        "b": 1000.0,
        "c": 1500.0,
    }


def test_a_technical_score_of_zero_buys_nothing_per_point() -> None:
    stage = score([bid("a", 0, 10), bid("b", 10, 1_000)], policy("per-quality-point"))
    assert combined(stage) == {"b": 100.0, "a": 0.0}
    assert stage.bids[1].price_per_point is None


def test_excluded_price_is_reported_beside_the_technical_ranking() -> None:
    bids = [bid("a", 60, 10_000), bid("b", 80, 90_000), bid("c", 70, None)]
    stage = score(bids, policy("excluded"))
    assert order(stage) == ["b", "c", "a"]
    assert combined(stage) == {"b": 80.0, "c": 70.0, "a": 60.0}
    assert [(b.price, b.price_score) for b in stage.bids] == [
        (90_000.0, None),
        (None, None),
        (10_000.0, None),
    ]


def test_weighted_combination() -> None:
    # 70:30 relative. A: 0.7 x 80 + 0.3 x 60 = 74; B: 49 + 0.3 x 75 = 71.5; C: 42 + 30 = 72.
    stage = score([bid("a", 80, 100_000), bid("b", 70, 80_000), bid("c", 60, 60_000)], policy())
    assert combined(stage) == {"a": 74.0, "c": 72.0, "b": 71.5}
    assert [b.rank for b in stage.bids] == [1, 2, 3]


def test_equal_combined_scores_share_a_place() -> None:
    # Same price, same technical score: both 100 on price and tied first.
    stage = score([bid("b", 70, 500), bid("a", 70, 500), bid("c", 10, 500)], policy())
    assert [(b.proposal, b.rank) for b in stage.bids] == [("a", 1), ("b", 1), ("c", 3)]
    assert (stage.winner, stage.tied_for_first) == ("a", ("a", "b"))


# --- abnormally low bids ------------------------------------------------------


def test_abnormally_low_against_the_median_of_the_others() -> None:
    # Others of C: 100,000 and 80,000, median 90,000; 15 % below it is 76,500.
    # C at 60,000 is 1 - 60/90 = 33.33 % below: flagged. A: others 80,000 and 60,000,
    # median 70,000; 100,000 is 42.86 % above (-42.86), not flagged.
    stage = score([bid("a", 80, 100_000), bid("b", 70, 80_000), bid("c", 60, 60_000)], policy())
    checks = {b.proposal: b.abnormally_low for b in stage.bids}
    c, a = checks["c"], checks["a"]
    assert c is not None and a is not None
    assert (c.flagged, c.reference_price, c.threshold_price, c.below_reference_percent) == (
        True,
        90_000.0,
        76_500.0,
        33.33,
    )
    assert (a.flagged, a.below_reference_percent) == (False, -42.86)


def test_abnormally_low_against_the_mean_and_its_threshold() -> None:
    # Mean of the others of D: (100 + 100 + 160) / 3 = 120; 25 % below: 90. D at 90 is
    # exactly on the line: not below it, not flagged; at 89.99 it is.
    rule = {"abnormally_low": {"below_percent": 25, "reference": "mean"}}
    others = [bid("a", 50, 100), bid("b", 50, 100), bid("c", 50, 160)]
    on_line = score([*others, bid("d", 50, 90)], policy(**rule)).bids
    below = score([*others, bid("d", 50, 89.99)], policy(**rule)).bids
    line_check = next(b.abnormally_low for b in on_line if b.proposal == "d")
    below_check = next(b.abnormally_low for b in below if b.proposal == "d")
    assert line_check is not None and below_check is not None
    assert (line_check.reference_price, line_check.threshold_price) == (120.0, 90.0)
    assert (line_check.flagged, below_check.flagged) == (False, True)


def test_abnormally_low_check_can_be_turned_off_and_needs_another_bid() -> None:
    off = score([bid("a", 50, 1), bid("b", 50, 1000)], policy(abnormally_low=None))
    assert all(b.abnormally_low is None for b in off.bids)
    alone = score([bid("a", 50, 1)], policy())
    assert alone.bids[0].abnormally_low is None


# --- errors -------------------------------------------------------------------


def test_every_price_problem_is_reported_at_once_with_file_and_field() -> None:
    bids = [
        bid("a", 80, 100, source="a.yaml"),
        bid("b", 80, -5, source="b.yaml"),
        bid("c", 80, 100, currency="GBP", source="c.yaml"),
        bid("d", 80, 100, period_years=3, source="d.yaml"),
        bid("e", 80, None, source="e.yaml"),
        bid("f", 80, 100, source="f.yaml"),
    ]
    with pytest.raises(InvalidInputError) as caught:
        score(bids, policy())
    found = {(p.file, p.field) for p in caught.value.problems}
    assert found == {
        ("b.yaml", "cost"),
        ("c.yaml", "cost.currency"),
        ("d.yaml", "cost.period_years"),
        ("e.yaml", "cost"),
    }
    messages = {p.file: p.message for p in caught.value.problems}
    assert "at least 0.01" in messages["b.yaml"]
    assert "GBP differs from EUR" in messages["c.yaml"]
    assert "3 differs from 5" in messages["d.yaml"]
    assert "states no cost" in messages["e.yaml"]


def test_zero_price_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"at least 0\.01 \(a cent\), not 0"):
        score([bid("a", 50, 0), bid("b", 50, 10)], policy())
    with pytest.raises(InvalidInputError, match="appears twice"):
        score([bid("a", 50, 10), bid("a", 60, 10)], policy())


def test_no_cost_at_all_is_an_error_only_when_price_is_scored() -> None:
    bids = [bid("a", 50, None), bid("b", 60, None)]
    with pytest.raises(InvalidInputError, match="states no cost"):
        score(bids, policy())
    assert score(bids, policy("excluded")).winner == "b"


# --- rank reversal ------------------------------------------------------------


REVERSAL = [bid("a", 80, 100), bid("b", 76, 80), bid("c", 30, 20)]


def test_withdrawing_the_third_bid_swaps_the_first_two_under_relative() -> None:
    # 70:30 relative. With C (20, the lowest): A 56 + 0.3 x 20 = 62; B 53.2 + 0.3 x 25 = 60.7;
    # C 21 + 30 = 51: A first. Without C the lowest is B's 80: A 56 + 0.3 x 80 = 80;
    # B 53.2 + 30 = 83.2: B first. C's cheap bid shrank every price difference.
    assert order(score(REVERSAL, policy())) == ["a", "b", "c"]
    assert order(score(REVERSAL[:2], policy())) == ["b", "a"]
    robust = price_robustness(REVERSAL, policy())
    withdrawn_c = next(w for w in robust.withdrawals if w.withdrawn == "c")
    assert withdrawn_c.reversals == (("a", "b"),)
    assert (withdrawn_c.winner, withdrawn_c.winner_changes) == ("b", True)
    assert robust.rank_reversal and robust.winner_changes_on_withdrawal
    # C itself is abnormally low: others' median 90, 15 % below is 76.5.
    check = score(REVERSAL, policy()).bids[-1].abnormally_low
    assert check is not None and check.flagged


def test_a_fixed_benchmark_does_not_reverse() -> None:
    # Benchmark 80, zero at 160: A 100 -> 1 - 20/80 = 75, B and C at or below 80 -> 100.
    # A 56 + 22.5 = 78.5; B 53.2 + 30 = 83.2; C 21 + 30 = 51, with or without C.
    fixed = policy("benchmark", benchmark_price=80)
    assert combined(score(REVERSAL, fixed)) == {"b": 83.2, "a": 78.5, "c": 51.0}
    assert order(score(REVERSAL[:2], fixed)) == ["b", "a"]
    robust = price_robustness(REVERSAL, fixed)
    assert not robust.rank_reversal and not robust.winner_changes_on_withdrawal


def test_winner_across_methods() -> None:
    robust = price_robustness(REVERSAL, policy(benchmark_price=80))
    winners = {m.method.value: m.winner for m in robust.across_methods}
    # relative: A (above); benchmark: B (above); excluded: A, the better technical score;
    # per point: C 20/30 = 0.67 a point beats B 1.05 and A 1.25.
    assert winners["relative"] == "a" and winners["benchmark"] == "b"
    assert winners["excluded"] == "a" and winners["per-quality-point"] == "c"
    assert robust.winner_changes_across_methods
    no_benchmark = price_robustness(REVERSAL, policy())
    skipped = next(m for m in no_benchmark.across_methods if m.method is PriceMethod.BENCHMARK)
    assert (skipped.winner, skipped.note) == (None, "the pack sets no benchmark_price")


# --- break-even ---------------------------------------------------------------


def test_break_even_relative_when_the_runner_up_becomes_the_lowest() -> None:
    # A 74 wins, C 72 second (70:30, see test_weighted_combination). C is already the lowest,
    # so it keeps 100 on price (72) while A's price score falls to 100 x x / 100,000:
    # 56 + 0.3 x 100 x x / 100,000 = 72 -> x = 16 / 0.0003 = 53,333.33, 11.11 % below 60,000.
    bids = [bid("a", 80, 100_000), bid("b", 70, 80_000), bid("c", 60, 60_000)]
    result = price_robustness(bids, policy()).break_even
    assert result is not None
    assert (result.runner_up, result.price, result.reduction_percent) == ("c", 53_333.33, 11.11)
    assert (result.exact_tie, result.solved_by) == (True, "closed-form")


def test_break_even_relative_above_the_lowest() -> None:
    # A 90 at 100,000 beats B 80 at 80,000 (70:30): A 63 + 24 = 87, B 56 + 30 = 86... B is the
    # lowest. Add C 40 at 50,000 so B stays above the lowest: A 63 + 15 = 78;
    # B 56 + 18.75 = 74.75; C 28 + 30 = 58. B ties A when 56 + 0.3 x 100 x 50,000 / x = 78
    # -> x = 1,500,000 / 22 = 68,181.82.
    bids = [bid("a", 90, 100_000), bid("b", 80, 80_000), bid("c", 40, 50_000)]
    result = price_robustness(bids, policy()).break_even
    assert result is not None and (result.runner_up, result.price) == ("b", 68_181.82)
    assert result.solved_by == "closed-form" and result.exact_tie


def test_break_even_linear_with_two_bids_is_an_edge_not_a_tie() -> None:
    # Two bids, linear: the cheaper scores 100, the dearer 0. B (70, 90) 49 + 30 = 79 beats
    # A (80, 100) 56. Once A bids 90 or less it takes the 100 and wins 86 to 49: the scores
    # jump at 90 and never meet.
    result = price_robustness([bid("a", 80, 100), bid("b", 70, 90)], policy("linear")).break_even
    assert result is not None
    assert (result.runner_up, result.price, result.exact_tie) == ("a", 90.0, False)
    assert result.solved_by == "bisection"


def test_no_break_even_when_price_cannot_close_the_gap() -> None:
    # 70:30: a 50-point technical gap is worth 35 points; price can give at most 30.
    result = price_robustness([bid("a", 100, 100), bid("b", 50, 100)], policy()).break_even
    assert result is not None
    assert (result.price, result.solved_by) == (None, "none")
    assert "cannot catch up" in result.explanation


def test_no_break_even_when_price_is_excluded_or_alone() -> None:
    assert price_robustness(REVERSAL, policy("excluded")).break_even is None
    assert price_robustness([bid("a", 50, 10)], policy()).break_even is None


def test_break_even_of_bids_already_level_is_their_price() -> None:
    # Same price and technical score: tied first, the tie-break (id) put b second.
    result = price_robustness([bid("b", 70, 500), bid("a", 70, 500)], policy()).break_even
    assert result is not None
    assert (result.runner_up, result.price, result.solved_by, result.exact_tie) == (
        "b",
        500.0,
        "already-tied",
        True,
    )


def random_races(seed: int) -> Race:
    rng = random.Random(seed)
    size = rng.randint(2, 5)
    return Race(
        tuple(f"p{i}" for i in range(size)),
        tuple(round(rng.uniform(30, 100), 1) for _ in range(size)),
        tuple(round(rng.uniform(10_000, 200_000), 2) for _ in range(size)),
    )


METHODS = [
    policy(),
    policy("linear"),
    policy("logarithmic", log_base=3),
    policy("benchmark", benchmark_price=90_000),
    policy("per-quality-point"),
    policy("qcbs", technical_minimum=0, technical_weight=80, price_weight=20),
]


@pytest.mark.parametrize("rule", METHODS, ids=lambda p: p.method.value)
@pytest.mark.parametrize("seed", range(12))
def test_break_even_matches_bisection_and_brute_force(rule: PricePolicy, seed: int) -> None:
    race = random_races(seed)
    result = break_even(race, rule)
    ranked = race.order(rule)
    r, w = race.ids.index(ranked[1]), race.ids.index(ranked[0])
    current = race.prices[r]
    gap = _gap_function(race, rule, r, w)
    # Brute force: the highest price on a fine grid at which the runner-up is level or ahead.
    steps = 4000
    grid = [current * k / steps for k in range(1, steps + 1)]
    level = [x for x in grid if gap(x) >= 0]
    if result.price is None:
        assert not level
        return
    assert level, "a break-even price was reported where none exists"
    assert abs(result.price - max(level)) <= current / steps + 0.01
    bisected = _bisect(gap, current)
    assert bisected is not None and abs(result.price - bisected) <= 0.01
    closed = _closed_form(race, rule, r, w)
    if result.solved_by == "closed-form":
        assert closed is not None and abs(closed - bisected) <= 0.01


# --- properties ---------------------------------------------------------------


prices_st = st.floats(min_value=1_000, max_value=1e7, allow_nan=False)
technical_st = st.floats(min_value=0, max_value=100, allow_nan=False)
SCORED = [m for m in PriceMethod if m is not PriceMethod.EXCLUDED]


def rule_for(method: PriceMethod) -> PricePolicy:
    extra: dict[str, Any] = {}
    if method is PriceMethod.BENCHMARK:
        extra["benchmark_price"] = 500_000
    if method is PriceMethod.QCBS:
        extra["technical_minimum"] = 0
    return policy(method.value, **extra)


@given(st.sampled_from(SCORED), st.lists(prices_st, min_size=1, max_size=8))
def test_price_scores_stay_within_0_and_100(method: PriceMethod, prices: list[float]) -> None:
    assert all(0 <= s <= 100 for s in price_scores(rule_for(method), prices))


@given(st.lists(prices_st, min_size=1, max_size=8))
def test_the_lowest_price_scores_100_under_relative(prices: list[float]) -> None:
    scores = price_scores(policy(), prices)
    assert scores[prices.index(min(prices))] == 100


@given(
    st.sampled_from([PriceMethod.RELATIVE, PriceMethod.LINEAR, PriceMethod.LOGARITHMIC]),
    st.lists(prices_st, min_size=1, max_size=8),
    st.floats(min_value=0.01, max_value=100),
)
def test_scaling_every_price_leaves_relative_formulas_unchanged(
    method: PriceMethod, prices: list[float], factor: float
) -> None:
    before = price_scores(rule_for(method), prices)
    after = price_scores(rule_for(method), [p * factor for p in prices])
    assert after == pytest.approx(before, abs=1e-7)


@given(
    st.sampled_from(list(PriceMethod)),
    st.lists(st.tuples(technical_st, prices_st), min_size=1, max_size=6),
    st.data(),
)
def test_lowering_ones_own_price_never_lowers_ones_own_score(
    method: PriceMethod, entries: list[tuple[float, float]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    cut = data.draw(st.floats(min_value=0.01, max_value=1.0))
    technical = [t for t, _ in entries]
    prices = [p for _, p in entries]
    before = combined_scores(rule_for(method), technical, prices)[index]
    prices[index] *= cut
    after = combined_scores(rule_for(method), technical, prices)[index]
    assert after >= before - 1e-9


@given(
    st.sampled_from(list(PriceMethod)),
    st.lists(st.tuples(technical_st, prices_st), min_size=2, max_size=6),
    st.data(),
)
def test_lowering_ones_own_price_never_raises_anyone_elses_score(
    method: PriceMethod, entries: list[tuple[float, float]], data: st.DataObject
) -> None:
    # Why the runner-up at its break-even price is ahead of every other bid too.
    index = data.draw(st.integers(0, len(entries) - 1))
    cut = data.draw(st.floats(min_value=0.01, max_value=1.0))
    technical = [t for t, _ in entries]
    prices = [p for _, p in entries]
    before = combined_scores(rule_for(method), technical, prices)
    prices[index] *= cut
    after = combined_scores(rule_for(method), technical, prices)
    others = [i for i in range(len(entries)) if i != index]
    assert all(after[i] <= before[i] + 1e-9 for i in others)


@settings(max_examples=150)
@given(
    st.sampled_from(SCORED),
    st.lists(st.tuples(st.integers(0, 100), st.integers(1_000, 1_000_000)), min_size=2, max_size=5),
)
def test_the_break_even_price_really_ties(
    method: PriceMethod, entries: list[tuple[int, int]]
) -> None:
    bids = [bid(f"p{i}", t, p) for i, (t, p) in enumerate(entries)]
    rule = rule_for(method)
    result = price_robustness(bids, rule).break_even
    assert result is not None
    assume(result.price is not None and result.exact_tie and result.price > 0)
    assert result.price is not None
    moved = [
        b.model_copy(update={"price": result.price}) if b.proposal == result.runner_up else b
        for b in bids
    ]
    scores = combined(score(moved, rule))
    runner_up, winner = scores[result.runner_up], scores[result.winner]
    assert runner_up is not None and winner is not None
    assert abs(runner_up - winner) <= 0.02


@settings(max_examples=60)
@given(
    st.sampled_from(list(PriceMethod)),
    st.lists(st.tuples(st.integers(0, 100), st.integers(1_000, 1_000_000)), min_size=1, max_size=5),
    st.randoms(use_true_random=False),
)
def test_records_are_trusted_and_do_not_depend_on_input_order(
    method: PriceMethod, entries: list[tuple[int, int]], shuffle: random.Random
) -> None:
    bids = [bid(f"p{i}", t, p) for i, (t, p) in enumerate(entries)]
    rule = rule_for(method)
    stage, robust = score(bids, rule), price_robustness(bids, rule)
    shuffled = list(bids)
    shuffle.shuffle(shuffled)
    assert score(shuffled, rule).model_dump_json() == stage.model_dump_json()
    assert price_robustness(shuffled, rule).model_dump_json() == robust.model_dump_json()
    # Re-validating what the engine built gives the same bytes.
    for record in (stage, robust):
        dumped = record.model_dump_json()
        assert type(record).model_validate_json(dumped).model_dump_json() == dumped


def test_every_price_model_is_documented_and_frozen() -> None:
    models = [
        value
        for value in vars(price_models).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == price_models.__name__
    ]
    assert len(models) >= 9
    for model in [*models, PricePolicy, WholeLifeCost]:
        assert model.model_config.get("frozen") is True
        docs = field_docs(model)
        assert not [name for name in model.model_fields if not docs.get(name)], model
