"""What flips one decision: criterion weight swings, indicator score swings, stability.

The engine runs once. Criterion weights enter the decision only through the
overall score, coverage and confidence; the criterion scores, the gates
(criterion-score floors read criterion scores, which do not depend on the
criterion weights) and the evidence cap do not move with them. So the
decision for any other weight vector is worked out from per-criterion
figures with numpy, by the same floating-point operations in the same order
as `engine.scoring` and `engine.decide`, and is exactly the engine's.

Indicator swings reuse `engine.margin`: an indicator's combined score moves
level by level, coverage and evidence as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from techgate.engine.decide import held_severities
from techgate.engine.margin import decision_with, margin_state
from techgate.engine.numbers import share
from techgate.engine.scoring import DISAGREEMENT_PENALTY, Raw
from techgate.engine.table import pack_table
from techgate.engine.weight_space import (
    Floats,
    Ints,
    dirichlet_weights,
    linear_numerator,
    rescaled,
    shares_of,
    swing,
)
from techgate.model.criteria import CriteriaPack, DecisionPolicy
from techgate.model.evaluation import (
    Decision,
    GateResult,
    IndicatorResult,
    IndicatorStatus,
    LevelSwing,
    Sensitivity,
    SensitivityRequest,
    WeightSwing,
)

# The default concentration (model.evaluation.SensitivityRequest), c = 100,
# lets a share s vary with standard deviation sqrt(s (1 - s) / 101): a 20 %
# criterion is drawn at 20 ± 4 points, a 10 % one at 10 ± 3 - about how far
# apart two reasonable panels setting the weights would land.

# The share a weight swing stops short of at either end: a share of exactly 0
# drops the criterion (no pack can say that), one of exactly 1 leaves no
# other criterion to score when it has no score itself.
_EDGE = 1e-9
# Break-even points are also looked for on a grid this fine (a share of 1 %),
# so that no change of outcome between two algebraic candidates is missed.
_GRID = np.linspace(0.0, 1.0, 101)

_RANKS = (Decision.GO, Decision.CONDITIONAL, Decision.NO_GO)
_SEVERITY_RANK = {"no-go": 2, "conditional": 1}


@dataclass(frozen=True)
class WeightBasis:
    """Everything the decision depends on once the criterion weights are free, per criterion."""

    ids: tuple[str, ...]
    titles: tuple[str, ...]
    weights: Floats
    criterion_score: Floats  # 0 where the criterion has no score
    scored: NDArray[np.bool_]  # the criterion has a score (it counts in the overall score)
    applicable: NDArray[np.bool_]  # any indicator applies (it counts in coverage)
    covered: Floats  # covered / applicable weight inside the criterion; 0 if none applies
    # Per scored indicator, in the engine's order: (criterion column, share inside
    # its criterion, evidence strength, agreement).
    support_terms: tuple[tuple[int, float, float, float], ...]
    benefits_support: float
    policy: DecisionPolicy
    fixed_rank: int  # worst severity of the failed gates: 0, 1 or 2
    evidence_cap: bool  # an indicator lacks the evidence the pack requires


def weight_basis(
    pack: CriteriaPack,
    raw: Raw,
    indicators: dict[str, IndicatorResult],
    gates: tuple[GateResult, ...],
    benefits_support: float,
) -> WeightBasis:
    table = pack_table(pack)
    top = table.top
    column = {crit.id: index for index, (crit, _) in enumerate(table.criteria)}
    covered_share = []
    for _, rows in table.criteria:
        # Summed in the engine's order, so the ratio is the engine's to the bit.
        applicable = covered = 0.0
        for row in rows:
            result = indicators[row.id]
            if result.status is IndicatorStatus.NOT_APPLICABLE:
                continue
            applicable += result.weight
            if result.status is not IndicatorStatus.GAP:
                covered += result.weight
        covered_share.append(covered / applicable if applicable else 0.0)
    terms = []
    for key in raw.fraction:  # the engine's order of indicators
        result = indicators[key]
        if result.status not in (IndicatorStatus.SCORED, IndicatorStatus.GAP):
            continue  # a gap is a term too: its weight, and no support (scoring)
        spread = result.spread or 0.0
        agreement = 1 - DISAGREEMENT_PENALTY * spread / top
        terms.append(
            (column[raw.criterion_of[key]], raw.within[key], result.evidence_strength, agreement)
        )
    scores = [raw.criterion_score[crit.id] for crit, _ in table.criteria]
    # A waived gate holds the decision at conditional, as decide() counts it.
    failed = [_SEVERITY_RANK[s.value] for s in held_severities(gates)]
    return WeightBasis(
        ids=tuple(crit.id for crit, _ in table.criteria),
        titles=tuple(crit.title for crit, _ in table.criteria),
        weights=np.array([crit.weight for crit, _ in table.criteria], dtype=np.float64),
        criterion_score=np.array([s or 0.0 for s in scores]),
        scored=np.array([s is not None for s in scores]),
        applicable=np.array(
            [
                any(indicators[r.id].status is not IndicatorStatus.NOT_APPLICABLE for r in rows)
                for _, rows in table.criteria
            ]
        ),
        covered=np.array(covered_share),
        support_terms=tuple(terms),
        benefits_support=benefits_support,
        policy=pack.policy,
        fixed_rank=max(failed, default=0),
        evidence_cap=any(i.evidence_missing for i in indicators.values()),
    )


def figures(basis: WeightBasis, weights: Floats) -> tuple[Floats, Floats, Floats]:
    """Unrounded overall score, coverage and confidence for each row of weights.

    Each sum runs over criteria (or indicators) in the engine's order, one
    column at a time, so every row gets the engine's own floating-point result.
    """
    rows = weights.shape[0]
    counted = np.zeros(rows)
    scored = [int(k) for k in np.flatnonzero(basis.scored)]
    applicable = [int(k) for k in np.flatnonzero(basis.applicable)]
    for k in scored:
        counted = counted + weights[:, k]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(counted[:, None] > 0, weights / counted[:, None], 0.0)
    score = np.zeros(rows)
    for k in scored:
        score = score + shares[:, k] * basis.criterion_score[k]
    total = np.zeros(rows)
    for k in applicable:
        total = total + weights[:, k]
    coverage = np.zeros(rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in applicable:
            coverage = coverage + np.where(total > 0, weights[:, k] / total, 0.0) * basis.covered[k]
    support_weight = np.zeros(rows)
    support = np.zeros(rows)
    for column, inside, strength, agreement in basis.support_terms:
        overall_weight = shares[:, column] * inside
        support_weight = support_weight + overall_weight
        support = support + overall_weight * strength * agreement
    with np.errstate(divide="ignore", invalid="ignore"):
        support = np.where(support_weight > 0, support / support_weight, 0.0)
    beta = basis.policy.benefits_weight
    confidence = coverage * ((1 - beta) * support + beta * basis.benefits_support)
    return score, coverage, confidence


def decisions(basis: WeightBasis, weights: Floats) -> Ints:
    """The engine's decision rank (0 go, 1 conditional, 2 no-go) for each row of weights."""
    score, coverage, confidence = figures(basis, np.atleast_2d(weights))
    policy = basis.policy
    score = python_round(score, 2)
    band = np.where(
        score >= policy.go_threshold, 0, np.where(score >= policy.conditional_threshold, 1, 2)
    )
    capped = (
        basis.evidence_cap
        | (python_round(coverage, 4) < policy.min_coverage)
        | (python_round(confidence, 4) < policy.min_confidence)
    )
    rank = np.maximum(band, basis.fixed_rank)
    return np.maximum(rank, np.where(capped, 1, 0)).astype(np.int64)


def python_round(values: Floats, digits: int) -> Floats:
    """round(x, digits) as Python gives it, for every x.

    numpy scales, rounds and scales back, which can differ from Python's
    correctly rounded result at a half-way point; those few values are
    rounded by Python itself.
    """
    rounded = np.round(values, digits)
    scaled = values * 10.0**digits
    near = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for index in np.flatnonzero(near):
        rounded[index] = round(float(values[index]), digits)
    return rounded


def break_even_candidates(basis: WeightBasis, column: int) -> Floats:
    """Shares of one criterion where the score, coverage or confidence meets a threshold.

    With the other weights rescaled in proportion, every weighted sum is linear
    in the share t (see weight_space.linear_numerator), so the score and
    coverage are ratios of linear functions (one root each) and confidence a
    ratio of quadratics (two roots at most). Thresholds are taken where the
    rounded figure crosses them.
    """
    shares = shares_of(basis.weights)
    scored = basis.scored.astype(np.float64)
    applicable = basis.applicable.astype(np.float64)

    def line(values: Floats) -> NDArray[np.float64]:
        a, b = linear_numerator(shares, column, values)
        return np.array([b, a])  # highest power first, as np.polyval and np.roots take them

    score_num = line(basis.criterion_score * scored)
    score_den = line(scored)
    cover_num = line(basis.covered * applicable)
    cover_den = line(applicable)
    inside_strength = np.zeros(len(shares))
    inside = np.zeros(len(shares))
    for k, within, strength, agreement in basis.support_terms:
        inside_strength[k] += within * strength * agreement
        inside[k] += within
    support_num = line(inside_strength)
    support_den = line(inside)
    policy = basis.policy
    beta = policy.benefits_weight
    roots: list[complex] = []
    for threshold in (policy.go_threshold, policy.conditional_threshold):
        roots += list(np.roots(score_num - (threshold - 0.005) * score_den))
    roots += list(np.roots(cover_num - (policy.min_coverage - 0.00005) * cover_den))
    theta = policy.min_confidence - 0.00005
    if np.any(inside):
        blend = (1 - beta) * support_num + beta * basis.benefits_support * support_den
        # np.convolve multiplies polynomials without trimming leading zeros.
        quadratic = np.convolve(cover_num, blend) - theta * np.convolve(cover_den, support_den)
    else:
        quadratic = beta * basis.benefits_support * cover_num - theta * cover_den
    roots += list(np.roots(np.trim_zeros(quadratic, "f"))) if np.any(quadratic) else []
    real = [r.real for r in roots if abs(r.imag) < 1e-9 and -1e-9 <= r.real <= 1 + 1e-9]
    return np.concatenate((np.array(real, dtype=np.float64), _GRID))


def weight_swings(basis: WeightBasis) -> tuple[WeightSwing, ...]:
    """Per criterion, the smallest rise and fall of its share that change the decision."""
    shares = shares_of(basis.weights)
    swings = []
    for column, (key, title) in enumerate(zip(basis.ids, basis.titles, strict=True)):
        start = float(shares[column])
        found: list[tuple[float | None, Decision | None]] = []
        for direction in (1, -1):
            if start >= 1.0:
                found.append((None, None))
                continue

            def outcome(targets: Floats, column: int = column) -> Ints:
                return decisions(basis, rescaled(shares, column, targets))

            end = 1.0 - _EDGE if direction > 0 else _EDGE
            hit = swing(outcome, start, direction, break_even_candidates(basis, column), end=end)
            found.append((None, None) if hit is None else (hit[0], _RANKS[hit[1]]))
        (up, up_to), (down, down_to) = found
        swings.append(
            WeightSwing.trusted(
                criterion=key,
                title=title,
                share=share(start),
                up=up,
                up_to=up_to,
                down=down,
                down_to=down_to,
            )
        )
    return tuple(swings)


def level_swings(
    pack: CriteriaPack,
    raw: Raw,
    indicators: dict[str, IndicatorResult],
    gates: tuple[GateResult, ...],
    caps: tuple[str, ...],
    decision: Decision,
) -> tuple[LevelSwing, ...]:
    """Per scored indicator, the fewest levels up and down that change the decision.

    The margin's arithmetic (engine.margin.decision_with) judges each move:
    the score, the indicator's criterion and its floor gates move with it,
    coverage and evidence stay as they are. A move that would pass the top
    or level 0 stops there, so the last step may be part of a level.
    """
    state = margin_state(pack, raw, gates, caps, decision)
    top = pack.scale.maximum
    swings = []
    for key, result in indicators.items():
        if result.status is not IndicatorStatus.SCORED:
            continue
        fraction = raw.fraction[key]
        found: list[tuple[float | None, Decision | None]] = []
        for direction in (1, -1):
            hit: tuple[float | None, Decision | None] = (None, None)
            last = fraction
            for steps in range(1, top + 1):
                moved = min(max(fraction + direction * steps / top, 0.0), 1.0)
                if moved == last:
                    break
                last = moved
                outcome = decision_with(state, key, moved - fraction, 0.0)
                if outcome is not decision:
                    hit = (round(abs(moved - fraction) * top, 4), outcome)
                    break
            found.append(hit)
        (up, up_to), (down, down_to) = found
        swings.append(
            LevelSwing.trusted(
                indicator=key,
                title=result.title,
                score=result.score if result.score is not None else 0.0,
                up=up,
                up_to=up_to,
                down=down,
                down_to=down_to,
            )
        )
    return tuple(swings)


@dataclass(frozen=True)
class Stability:
    """How the decision fares over weight vectors drawn around the pack's shares."""

    kept: float
    by_rank: tuple[float, float, float]  # share deciding go, conditional, no-go


def stability(basis: WeightBasis, decision: Decision, options: SensitivityRequest) -> Stability:
    """Share of Dirichlet-drawn weight vectors that keep the decision, and each outcome's share."""
    drawn = dirichlet_weights(
        shares_of(basis.weights), options.samples, options.seed, options.concentration
    )
    ranks = decisions(basis, drawn)
    counts = np.bincount(ranks, minlength=3)
    return Stability(
        kept=float(counts[decision.rank]) / options.samples,
        by_rank=(
            float(counts[0]) / options.samples,
            float(counts[1]) / options.samples,
            float(counts[2]) / options.samples,
        ),
    )


def sensitivity(
    pack: CriteriaPack,
    raw: Raw,
    indicators: dict[str, IndicatorResult],
    gates: tuple[GateResult, ...],
    caps: tuple[str, ...],
    decision: Decision,
    benefits_support: float,
    options: SensitivityRequest,
) -> Sensitivity:
    """The sensitivity block of a record, from the figures of one engine run."""
    basis = weight_basis(pack, raw, indicators, gates, benefits_support)
    weights = weight_swings(basis)
    levels = level_swings(pack, raw, indicators, gates, caps, decision)
    stable = stability(basis, decision, options)
    return Sensitivity.trusted(
        samples=options.samples,
        seed=options.seed,
        concentration=float(options.concentration),
        stability=share(stable.kept),
        go=share(stable.by_rank[0]),
        conditional=share(stable.by_rank[1]),
        no_go=share(stable.by_rank[2]),
        weights=weights,
        indicators=levels,
        summary=_summary(decision, stable.kept, options, weights, levels),
    )


def _summary(
    decision: Decision,
    kept: float,
    options: SensitivityRequest,
    weights: tuple[WeightSwing, ...],
    levels: tuple[LevelSwing, ...],
) -> str:
    text = (
        f"The decision ({decision.value}) holds for {kept:.1%} of {options.samples:,} weight "
        f"vectors drawn around the pack's weights (concentration {options.concentration:g})."
    )
    moves = [
        (points, f"{w.title} {points:g} points {way}", to)
        for w in weights
        for points, way, to in ((w.up, "up", w.up_to), (w.down, "down", w.down_to))
        if points is not None and to is not None
    ]
    if moves:
        _, change, to = min(moves, key=lambda m: m[0])
        text += f" Nearest weight change: {change} makes it {to.value}."
    else:
        text += " No single criterion weight changes it."
    steps = [
        (levels_, f"{s.title} {levels_:g} level(s) {way}", to)
        for s in levels
        for levels_, way, to in ((s.up, "up", s.up_to), (s.down, "down", s.down_to))
        if levels_ is not None and to is not None
    ]
    if steps:
        _, change, to = min(steps, key=lambda m: m[0])
        text += f" Nearest score change: {change} makes it {to.value}."
    else:
        text += " No single indicator score changes it."
    return text
