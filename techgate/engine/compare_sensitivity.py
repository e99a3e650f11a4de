"""How far a comparison's ranking depends on the weights (SMAA rank acceptability, swaps).

The ranking score of a proposal is a weighted mean of its criterion scores
(and, when the pack weighs price, its price score), so the ranking
primitives of engine.ranking apply to it directly: one row per ranked
proposal, one column per criterion (and price).
"""

from __future__ import annotations

import numpy as np

from techgate.engine.numbers import share
from techgate.engine.price import WEIGHTED
from techgate.engine.ranking import rank_acceptability, winner_swaps
from techgate.model.comparison import RankingSensitivity, RankShare, WinnerSwap
from techgate.model.criteria import CriteriaPack
from techgate.model.evaluation import Evaluation, SensitivityRequest
from techgate.model.price import PriceStage

PRICE = "price"


def ranking_sensitivity(
    records: list[Evaluation],
    pack: CriteriaPack,
    price: PriceStage | None,
    request: SensitivityRequest,
) -> RankingSensitivity | None:
    """Rank acceptability and winner swaps for the ranked proposals, best first.

    None with fewer than two, or when price per quality point ranks them (a
    ratio, not a weighted sum of the columns varied here).
    """
    if len(records) < 2:
        return None
    weighs_price = price is not None and price.method in WEIGHTED
    if price is not None and not weighs_price and price.method.value != "excluded":
        return None
    names = [(c.id, c.title) for c in pack.criteria]
    values = np.array(
        [[np.nan if c.score is None else c.score for c in r.criteria] for r in records]
    )
    weights = np.array([c.weight for c in pack.criteria], dtype=float)
    if weighs_price and price is not None:
        scores = {b.proposal: b.price_score for b in price.bids}
        column = [scores.get(r.proposal.id) for r in records]
        values = np.column_stack([values, [np.nan if s is None else s for s in column]])
        # Technical weights keep their shares of the technical part; price gets its own.
        weights = np.append(weights / weights.sum() * price.technical_weight, price.price_weight)
        names.append((PRICE, "Price"))
    eligible = np.ones(len(records), dtype=bool)
    found = rank_acceptability(
        values,
        weights,
        eligible,
        samples=request.samples,
        seed=request.seed,
        concentration=request.concentration,
        tie_decimals=2,
    )
    swaps = winner_swaps(values, weights, eligible, tie_decimals=2)
    ids = [r.proposal.id for r in records]
    shares = tuple(
        RankShare.trusted(
            proposal=ids[v],
            wins=share(float(found.wins[v])),
            ranks=tuple(share(float(x)) for x in found.ranks[v]),
        )
        for v in range(len(ids))
    )
    total = float(weights.sum())
    swapped = tuple(
        WinnerSwap.trusted(
            weight=names[s.column][0],
            title=names[s.column][1],
            share=round(100 * float(weights[s.column]) / total, 2),
            up=s.up,
            up_winner=None if s.up_winner is None else ids[s.up_winner],
            down=s.down,
            down_winner=None if s.down_winner is None else ids[s.down_winner],
        )
        for s in swaps
    )
    return RankingSensitivity.trusted(
        samples=request.samples,
        seed=request.seed,
        concentration=request.concentration,
        weighs_price=weighs_price,
        top_ties=share(float(found.top_ties)),
        shares=shares,
        swaps=swapped,
        summary=_summary(shares, swapped, request, float(found.top_ties)),
    )


def _summary(
    shares: tuple[RankShare, ...],
    swaps: tuple[WinnerSwap, ...],
    request: SensitivityRequest,
    top_ties: float,
) -> str:
    first = shares[0]
    nearest = [
        (amount, s.title, who)
        for s in swaps
        for amount, who in ((s.up, s.up_winner), (s.down, s.down_winner))
        if amount is not None and who is not None
    ]
    text = (
        f"{first.proposal} ranks first in {first.wins:.0%} of {request.samples:,} weightings "
        f"drawn around the pack's (concentration {request.concentration:g})"
    )
    if top_ties:
        # A tie counts for the earlier proposal in the shares; say how often it was one.
        text += f", tied for first in {top_ties:.0%} of them"
    if nearest:
        amount, title, who = min(nearest)
        text += f"; the smallest change that puts {who} first is {title} by {amount:g} points"
    else:
        text += "; no single weight change puts another proposal first"
    return text + "."
