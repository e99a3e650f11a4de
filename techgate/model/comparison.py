"""The comparison record: several vendors' proposals judged by one pack, ranked."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from techgate.model._base import Record
from techgate.model.evaluation import Decision, Evaluation
from techgate.model.price import PriceRobustness, PriceStage

COMPARISON_SCHEMA_VERSION = 1


class KnockOut(Record):
    """Why a proposal is out of the ranking."""

    gates: tuple[str, ...]
    """Ids of the no-go gates it failed (empty when the score or a cap decided no-go)."""
    reason: str
    """The knock-out in words."""


class Member(Record):
    """One proposal in the comparison."""

    id: str
    """Proposal id."""
    title: str
    """Proposal title."""
    vendor: str
    """Supplier."""
    decision: Decision
    """Its own decision, judged alone by the pack."""
    score: float
    """Technical score 0-100 (the pack's weighted score)."""
    confidence: float
    """How far its score can be trusted, 0-1."""
    assessor_spread: float
    """Range (up to five assessors, else interquartile range) of the overall scores the
    assessors would give alone, in points: the measurement noise of its score."""
    knocked_out: KnockOut | None
    """Why it is out of the ranking; null when it is ranked."""
    rank: int | None
    """1 for the best; equal ranks for exact ties; null when knocked out."""
    ranking_score: float | None
    """What the ranking orders by: the technical score, or technical and price
    combined when the pack scores price; null when knocked out."""
    price: float | None
    """Whole-life price when it was opened (null when not stated, or sealed)."""
    conditions: tuple[str, ...]
    """What must happen before it may be adopted (a conditional decision)."""
    proposal_sha256: str
    """SHA-256 of the proposal's canonical JSON."""


class NearTie(Record):
    """Two neighbours in the ranking that the panel's own noise cannot tell apart."""

    higher: str
    """Proposal id ranked higher."""
    lower: str
    """Proposal id ranked next."""
    difference: float
    """Difference in ranking score, points."""
    noise: float
    """The panel's noise it is within, points."""
    exact: bool
    """The scores are equal to the record's precision."""


class Difference(Record):
    """Where the ranked proposals differ: a criterion or an indicator."""

    kind: Literal["criterion", "indicator"]
    """Criterion or indicator."""
    id: str
    """Its id."""
    title: str
    """Its title."""
    range: float
    """Highest minus lowest score among ranked proposals (0-100)."""
    best: tuple[str, ...]
    """Proposal ids with the highest score."""
    worst: tuple[str, ...]
    """Proposal ids with the lowest score."""


class RankShare(Record):
    """How often one proposal holds each place when the weights are varied (SMAA)."""

    proposal: str
    """Proposal id."""
    wins: float
    """Share of the samples in which it ranks first, 0-1."""
    ranks: tuple[float, ...]
    """Share of the samples in which it holds place 1, 2, ... (rank acceptability)."""


class WinnerSwap(Record):
    """The smallest change of one weight that puts another proposal first."""

    weight: str
    """Criterion id, or 'price'."""
    title: str
    """Its title."""
    share: float
    """Its share of the ranking's weight now, percent."""
    up: float | None
    """Percentage points its share must rise (the others rescaled in proportion) before
    another proposal ranks first; null when no rise does."""
    up_winner: str | None
    """Who ranks first then."""
    down: float | None
    """Percentage points its share must fall before another proposal ranks first."""
    down_winner: str | None
    """Who ranks first then."""


class RankingSensitivity(Record):
    """How far the ranking depends on the weights; seeded, so reproducible."""

    samples: int
    """Random weight vectors drawn."""
    seed: int
    """Seed of numpy's PCG64 generator."""
    concentration: float
    """Dirichlet concentration: alpha = concentration x the weight shares."""
    weighs_price: bool
    """Whether price was one of the weights varied (technical and price weighted)."""
    top_ties: float
    """Share of the samples with a tie for first place."""
    shares: tuple[RankShare, ...]
    """Per ranked proposal, in ranking order."""
    swaps: tuple[WinnerSwap, ...]
    """Per weight: what would put another proposal first."""
    summary: str
    """The robustness of the winner in a sentence."""


class ComparisonProvenance(Record):
    """What produced the comparison."""

    techgate_version: str
    """techgate version."""
    record_schema: int
    """Version of this record's layout."""
    pack_id: str
    """Criteria pack id."""
    pack_version: str
    """Criteria pack version."""
    pack_sha256: str
    """SHA-256 of the resolved pack's canonical JSON."""
    as_of: dt.date
    """Latest date among the members' records."""


class Comparison(Record):
    """Several proposals for one need, judged by one pack and ranked."""

    title: str
    """What is being procured, in a line."""
    winner: str | None
    """The best-ranked proposal's id; null when every proposal is knocked out."""
    decision: Decision
    """The best-ranked proposal's decision (no-go when none is ranked)."""
    members: tuple[Member, ...]
    """Every proposal, ranked ones first in rank order, then the knocked-out ones."""
    noise: float
    """The panel's measurement noise: the median of the members' assessor spreads, points."""
    near_ties: tuple[NearTie, ...]
    """Neighbours in the ranking closer than the noise."""
    differences: tuple[Difference, ...]
    """Criteria and indicators, those the ranked proposals differ on most first."""
    recommendation: str
    """The recommendation in words."""
    price: PriceStage | None
    """Stage two: the prices of the bids still in the race, opened, scored and combined
    with the technical scores as the pack says; null when no price is stated or set."""
    price_robustness: PriceRobustness | None
    """How far the price stage's winner depends on the formula and on who bid: break-even
    price, each bid withdrawn, the winner under each method; null without a price stage."""
    sensitivity: RankingSensitivity | None
    """How the ranking moves with the weights; null with fewer than two ranked proposals,
    or when price per quality point (not a weighted sum) ranks them."""
    records: tuple[Evaluation, ...]
    """Each member's full decision record, in member order."""
    provenance: ComparisonProvenance
    """What produced this comparison."""
