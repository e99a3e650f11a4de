"""Moving through the space of weight vectors: rescaling, sampling, break-even search.

Shared by the sensitivity of one decision and by rank acceptability over
several proposals. Weights are handled as shares (they sum to 1), since the
engine turns every weight into a share before it multiplies anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.random import PCG64, Generator
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

# Probes per round and rounds of the bracketing search: 64**4 ~ 1.7e7 parts of
# the first bracket, well below the 0.01 percentage points a swing is given in.
_PROBES = 64
_ROUNDS = 4


def shares_of(weights: Floats) -> Floats:
    """Weights as shares of their total."""
    weights = np.asarray(weights, dtype=np.float64)
    out: Floats = weights / weights.sum()
    return out


def rescaled(shares: Floats, column: int, targets: Floats) -> Floats:
    """Weight vectors with column's share set to each target, the others in proportion.

    Row i holds share targets[i] for the column and shares[j] x (1 - t) / (1 - shares[column])
    for every other j, so each row still sums to 1. A column holding all the
    weight has no others to take from: the caller must not ask for it.
    """
    targets = np.asarray(targets, dtype=np.float64)
    rest = 1.0 - shares[column]
    factor = (1.0 - targets) / rest
    out: Floats = shares[np.newaxis, :] * factor[:, np.newaxis]
    out[:, column] = targets
    return out


def dirichlet_weights(shares: Floats, samples: int, seed: int, concentration: float) -> Floats:
    """samples weight vectors drawn from Dirichlet(concentration x shares).

    The mean of each share is the given share; its variance is
    s (1 - s) / (concentration + 1). A share of 0 stays 0 (numpy refuses an
    alpha of 0, so such columns are left out of the draw).
    """
    generator = Generator(PCG64(seed))
    out = np.zeros((samples, len(shares)))
    positive = shares > 0
    out[:, positive] = generator.dirichlet(concentration * shares[positive], size=samples)
    return out


def linear_numerator(shares: Floats, column: int, values: Floats) -> tuple[float, float]:
    """(a, b) with Σ_j w_j(t) values[j] = a + b t, w(t) the rescaled vector for share t.

    Σ_j w_j(t) x_j = t x_c + (1 - t) R with R = Σ_{j≠c} s_j x_j / (1 - s_c), so
    a = R and b = x_c - R. Masked-out terms are given as 0 in values.
    """
    others = np.delete(shares * values, column).sum() / (1.0 - shares[column])
    return float(others), float(values[column] - others)


def first_change(
    outcome: Callable[[Floats], Ints],
    start: float,
    direction: int,
    candidates: Floats,
    *,
    end: float | None = None,
) -> tuple[float, int] | None:
    """The nearest share past start (up if direction > 0) where outcome changes, and the outcome.

    outcome maps an array of shares to an array of outcomes and must be
    piecewise constant with breaks only at or near the candidates (the
    break-even points worked out by algebra); between two neighbouring
    candidates it is probed once, so a stretch of another outcome between
    them cannot be missed. The break is then bracketed to about 1e-9 and the
    share just past it returned, so the outcome there is the one reported.
    The search stops at end (default 1 going up, 0 going down).
    """
    if end is None:
        end = 1.0 if direction > 0 else 0.0
    if start == end:
        return None
    points = np.asarray(candidates, dtype=np.float64)
    low, high = min(start, end), max(start, end)
    points = points[(points > low) & (points < high)]
    points = np.unique(np.append(points, end))
    points = points if direction > 0 else points[::-1]
    # Each candidate and the midpoint before it, nearest first.
    before = np.concatenate(([start], points[:-1]))
    probes = np.empty(2 * len(points))
    probes[0::2] = (before + points) / 2
    probes[1::2] = points
    base = int(outcome(np.array([start]))[0])
    found = outcome(probes)
    changed = np.flatnonzero(found != base)
    if not len(changed):
        return None
    first = int(changed[0])
    inside = start if first == 0 else float(probes[first - 1])
    outside = float(probes[first])
    seen_outcome = int(found[first])
    for _ in range(_ROUNDS):
        grid = np.linspace(inside, outside, _PROBES + 1)[1:]
        seen = outcome(grid)
        hit = int(np.flatnonzero(seen != base)[0])
        outside, seen_outcome = float(grid[hit]), int(seen[hit])
        inside = float(grid[hit - 1]) if hit else inside
    return outside, seen_outcome


def swing(
    outcome: Callable[[Floats], Ints],
    start: float,
    direction: int,
    candidates: Floats,
    *,
    end: float,
) -> tuple[float, int] | None:
    """The change of share, in percentage points rounded up to 0.01, that changes outcome.

    Rounded up so that applying the stated change does change it; the
    outcome reported is the one at start plus (or minus) the stated change,
    unless float noise right at the break leaves it unchanged there, when it
    is the one just past the break.
    """
    hit = first_change(outcome, start, direction, candidates, end=end)
    if hit is None:
        return None
    target, changed = hit
    room = abs(end - start) * 100
    points = min(max(math.ceil(abs(target - start) * 1e4 - 1e-6) / 100, 0.01), room)
    at = int(outcome(np.array([start + direction * points / 100]))[0])
    base = int(outcome(np.array([start]))[0])
    return round(points, 2), at if at != base else changed
