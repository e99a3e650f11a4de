"""Compare several proposals for one need: knock-outs, ranking, near-ties, differences.

Pure functions over decision records the engine already made; the only
extra engine runs are the per-assessor scores that measure the panel's noise.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from techgate._version import __version__
from techgate.engine.aggregate import RANGE_SPREAD_UP_TO
from techgate.engine.compare_sensitivity import ranking_sensitivity
from techgate.engine.numbers import points
from techgate.engine.price import bid_for, effective_policy, score_prices
from techgate.engine.price_robustness import price_robustness
from techgate.model._base import replaced
from techgate.model.comparison import (
    COMPARISON_SCHEMA_VERSION,
    Comparison,
    ComparisonProvenance,
    Difference,
    KnockOut,
    Member,
    NearTie,
)
from techgate.model.criteria import CriteriaPack, Severity
from techgate.model.evaluation import (
    Decision,
    Evaluation,
    GateStatus,
    IndicatorStatus,
    SensitivityRequest,
)
from techgate.model.price import PriceRobustness, PriceStage
from techgate.model.proposal import Proposal

# Differences listed in the record: enough for the report's "where they differ".
MAX_DIFFERENCES = 12

Scorer = Callable[[Proposal, CriteriaPack], Evaluation]


@dataclass(frozen=True)
class Entry:
    """One proposal and its record, as the comparison receives them."""

    proposal: Proposal
    record: Evaluation
    source: str = ""
    """Where the proposal came from (its file), for problems with its price."""


def price_stage(
    entries: Sequence[Entry], pack: CriteriaPack, outs: dict[str, KnockOut | None]
) -> tuple[PriceStage | None, PriceRobustness | None]:
    """Stage two: prices of the bids still in the race, when any is stated or the pack asks.

    Knocked-out bids are left out before any price is opened, so a price
    never rescues a bid the pack would not adopt.
    """
    if pack.price is None and not any(e.proposal.cost for e in entries):
        return None, None
    policy = effective_policy(pack)
    bids = [
        bid_for(e.proposal, e.record.score, e.source)
        for e in entries
        if outs[e.proposal.id] is None
    ]
    if not bids:
        return None, None
    robust = price_robustness(bids, policy) if len(bids) >= 2 else None
    return score_prices(bids, policy), robust


def assessor_spread(proposal: Proposal, pack: CriteriaPack, evaluate: Scorer) -> float:
    """How far apart the overall scores are that each assessor would give alone.

    The range for up to five assessors, the interquartile range beyond (as
    for one indicator's answers); zero with fewer than two assessors. The
    assessors' own answers count, before any moderation.
    """
    if len(proposal.assessments) < 2:
        return 0.0
    # The spread of the independent answers: moderation, if it has started,
    # is the panel's agreement, not a measure of how far its members differ.
    scores = [
        evaluate(replaced(proposal, assessments=(assessment,), moderation=None), pack).score
        for assessment in proposal.assessments
    ]
    if len(scores) <= RANGE_SPREAD_UP_TO:
        return points(max(scores) - min(scores))
    first, _, third = statistics.quantiles(scores, n=4, method="inclusive")
    return points(third - first)


def knock_out(record: Evaluation) -> KnockOut | None:
    """Why a proposal cannot win: any no-go decision, naming the no-go gates it failed."""
    if record.decision is not Decision.NO_GO:
        return None
    failed = tuple(
        g.id for g in record.gates if g.status is GateStatus.FAILED and g.severity is Severity.NO_GO
    )
    if failed:
        titles = ", ".join(g.title for g in record.gates if g.id in failed)
        return KnockOut.trusted(gates=failed, reason=f"fails the no-go gate(s): {titles}")
    return KnockOut.trusted(
        gates=(),
        reason=f"judged no-go on its own (score {record.score:g}, "
        f"confidence {record.confidence:g})",
    )


def compare(
    entries: Sequence[Entry],
    pack: CriteriaPack,
    evaluate: Scorer,
    *,
    title: str,
    ranking_scores: dict[str, float] | None = None,
    sensitivity: SensitivityRequest | None = None,
) -> Comparison:
    """Rank the proposals that are not knocked out, by ranking_scores (default: technical).

    ranking_scores lets the price stage put technical and price together; a
    proposal missing from it is ranked on its technical score.
    """
    spreads = {e.proposal.id: assessor_spread(e.proposal, pack, evaluate) for e in entries}
    noise = points(statistics.median(spreads.values())) if spreads else 0.0
    outs = {e.proposal.id: knock_out(e.record) for e in entries}
    price, robust = price_stage(entries, pack, outs)
    ranking_scores = dict(ranking_scores or {})
    prices: dict[str, float | None] = {}
    if price is not None:
        for bid in price.bids:
            if not bid.opened:
                outs[bid.proposal] = KnockOut.trusted(
                    gates=(),
                    reason=f"below the technical minimum of {price.technical_minimum:g}: "
                    "its price stays sealed",
                )
            elif bid.combined_score is not None:
                ranking_scores[bid.proposal] = bid.combined_score
                prices[bid.proposal] = bid.price
    ranked_scores = {
        e.proposal.id: ranking_scores.get(e.proposal.id, e.record.score)
        for e in entries
        if outs[e.proposal.id] is None
    }
    technical = {e.proposal.id: e.record.score for e in entries}
    # Best first; equal scores share a rank, ordered by technical score, then
    # by id so that the order never wobbles (as the price stage ranks).
    order = sorted(ranked_scores, key=lambda key: (-ranked_scores[key], -technical[key], key))
    ranks: dict[str, int] = {}
    for position, key in enumerate(order, start=1):
        previous = order[position - 2] if position > 1 else None
        same = previous is not None and ranked_scores[previous] == ranked_scores[key]
        ranks[key] = ranks[previous] if same and previous else position
    by_id = {e.proposal.id: e for e in entries}
    members = tuple(
        _member(
            by_id[key],
            spreads[key],
            outs[key],
            ranks.get(key),
            ranked_scores.get(key),
            prices.get(key),
        )
        for key in [*order, *sorted(k for k in by_id if k not in ranks)]
    )
    near = tuple(
        NearTie.trusted(
            higher=a,
            lower=b,
            difference=points(ranked_scores[a] - ranked_scores[b]),
            noise=noise,
            exact=ranked_scores[a] == ranked_scores[b],
        )
        for a, b in itertools.pairwise(order)
        if ranked_scores[a] - ranked_scores[b] < noise or ranked_scores[a] == ranked_scores[b]
    )
    winner = order[0] if order else None
    records = tuple(by_id[m.id].record for m in members)
    return Comparison.trusted(
        title=title,
        winner=winner,
        decision=by_id[winner].record.decision if winner else Decision.NO_GO,
        members=members,
        noise=noise,
        near_ties=near,
        differences=_differences([by_id[key].record for key in order]),
        recommendation=_recommendation(
            members, near, winner, robust, price.technical_minimum if price else None
        ),
        price=price,
        price_robustness=robust,
        sensitivity=ranking_sensitivity(
            [by_id[key].record for key in order],
            pack,
            price,
            sensitivity or SensitivityRequest(),
        ),
        records=records,
        provenance=ComparisonProvenance.trusted(
            techgate_version=__version__,
            record_schema=COMPARISON_SCHEMA_VERSION,
            pack_id=pack.id,
            pack_version=pack.version,
            pack_sha256=pack.sha256,
            as_of=max(r.provenance.as_of for r in records),
        ),
    )


def _member(
    entry: Entry,
    spread: float,
    out: KnockOut | None,
    rank: int | None,
    ranking_score: float | None,
    price: float | None,
) -> Member:
    record = entry.record
    return Member.trusted(
        id=record.proposal.id,
        title=record.proposal.title,
        vendor=record.proposal.vendor,
        decision=record.decision,
        score=record.score,
        confidence=record.confidence,
        assessor_spread=spread,
        knocked_out=out,
        rank=rank,
        ranking_score=None if ranking_score is None else points(ranking_score),
        price=price,
        conditions=tuple(c.text for c in record.conditions),
        proposal_sha256=record.provenance.proposal_sha256,
    )


def _differences(records: list[Evaluation]) -> tuple[Difference, ...]:
    """Criteria and indicators by how far apart the ranked proposals score on them."""
    if len(records) < 2:
        return ()
    found: list[Difference] = []
    first = records[0]
    for position, criterion in enumerate(first.criteria):
        scores = {r.proposal.id: r.criteria[position].score for r in records}
        found += _difference("criterion", criterion.id, criterion.title, scores)
        for index, indicator in enumerate(criterion.indicators):
            values: dict[str, float | None] = {}
            for r in records:
                result = r.criteria[position].indicators[index]
                values[r.proposal.id] = (
                    result.score_pct if result.status is IndicatorStatus.SCORED else None
                )
            found += _difference("indicator", indicator.id, indicator.title, values)
    found.sort(key=lambda d: (-d.range, d.kind != "criterion", d.id))
    return tuple(found[:MAX_DIFFERENCES])


def _difference(
    kind: str, key: str, title: str, scores: dict[str, float | None]
) -> list[Difference]:
    known = {k: v for k, v in scores.items() if v is not None}
    if len(known) < 2:
        return []
    high, low = max(known.values()), min(known.values())
    if high == low:
        return []
    return [
        Difference.trusted(
            kind=kind,
            id=key,
            title=title,
            range=points(high - low),
            best=tuple(sorted(k for k, v in known.items() if v == high)),
            worst=tuple(sorted(k for k, v in known.items() if v == low)),
        )
    ]


def _recommendation(
    members: tuple[Member, ...],
    near: tuple[NearTie, ...],
    winner: str | None,
    robust: PriceRobustness | None,
    minimum: float | None,
) -> str:
    out = [m for m in members if m.knocked_out]
    if winner is None:
        # A bid the pack does not judge no-go is out only for the technical minimum:
        # the no-go gates are not what it has to meet.
        below = sum(1 for m in members if m.decision is not Decision.NO_GO)
        if below and minimum is not None:
            return (
                f"Adopt none: all {len(members)} proposals are knocked out, {below} of them "
                f"for scoring below the technical minimum of {minimum:g} (their prices stay "
                "sealed). Ask the vendors to meet the no-go gates and the minimum, or restate "
                "the need."
            )
        return (
            f"Adopt none: all {len(members)} proposals are knocked out. "
            "Ask the vendors to meet the no-go gates, or restate the need."
        )
    best = next(m for m in members if m.id == winner)
    text = (
        f"{best.vendor}'s {best.title} ranks first ({best.decision.value}, {best.ranking_score:g})."
    )
    if best.decision is Decision.CONDITIONAL:
        text += f" It may be adopted only once {len(best.conditions)} condition(s) are met."
    close = [t for t in near if t.higher == winner]
    if close:
        names = ", ".join(t.lower for t in close)
        text += (
            f" It is not clearly ahead of {names}: the difference is within the panel's own "
            f"spread of {close[0].noise:g} points; moderate the scores or seek more evidence "
            "before awarding."
        )
    if robust is not None:
        if robust.winner_changes_on_withdrawal:
            text += (
                " Beware: withdrawing one bid would change the winner (the price formula "
                "depends on the other bids)."
            )
        others = [
            f"{m.method.value} ({m.winner})"
            for m in robust.across_methods
            if m.winner is not None and m.winner != robust.winner
        ]
        if others:
            named = ", ".join(others)
            text += f" Other published price formulas would pick another winner: {named}."
    if out:
        text += f" {len(out)} proposal(s) knocked out: {', '.join(m.id for m in out)}."
    return text
