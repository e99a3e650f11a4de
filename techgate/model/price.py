"""Price in a comparison of several proposals: the bids going in, the records coming out.

A comparison runs in two stages. The technical evaluation is finished first
(assessors need never see a price); only then are the prices of the bids
still in the race opened and scored. `PriceStage` records both stages;
`PriceRobustness` records how far the outcome depends on the price formula
and on which bids took part. The formulas are in docs/price.md.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from techgate.model._base import Frozen, Record
from techgate.model.criteria import PriceMethod, ReferenceStatistic


class Bid(Frozen):
    """One proposal in a comparison, after its technical evaluation."""

    proposal: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    """The proposal's id; unique within the comparison."""
    source: Annotated[str, StringConstraints(max_length=4096)] = ""
    """The proposal's file, named in errors about its cost; empty: the id is named."""
    technical_score: Annotated[float, Field(ge=0, le=100)]
    """Its overall technical score, 0-100, from the first stage."""
    price: float | None = None
    """Its whole-life price (WholeLifeCost.total), or null when it states no cost."""
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    """ISO 4217 code of the price."""
    period_years: Annotated[int, Field(ge=1, le=50)] | None = None
    """Years the price covers."""

    @property
    def where(self) -> str:
        """The file (or, lacking one, the id) problems with this bid are reported against."""
        return self.source or self.proposal


class TechnicalStanding(Record):
    """A bid as the first stage left it, before any price was seen."""

    proposal: str
    """The proposal's id."""
    technical_score: float
    """Its technical score, 0-100."""
    technical_rank: int
    """Its place on technical score alone (1 = best; equal scores share a place)."""
    opened: bool
    """Whether its price is opened: it reaches the technical minimum (or there is none)."""


class AbnormallyLow(Record):
    """The abnormally-low check of one bid against the other opened bids."""

    flagged: bool
    """Whether the price is further below the reference than the pack allows: explain it."""
    reference: ReferenceStatistic
    """Which middle of the other bids' prices it was measured against."""
    reference_price: float
    """That median or mean of the other opened bids' prices."""
    threshold_price: float
    """The price below which a bid is flagged: the reference less the pack's percentage."""
    below_reference_percent: float
    """How far below the reference the price is, in percent (negative: above it)."""


class BidPrice(Record):
    """One bid after the second stage: its price, scores and place."""

    proposal: str
    """The proposal's id."""
    technical_score: float
    """Its technical score, 0-100, from the first stage."""
    opened: bool
    """Whether its price was opened; a bid below the technical minimum is out, unpriced."""
    price: float | None
    """Its whole-life price, when opened and stated."""
    price_score: float | None
    """Its price score, 0-100, under the pack's method; null when not opened or when price
    is excluded from the score."""
    price_per_point: float | None
    """Price per technical point (price / technical score): lower is better; null without a
    price or with a technical score of 0."""
    combined_score: float | None
    """The score it is ranked by, 0-100: technical and price scores weighted, the value for
    money index (per-quality-point), or the technical score (price excluded); null when
    not opened."""
    rank: int | None
    """Its place (1 = best; equal combined scores share a place); null when not opened."""
    abnormally_low: AbnormallyLow | None
    """The abnormally-low check; null when it is off, the bid is unopened or no other
    opened bid has a price."""


class PriceStage(Record):
    """Both stages of a comparison: the technical standing, then price."""

    method: PriceMethod
    """The price method applied."""
    technical_weight: float
    """Weight of the technical score in the combined score (weighted methods)."""
    price_weight: float
    """Weight of the price score in the combined score (weighted methods)."""
    technical_minimum: float | None
    """The technical score a bid had to reach for its price to be opened."""
    currency: str | None
    """ISO 4217 code of every opened price; null when none was stated."""
    period_years: int | None
    """Years every opened price covers; null when none was stated."""
    lowest_price: float | None
    """The lowest opened price (Pbest of the relative formulas)."""
    technical: tuple[TechnicalStanding, ...]
    """Stage one: every bid in the race by technical score, best first, prices unseen."""
    bids: tuple[BidPrice, ...]
    """Stage two: opened bids by rank, then unopened ones by technical score."""
    winner: str | None
    """The proposal ranked first (the first of them by technical score, then id, on a tie)."""
    tied_for_first: tuple[str, ...]
    """Every proposal sharing first place, when more than one does."""


class BreakEven(Record):
    """The whole-life price at which the runner-up would draw level with the winner."""

    winner: str
    """The proposal ranked first."""
    runner_up: str
    """The proposal ranked second."""
    runner_up_price: float
    """The runner-up's price now."""
    price: float | None
    """The runner-up price (to the cent) at which it ties the winner, every other bid
    unchanged; null when no price above zero makes it win."""
    reduction_percent: float | None
    """How far that is below the runner-up's price now, in percent."""
    exact_tie: bool
    """Whether the scores meet at that price; false where a formula jumps (linear with two
    bids, scores cut off at 0) and the price is the edge the runner-up must undercut."""
    solved_by: str
    """'closed-form' or 'bisection', or 'none' when no price exists."""
    explanation: str
    """The result in a sentence."""


class Withdrawal(Record):
    """The ranking with one bid withdrawn."""

    withdrawn: str
    """The proposal left out."""
    winner: str | None
    """Who ranks first without it."""
    winner_changes: bool
    """Whether that is someone other than the full comparison's winner (it was not the
    winner that withdrew)."""
    reversals: tuple[tuple[str, str], ...]
    """Pairs (a, b) of remaining bids where a ranked above b with every bid in, and b above a
    without the withdrawn one: the rank reversal relative formulas allow."""


class MethodWinner(Record):
    """Who wins under one price method, with the pack's weights."""

    method: PriceMethod
    """The method."""
    winner: str | None
    """The proposal ranked first under it; null when it cannot be applied."""
    order: tuple[str, ...]
    """The opened bids in rank order under it."""
    note: str
    """Why it was not applied, when it was not (a benchmark method without a benchmark)."""


class PriceRobustness(Record):
    """How far the winner depends on the price formula and on which bids took part."""

    winner: str | None
    """The winner under the pack's policy."""
    break_even: BreakEven | None
    """The runner-up's break-even price; null with fewer than two opened bids or when price
    is excluded from the score."""
    withdrawals: tuple[Withdrawal, ...]
    """The ranking with each opened bid withdrawn in turn, by proposal id."""
    winner_changes_on_withdrawal: bool
    """Whether withdrawing some bid other than the winner changes the winner."""
    rank_reversal: bool
    """Whether withdrawing some bid swaps the order of two others."""
    across_methods: tuple[MethodWinner, ...]
    """The winner under each price method that can be applied with the pack's weights."""
    winner_changes_across_methods: bool
    """Whether some applicable method picks a different winner."""
