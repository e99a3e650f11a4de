"""Price in a comparison: the second stage, after the technical evaluation.

Pure functions. `score_prices` checks the bids, opens the prices of the bids
that reach the technical minimum, scores them by the pack's method and ranks
them; `price_robustness` (in price_robustness) asks how far that outcome
depends on the formula and on who took part. The formulas are written out in
docs/price.md; the numbered comments here refer to it.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from techgate.engine.numbers import money, points
from techgate.errors import InputProblem, InvalidInputError
from techgate.model.criteria import CriteriaPack, PriceMethod, PricePolicy, ReferenceStatistic
from techgate.model.price import AbnormallyLow, Bid, BidPrice, PriceStage, TechnicalStanding
from techgate.model.proposal import Proposal

__all__ = ["bid_for", "effective_policy", "score_prices"]

# Methods whose combined score is technical and price scores weighted together.
WEIGHTED = frozenset(
    {
        PriceMethod.RELATIVE,
        PriceMethod.LINEAR,
        PriceMethod.LOGARITHMIC,
        PriceMethod.BENCHMARK,
        PriceMethod.QCBS,
    }
)


def effective_policy(pack: CriteriaPack) -> PricePolicy:
    """The pack's price policy, or the default one (relative, 70:30) when it sets none."""
    return pack.price if pack.price is not None else PricePolicy()


def bid_for(proposal: Proposal, technical_score: float, source: str = "") -> Bid:
    """The bid a proposal makes, given its technical score from the first stage."""
    cost = proposal.cost
    return Bid(
        proposal=proposal.id,
        source=source,
        technical_score=technical_score,
        price=None if cost is None else cost.total(),
        currency=None if cost is None else cost.currency,
        period_years=None if cost is None else cost.period_years,
    )


# --- the formulas, on plain floats -------------------------------------------


def price_scores(policy: PricePolicy, prices: Sequence[float]) -> list[float]:
    """Each price's score, 0-100, among these prices (docs/price.md, section 2)."""
    if not prices:
        return []
    method = policy.method
    lowest, highest = min(prices), max(prices)
    if method is PriceMethod.LINEAR:
        if highest == lowest:
            return [100.0] * len(prices)
        return [100.0 * ((highest - p) / (highest - lowest)) for p in prices]
    if method is PriceMethod.LOGARITHMIC:
        scale = math.log(policy.log_base)
        # Beyond A times the lowest price the formula goes negative; it stops at 0.
        return [max(0.0, 100.0 * (1.0 - math.log(p / lowest) / scale)) for p in prices]
    if method is PriceMethod.BENCHMARK:
        benchmark = policy.benchmark_price
        assert benchmark is not None  # the policy's validator requires it
        span = (policy.benchmark_zero_ratio - 1.0) * benchmark
        return [
            100.0 if p <= benchmark else max(0.0, 100.0 * (1.0 - (p - benchmark) / span))
            for p in prices
        ]
    # relative, qcbs, and the price score shown beside per-quality-point and excluded
    # lowest / p first: 100 * p / p can come out a hair above 100.
    return [100.0 * (lowest / p) for p in prices]


def value_scores(technical: Sequence[float], prices: Sequence[float]) -> list[float]:
    """Per-quality-point: 100 x the best price per point / each bid's price per point.

    A bid with a technical score of 0 buys no points at any price and scores 0.
    """
    ratios = [p / t if t > 0 else math.inf for t, p in zip(technical, prices, strict=True)]
    best = min(ratios, default=math.inf)
    if math.isinf(best):
        return [0.0] * len(ratios)
    return [0.0 if math.isinf(r) else 100.0 * (best / r) for r in ratios]


def combined_scores(
    policy: PricePolicy, technical: Sequence[float], prices: Sequence[float]
) -> list[float]:
    """The scores bids are ranked by (docs/price.md, section 3), unrounded."""
    method = policy.method
    if method is PriceMethod.EXCLUDED:
        return list(technical)
    if method is PriceMethod.PER_QUALITY_POINT:
        return value_scores(technical, prices)
    scores = price_scores(policy, prices)
    tw, pw = policy.technical_weight, policy.price_weight
    return [(tw * t + pw * s) / 100.0 for t, s in zip(technical, scores, strict=True)]


@dataclass(frozen=True)
class Ranking:
    """An order of bids and their places; indexes refer to the lists ranked."""

    order: tuple[int, ...]
    ranks: tuple[int, ...]


def rank(ids: Sequence[str], technical: Sequence[float], scores: Sequence[float]) -> Ranking:
    """Best first by rounded score, then technical score, then id; equal scores share a place.

    Scores are compared as the record shows them (two decimals), so float noise
    never decides a place.
    """
    shown = [points(s) for s in scores]
    order = sorted(range(len(ids)), key=lambda i: (-shown[i], -technical[i], ids[i]))
    ranks = [0] * len(ids)
    for position, i in enumerate(order):
        previous = order[position - 1] if position else None
        same = previous is not None and shown[previous] == shown[i]
        ranks[i] = ranks[previous] if same and previous is not None else position + 1
    return Ranking(tuple(order), tuple(ranks))


# --- checking the bids --------------------------------------------------------

# The smallest price the formulas are given. Records show money to the cent, so
# a smaller total would read as 0.00; and a price of a few hundred zeros after
# the point underflows to 0 once divided by a technical score (price per point),
# where the formulas would divide 0 by 0.
MIN_PRICE = 0.01


def opened(bids: Sequence[Bid], policy: PricePolicy) -> list[Bid]:
    """The bids whose price is opened: those reaching the technical minimum, if any."""
    minimum = policy.technical_minimum
    return [b for b in bids if minimum is None or b.technical_score >= minimum]


def check_bids(bids: Sequence[Bid], policy: PricePolicy) -> None:
    """Raise InvalidInputError naming every bid whose price cannot be compared.

    Only opened prices are looked at: an unopened envelope stays sealed.
    """
    problems: list[InputProblem] = []
    seen: set[str] = set()
    for bid in bids:
        if bid.proposal in seen:
            problems.append(
                _problem(bid, "id", f"proposal {bid.proposal!r} appears twice in the comparison")
            )
        seen.add(bid.proposal)
    race = opened(bids, policy)
    priced = [b for b in race if b.price is not None]
    if policy.method is not PriceMethod.EXCLUDED:
        for bid in race:
            if bid.price is None:
                problems.append(
                    _problem(
                        bid,
                        "cost",
                        f"states no cost, but this pack scores price ({policy.method.value}), "
                        "so every proposal compared must",
                        "add a 'cost' block with the bid's whole-life price schedule",
                    )
                )
    for bid in priced:
        assert bid.price is not None
        if not math.isfinite(bid.price) or bid.price < MIN_PRICE:
            problems.append(
                _problem(
                    bid,
                    "cost",
                    f"the whole-life price must be at least {MIN_PRICE} (a cent), "
                    f"not {bid.price:g}",
                )
            )
        if bid.currency is None:
            problems.append(_problem(bid, "cost.currency", "a price needs its currency"))
        if bid.period_years is None:
            problems.append(_problem(bid, "cost.period_years", "a price needs its period"))
    problems += _mismatches(priced, "currency", "cost.currency", "convert every price to one")
    problems += _mismatches(
        priced, "period_years", "cost.period_years", "price every bid over the same years"
    )
    if problems:
        raise InvalidInputError(problems)


def _mismatches(bids: Sequence[Bid], attribute: str, field: str, hint: str) -> list[InputProblem]:
    values = [getattr(b, attribute) for b in bids if getattr(b, attribute) is not None]
    counts = Counter(values)
    if len(counts) < 2:
        return []
    # The value most bids share is taken as the comparison's; ties go to the first in order.
    common = max(counts.items(), key=lambda item: (item[1], -values.index(item[0])))[0]
    word = "currency" if attribute == "currency" else "period (years)"
    return [
        _problem(
            bid,
            field,
            f"{word} {getattr(bid, attribute)} differs from {common}, which "
            f"{counts[common]} of the {len(values)} priced bids use",
            hint,
        )
        for bid in bids
        if getattr(bid, attribute) not in (None, common)
    ]


def _problem(bid: Bid, field: str, message: str, hint: str = "") -> InputProblem:
    return InputProblem(bid.where, None, None, field, message, hint)


# --- the stage record ---------------------------------------------------------


def score_prices(bids: Sequence[Bid], policy: PricePolicy) -> PriceStage:
    """Stage two of a comparison: open, score and rank the prices of the bids in the race.

    `bids` are the proposals still in the race (knock-outs left out before),
    with their technical scores. Raises InvalidInputError when prices cannot
    be compared (see check_bids).
    """
    check_bids(bids, policy)
    race = opened(bids, policy)
    ids = [b.proposal for b in race]
    technical = [b.technical_score for b in race]
    prices = [b.price for b in race]
    stated = [p for p in prices if p is not None]
    scored = policy.method is not PriceMethod.EXCLUDED
    if scored:
        plain = [p for p in prices if p is not None]
        combined = combined_scores(policy, technical, plain)
        shown_price = price_scores(policy, plain)
    else:
        combined = list(technical)
        shown_price = []
    ranking = rank(ids, technical, combined)
    checks = abnormally_low_checks(policy, prices)
    results = [
        BidPrice.trusted(
            proposal=ids[i],
            technical_score=points(technical[i]),
            opened=True,
            price=_money(prices[i]),
            price_score=points(shown_price[i]) if scored else None,
            price_per_point=_per_point(prices[i], technical[i]),
            combined_score=points(combined[i]),
            rank=ranking.ranks[i],
            abnormally_low=checks[i],
        )
        for i in ranking.order
    ]
    is_open = {b.proposal for b in race}
    results += [
        BidPrice.trusted(
            proposal=b.proposal,
            technical_score=points(b.technical_score),
            opened=False,
            price=None,
            price_score=None,
            price_per_point=None,
            combined_score=None,
            rank=None,
            abnormally_low=None,
        )
        for b in _by_technical(bids)
        if b.proposal not in is_open
    ]
    first = [ids[i] for i in ranking.order if ranking.ranks[i] == 1]
    priced = [b for b in race if b.price is not None]
    return PriceStage.trusted(
        method=policy.method,
        technical_weight=points(policy.technical_weight),
        price_weight=points(policy.price_weight),
        technical_minimum=None
        if policy.technical_minimum is None
        else points(policy.technical_minimum),
        currency=priced[0].currency if priced else None,
        period_years=priced[0].period_years if priced else None,
        lowest_price=money(min(stated)) if stated else None,
        technical=technical_standing(bids, policy),
        bids=tuple(results),
        winner=first[0] if first else None,
        tied_for_first=tuple(first) if len(first) > 1 else (),
    )


def technical_standing(bids: Sequence[Bid], policy: PricePolicy) -> tuple[TechnicalStanding, ...]:
    """Stage one as it stood before any price was opened."""
    ordered = _by_technical(bids)
    ranking = rank(
        [b.proposal for b in ordered],
        [b.technical_score for b in ordered],
        [b.technical_score for b in ordered],
    )
    minimum = policy.technical_minimum
    return tuple(
        TechnicalStanding.trusted(
            proposal=ordered[i].proposal,
            technical_score=points(ordered[i].technical_score),
            technical_rank=ranking.ranks[i],
            opened=minimum is None or ordered[i].technical_score >= minimum,
        )
        for i in ranking.order
    )


def abnormally_low_checks(
    policy: PricePolicy, prices: Sequence[float | None]
) -> list[AbnormallyLow | None]:
    """Each price measured against the median (or mean) of the other opened prices.

    The bid itself is left out of its reference, so a very low price cannot
    pull its own yardstick down, and two bids can be checked against each other.
    """
    rule = policy.abnormally_low
    checks: list[AbnormallyLow | None] = []
    for i, price in enumerate(prices):
        others = [p for j, p in enumerate(prices) if j != i and p is not None]
        if rule is None or price is None or not others:
            checks.append(None)
            continue
        if rule.reference is ReferenceStatistic.MEAN:
            reference = math.fsum(others) / len(others)
        else:
            reference = statistics.median(others)
        threshold = reference * (1.0 - rule.below_percent / 100.0)
        checks.append(
            AbnormallyLow.trusted(
                flagged=price < threshold,
                reference=rule.reference,
                reference_price=money(reference),
                threshold_price=money(threshold),
                below_reference_percent=points(100.0 * (1.0 - price / reference)),
            )
        )
    return checks


def _by_technical(bids: Sequence[Bid]) -> list[Bid]:
    return sorted(bids, key=lambda b: (-points(b.technical_score), b.proposal))


def _money(value: float | None) -> float | None:
    return None if value is None else money(value)


def _per_point(price: float | None, technical: float) -> float | None:
    return None if price is None or technical <= 0 else money(price / technical)
