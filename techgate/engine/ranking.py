"""How robust a ranking of several proposals is to the weights: SMAA rank acceptability, swaps.

Pure numpy over a table of values, one row per proposal (vendor) and one
column per weighted figure. Columns carry no meaning here: criteria, a price
score, anything with a weight. A vendor's total for a weight vector w is

    total_v(w) = Σ_k w_k values[v, k] / Σ_k w_k,   over the k where values[v, k] is a number.

A NaN value means the vendor has no figure for that column; as in the engine
(a criterion with no score), that column's weight is left out of that
vendor's total rather than counted as 0. Vendors that are not eligible
(knocked out) are never ranked. Equal totals are broken by row order: the
caller puts its preferred order (say by id) first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from techgate.engine.weight_space import (
    Floats,
    Ints,
    dirichlet_weights,
    linear_numerator,
    rescaled,
    shares_of,
    swing,
)

Mask = NDArray[np.bool_]
_GRID = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class RankAcceptability:
    """SMAA rank acceptability indices over weight vectors drawn around the given weights."""

    samples: int
    seed: int
    concentration: float
    ranks: Floats
    """[V, E]: ranks[v, r] is the share of samples in which vendor v holds rank r + 1 among
    the E eligible vendors; a row of zeros for a vendor that is not eligible."""
    wins: Floats
    """[V]: the share of samples in which each vendor ranks first (ranks[:, 0]); 0 if none."""
    top_ties: float
    """Share of samples in which the first two eligible vendors have equal totals (the
    tie then went to the one in the earlier row)."""


@dataclass(frozen=True)
class WeightSwap:
    """How far one column's weight share can move before someone else wins."""

    column: int
    share: float
    """The column's share of the given weights, 0-1."""
    up: float | None
    """Percentage points its share must rise (rounded up to 0.01) to change the winner;
    None if no share up to 100 % does."""
    up_winner: int | None
    """Row of the vendor who then wins."""
    down: float | None
    """Percentage points its share must fall (rounded up to 0.01); None if none down to 0 %."""
    down_winner: int | None
    """Row of the vendor who then wins."""


def totals(values: Floats, weights: Floats) -> Floats:
    """[N, V] totals for [N, K] weight vectors (or [V] for one [K] vector), NaN rule above."""
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    weights = np.asarray(weights, dtype=np.float64)
    # Elementwise products summed over the last axis, not a matrix product:
    # BLAS may sum one row differently from many, and a total must not depend
    # on how many weight vectors are judged with it.
    numerator = (weights[..., np.newaxis, :] * filled).sum(axis=-1)
    denominator = (weights[..., np.newaxis, :] * present).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Floats = numerator / denominator
    return out


def _checked(values: Floats, weights: Floats, eligible: Mask) -> tuple[Floats, Floats, Mask]:
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    eligible = np.asarray(eligible, dtype=np.bool_)
    if values.ndim != 2 or weights.shape != (values.shape[1],):
        raise ValueError("values must be [V, K] and weights [K]")
    if eligible.shape != (values.shape[0],):
        raise ValueError("eligible must hold one flag per row of values")
    if np.any(weights < 0) or not np.all(np.isfinite(weights)) or weights.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    if np.any(np.isinf(values)):
        raise ValueError("values must be numbers or NaN")
    weighed = (~np.isnan(values)) & (weights > 0)
    if np.any(eligible & ~weighed.any(axis=1)):
        raise ValueError("an eligible vendor has no value in any weighted column")
    return values, weights, eligible


def _order(scores: Floats, eligible: Mask, tie_decimals: int | None) -> tuple[Ints, Floats]:
    """Per row of scores [N, V]: vendors best first (eligible only, ties by row), and the
    compared totals."""
    compared = scores if tie_decimals is None else np.round(scores, tie_decimals)
    compared = np.where(eligible[np.newaxis, :], compared, -np.inf)
    # A stable sort of the negated totals keeps equal totals in row order.
    order: Ints = np.argsort(-compared, axis=1, kind="stable").astype(np.int64)
    return order[:, : int(eligible.sum())], compared


def rank_acceptability(
    values: Floats,
    weights: Floats,
    eligible: Mask,
    *,
    samples: int,
    seed: int,
    concentration: float,
    tie_decimals: int | None = None,
) -> RankAcceptability:
    """How often each vendor holds each rank over Dirichlet(concentration x shares) weights.

    tie_decimals rounds the totals before they are compared (2 for scores
    shown to two decimals), so that totals a reader sees as equal count as tied.
    """
    values, weights, eligible = _checked(values, weights, eligible)
    vendors, count = values.shape[0], int(eligible.sum())
    ranks = np.zeros((vendors, count))
    if count == 0:
        return RankAcceptability(samples, seed, concentration, ranks, np.zeros(vendors), 0.0)
    drawn = dirichlet_weights(shares_of(weights), samples, seed, concentration)
    order, compared = _order(totals(values, drawn), eligible, tie_decimals)
    for position in range(count):
        ranks[:, position] = np.bincount(order[:, position], minlength=vendors) / samples
    ties = 0.0
    if count > 1:
        rows = np.arange(samples)
        first = compared[rows, order[:, 0]]
        second = compared[rows, order[:, 1]]
        ties = float(np.count_nonzero(first == second)) / samples
    return RankAcceptability(samples, seed, concentration, ranks, ranks[:, 0].copy(), ties)


def winners(
    values: Floats, weights: Floats, eligible: Mask, tie_decimals: int | None = None
) -> Ints:
    """The winning row for each row of weights [N, K]; -1 where no vendor is eligible."""
    values, _, eligible = _checked(values, np.ones(values.shape[1]), eligible)
    if not eligible.any():
        return np.full(np.atleast_2d(weights).shape[0], -1, dtype=np.int64)
    order, _ = _order(totals(values, np.atleast_2d(weights)), eligible, tie_decimals)
    return order[:, 0]


def _crossings(values: Floats, shares: Floats, column: int, gaps: tuple[float, ...]) -> Floats:
    """Shares of one column at which two vendors' totals differ by each of gaps (0: equal).

    Each total is N_v(t) / D_v(t), both linear in the column's share t; two
    totals differ by g where N_u D_v - N_v D_u - g D_u D_v = 0, a quadratic.
    With rounded comparisons two totals can tie only while they are less
    than one unit of the last kept decimal apart, so those edges are
    candidates too.
    """
    present = (~np.isnan(values)).astype(np.float64)
    filled = np.where(present > 0, values, 0.0)
    lines = []
    for row in range(values.shape[0]):
        a, b = linear_numerator(shares, column, filled[row])
        c, d = linear_numerator(shares, column, present[row])
        lines.append((np.array([b, a]), np.array([d, c])))
    found: list[float] = []
    for u, v, gap in itertools.product(range(len(lines)), range(len(lines)), gaps):
        if v <= u:
            continue
        poly: Floats = np.polysub(
            np.convolve(lines[u][0], lines[v][1]), np.convolve(lines[v][0], lines[u][1])
        )
        poly = np.polysub(poly, gap * np.convolve(lines[u][1], lines[v][1]))
        poly = np.trim_zeros(np.atleast_1d(poly), "f")
        if len(poly) > 1:
            found += [
                float(r.real)
                for r in np.roots(poly)
                if abs(r.imag) < 1e-9 and -1e-9 <= r.real <= 1 + 1e-9
            ]
    return np.array(found, dtype=np.float64)


def winner_swaps(
    values: Floats, weights: Floats, eligible: Mask, *, tie_decimals: int | None = None
) -> tuple[WeightSwap, ...]:
    """For each column: the smallest rise and fall of its share that change the winner.

    The other columns' weights are rescaled in proportion (shares still sum
    to 1). A share of exactly 0 or 1 is not reached (the search stops 1e-9
    short): a column at 0 is no longer weighed at all, and at 1 a vendor
    without a value in it would have no total.
    """
    values, weights, eligible = _checked(values, weights, eligible)
    shares = shares_of(weights)
    unit = 0.0 if tie_decimals is None else 10.0**-tie_decimals
    gaps = (0.0,) if tie_decimals is None else (0.0, unit, -unit)
    swaps = []
    for column in range(values.shape[1]):
        start = float(shares[column])
        found: list[tuple[float | None, int | None]] = []
        for direction in (1, -1):
            if not eligible.any() or start >= 1.0:
                found.append((None, None))
                continue

            def outcome(targets: Floats, column: int = column) -> Ints:
                weighed = rescaled(shares, column, targets)
                return winners(values, weighed, eligible, tie_decimals)

            end = 1.0 - 1e-9 if direction > 0 else 1e-9
            candidates = np.concatenate((_crossings(values, shares, column, gaps), _GRID))
            found.append(swing(outcome, start, direction, candidates, end=end) or (None, None))
        (up, up_winner), (down, down_winner) = found
        swaps.append(WeightSwap(column, start, up, up_winner, down, down_winner))
    return tuple(swaps)
