"""How far a comparison's winner depends on price: break-even, withdrawals, formulas.

Relative formulas score each price against the others, so adding or
withdrawing a bid can reorder the rest (rank reversal), and the runner-up
cutting its price moves the lowest price everyone is measured against.
Everything here re-scores with the functions of techgate.engine.price, so
what it reports is what scoring would give.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from techgate.engine.numbers import money, points
from techgate.engine.price import check_bids, combined_scores, opened, price_scores, rank
from techgate.model.criteria import PriceMethod, PricePolicy
from techgate.model.price import Bid, BreakEven, MethodWinner, PriceRobustness, Withdrawal

__all__ = ["break_even", "price_robustness"]

# The methods compared side by side. qcbs is relative among the bids that
# reach the minimum, and the minimum applies to every method here, so it
# would repeat relative.
ACROSS = (
    PriceMethod.RELATIVE,
    PriceMethod.LINEAR,
    PriceMethod.LOGARITHMIC,
    PriceMethod.BENCHMARK,
    PriceMethod.PER_QUALITY_POINT,
    PriceMethod.EXCLUDED,
)
# Scores (0-100) closer than this count as level when checking a solved price.
TIE_TOLERANCE = 1e-6
# Bisection stops when the bracket is this small a share of the runner-up's price.
BRACKET = 1e-12


@dataclass(frozen=True)
class Race:
    """The opened bids as plain lists, in the order given."""

    ids: tuple[str, ...]
    technical: tuple[float, ...]
    prices: tuple[float, ...]

    def order(self, policy: PricePolicy) -> tuple[str, ...]:
        scores = combined_scores(policy, self.technical, self.prices)
        return tuple(self.ids[i] for i in rank(self.ids, self.technical, scores).order)

    def without(self, proposal: str) -> Race:
        keep = [i for i, p in enumerate(self.ids) if p != proposal]
        return Race(
            tuple(self.ids[i] for i in keep),
            tuple(self.technical[i] for i in keep),
            tuple(self.prices[i] for i in keep),
        )


def _race_of(bids: Sequence[Bid], policy: PricePolicy) -> Race:
    entrants = sorted(
        (b for b in opened(bids, policy) if b.price is not None), key=lambda b: b.proposal
    )
    return Race(
        tuple(b.proposal for b in entrants),
        tuple(b.technical_score for b in entrants),
        tuple(b.price for b in entrants if b.price is not None),
    )


def price_robustness(bids: Sequence[Bid], policy: PricePolicy) -> PriceRobustness:
    """Break-even price, each bid withdrawn in turn, and the winner under each method."""
    check_bids(bids, policy)
    race = _race_of(bids, policy)
    scored = policy.method is not PriceMethod.EXCLUDED
    complete = len(race.ids) == len(opened(bids, policy))
    if scored or complete:
        order = race.order(policy)
    else:  # price excluded and not every bid priced: rank on technical scores alone
        ids = [b.proposal for b in opened(bids, policy)]
        technical = [b.technical_score for b in opened(bids, policy)]
        order = tuple(ids[i] for i in rank(ids, technical, technical).order)
    winner = order[0] if order else None
    withdrawals = _withdrawals(race, policy, order) if complete else ()
    across = tuple(_method_winner(race, policy, method, complete) for method in ACROSS)
    return PriceRobustness.trusted(
        winner=winner,
        break_even=break_even(race, policy) if scored and len(order) >= 2 else None,
        withdrawals=withdrawals,
        winner_changes_on_withdrawal=any(w.winner_changes for w in withdrawals),
        rank_reversal=any(w.reversals for w in withdrawals),
        across_methods=across,
        winner_changes_across_methods=any(
            m.winner is not None and m.winner != winner for m in across
        ),
    )


# --- withdrawals --------------------------------------------------------------


def _withdrawals(race: Race, policy: PricePolicy, order: tuple[str, ...]) -> tuple[Withdrawal, ...]:
    if len(order) < 2:
        return ()
    full_rank = _places(race, policy)
    results = []
    for proposal in sorted(race.ids):
        rest = race.without(proposal)
        places = _places(rest, policy)
        after = rest.order(policy)
        reversals = tuple(
            (a, b)
            for a in order
            for b in order
            if a != proposal
            and b != proposal
            and full_rank[a] < full_rank[b]
            and places[b] < places[a]
        )
        new_winner = after[0] if after else None
        results.append(
            Withdrawal.trusted(
                withdrawn=proposal,
                winner=new_winner,
                winner_changes=proposal != order[0] and new_winner != order[0],
                reversals=reversals,
            )
        )
    return tuple(results)


def _places(race: Race, policy: PricePolicy) -> dict[str, int]:
    scores = combined_scores(policy, race.technical, race.prices)
    ranking = rank(race.ids, race.technical, scores)
    return dict(zip(race.ids, ranking.ranks, strict=True))


# --- across methods -----------------------------------------------------------


def _method_winner(
    race: Race, policy: PricePolicy, method: PriceMethod, complete: bool
) -> MethodWinner:
    if method is PriceMethod.BENCHMARK and policy.benchmark_price is None:
        return MethodWinner.trusted(
            method=method, winner=None, order=(), note="the pack sets no benchmark_price"
        )
    if not complete and method is not PriceMethod.EXCLUDED:
        return MethodWinner.trusted(
            method=method, winner=None, order=(), note="not every opened bid states a cost"
        )
    order = race.order(policy.model_copy(update={"method": method}))
    return MethodWinner.trusted(
        method=method, winner=order[0] if order else None, order=order, note=""
    )


# --- break-even ---------------------------------------------------------------


def break_even(race: Race, policy: PricePolicy) -> BreakEven:
    """The runner-up's price at which it draws level with the winner, all else unchanged."""
    order = race.order(policy)
    w, r = race.ids.index(order[0]), race.ids.index(order[1])
    current = race.prices[r]
    gap = _gap_function(race, policy, r, w)
    solved_by = "closed-form"
    if gap(current) >= 0:
        price: float | None = current  # already level; the order was settled by the tie-break
        solved_by = "already-tied"
    else:
        price = _closed_form(race, policy, r, w)
        if price is None or abs(gap(price)) > TIE_TOLERANCE:
            price, solved_by = _bisect(gap, current), "bisection"
    if price is None:
        return BreakEven.trusted(
            winner=order[0],
            runner_up=order[1],
            runner_up_price=money(current),
            price=None,
            reduction_percent=None,
            exact_tie=False,
            solved_by="none",
            explanation=(
                f"{order[1]} cannot catch up with {order[0]} on price: even near zero its "
                f"price score does not make up the technical gap under {policy.method.value}"
            ),
        )
    exact = abs(gap(price)) <= 0.005
    reduction = 100.0 * (1.0 - price / current)
    return BreakEven.trusted(
        winner=order[0],
        runner_up=order[1],
        runner_up_price=money(current),
        price=money(price),
        reduction_percent=points(reduction),
        exact_tie=exact,
        solved_by=solved_by,
        explanation=(
            f"{order[1]} would {'tie' if exact else 'overtake'} {order[0]} at a whole-life "
            f"price of {money(price):,.2f}, {points(reduction):g} % below its own"
        ),
    )


def _gap_function(race: Race, policy: PricePolicy, r: int, w: int) -> Callable[[float], float]:
    """The runner-up's combined score less the winner's, with the runner-up at price x."""

    def gap(x: float) -> float:
        prices = list(race.prices)
        prices[r] = x
        scores = combined_scores(policy, race.technical, prices)
        return scores[r] - scores[w]

    return gap


def _bisect(gap: Callable[[float], float], current: float) -> float | None:
    """The highest price at which the gap is still >= 0; the gap falls as the price rises.

    Every formula here gives the runner-up a score that falls with its own
    price and the winner one that rises with it (or stays), so the gap is
    monotone and one crossing (or jump) is found by halving the bracket.
    """
    low, high = current * 1e-9, current
    if gap(low) < 0:
        return None
    while high - low > current * BRACKET:
        middle = (low + high) / 2
        if gap(middle) >= 0:
            low = middle
        else:
            high = middle
    return low


def _closed_form(race: Race, policy: PricePolicy, r: int, w: int) -> float | None:
    """The tying price solved by hand (docs/price.md, section 6); None where none is known.

    `m` is the lowest price of the other bids: a runner-up price above it
    leaves the lowest price where it is, one below it becomes the lowest.
    """
    tech, prices = race.technical, race.prices
    tr, tw, pw_price = tech[r], tech[w], prices[w]
    m = min(p for i, p in enumerate(prices) if i != r)
    method = policy.method
    if method is PriceMethod.PER_QUALITY_POINT:
        # Level when the prices per point are equal: x / Tr = Pw / Tw.
        return pw_price * tr / tw if tr > 0 and tw > 0 else None
    wt, wp = policy.technical_weight, policy.price_weight
    if wp <= 0:
        return None
    # The runner-up's price score must exceed the winner's by the weighted technical gap.
    needed = wt * (tw - tr) / wp
    if method in (PriceMethod.RELATIVE, PriceMethod.QCBS):
        # Above m: Sr = 100 m / x = Sw + needed, with Sw = 100 m / Pw.
        target = 100 * m / pw_price + needed
        if target > 0 and 100 * m / target >= m:
            return 100 * m / target
        # Below m: Sr = 100 and Sw = 100 x / Pw, so x = Pw (100 - needed) / 100.
        x = pw_price * (100 - needed) / 100
        return x if 0 < x < m else None
    if method is PriceMethod.LOGARITHMIC:
        base = policy.log_base
        winner_score = max(0.0, 100 * (1 - math.log(pw_price / m) / math.log(base)))
        if 0 < winner_score + needed <= 100:
            # Above m: 100 (1 - log(x/m)/log A) = Sw + needed.
            x = m * float(base ** (1 - (winner_score + needed) / 100))
            if x >= m:
                return x
        # Below m: Sw = 100 (1 - log(Pw/x)/log A) = 100 - needed.
        if 0 < 100 - needed <= 100:
            x = pw_price / float(base ** (1 - (100 - needed) / 100))
            return x if x < m else None
        return None
    if method is PriceMethod.BENCHMARK:
        benchmark = policy.benchmark_price
        assert benchmark is not None
        target = price_scores(policy, [pw_price])[0] + needed
        if 0 < target < 100:
            # 100 (1 - (x - B) / ((Z - 1) B)) = target.
            return benchmark * (1 + (1 - target / 100) * (policy.benchmark_zero_ratio - 1))
        return benchmark if math.isclose(target, 100) else None
    if method is PriceMethod.LINEAR:
        # Between the others' lowest m and highest M the range stays put:
        # 100 (M - x) / (M - m) = Sw + needed. Outside it the range moves with
        # x; bisection handles those.
        top = max(p for i, p in enumerate(prices) if i != r)
        if top > m:
            target = 100 * (top - pw_price) / (top - m) + needed
            if 0 <= target <= 100:
                return top - target / 100 * (top - m)
    return None
