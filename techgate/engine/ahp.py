"""Weights from pairwise judgements: Saaty's analytic hierarchy process (AHP).

Pure functions over reciprocal matrices. A judgement a_ij says how many
times more important item i is than item j on Saaty's 1-9 scale; the
matrix holds a_ji = 1 / a_ij and ones on its diagonal. The weights are the
principal (Perron) eigenvector, normalised to sum to 1; how far the largest
eigenvalue exceeds n measures how inconsistent the judgements are.

Several panel members are combined by the element-wise geometric mean of
their matrices (aggregation of individual judgements, AIJ) before the
eigenvector is taken: the geometric mean of reciprocal matrices is again
reciprocal, which the arithmetic mean is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from techgate.model.pairwise import Comparison

Matrix = npt.NDArray[np.float64]

# Saaty's random index: the mean consistency index of random reciprocal
# matrices of order n = 1..10, as published in The Analytic Hierarchy
# Process (McGraw-Hill, 1980). docs/weights.md gives the sources checked.
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
RANDOM_INDEX_SOURCE = "Saaty (1980), The Analytic Hierarchy Process, random index for n = 1..10"
MAX_ITEMS = len(RANDOM_INDEX)
# Saaty's rule: judgements whose consistency ratio exceeds a tenth deserve a second look.
CR_LIMIT = 0.10
# How many of the least consistent judgements a result names.
WORST_SHOWN = 3


@dataclass(frozen=True)
class Deviation:
    """One judgement set against what the weights imply."""

    row: int
    """Index of the item judged more important (the judgement reads row over column)."""
    column: int
    """Index of the other item."""
    given: float
    """The judgement a_row,column (at least 1)."""
    consistent: float
    """w_row / w_column: the value that would agree with the weights."""
    log_error: float
    """|ln(given / consistent)|: 0 when the judgement agrees with the weights."""


@dataclass(frozen=True)
class Priorities:
    """The eigenvector weights of one reciprocal matrix and its consistency."""

    weights: tuple[float, ...]
    """Principal eigenvector, every entry positive, summing to 1."""
    lambda_max: float
    """The principal eigenvalue; n for a perfectly consistent matrix, more otherwise."""
    ci: float
    """Consistency index (lambda_max - n) / (n - 1); 0 for n <= 2."""
    ri: float
    """Saaty's random index for n."""
    cr: float
    """Consistency ratio CI / RI; 0 for n <= 2, where every matrix is consistent."""
    worst: tuple[Deviation, ...]
    """The judgements farthest from the weights, worst first (at most WORST_SHOWN)."""

    @property
    def consistent(self) -> bool:
        return self.cr <= CR_LIMIT


def reciprocal_matrix(n: int, judgements: Mapping[tuple[int, int], float]) -> Matrix:
    """The full n x n matrix from one judgement per pair (i, j), i != j, in either direction."""
    matrix = np.ones((n, n), dtype=np.float64)
    for (i, j), value in judgements.items():
        matrix[i, j] = value
        matrix[j, i] = 1.0 / value
    return matrix


def geometric_mean(matrices: Sequence[Matrix]) -> Matrix:
    """The element-wise geometric mean; reciprocal if every matrix is."""
    mean = np.exp(np.stack([np.log(m) for m in matrices]).mean(axis=0))
    # exp(-x) and 1/exp(x) can differ in the last bit: the upper triangle is
    # taken as computed and the lower one is made its exact reciprocal.
    n = len(mean)
    result = np.ones((n, n), dtype=np.float64)
    for i in range(n):
        for j in range(i + 1, n):
            result[i, j] = mean[i, j]
            result[j, i] = 1.0 / mean[i, j]
    return result


def priorities(matrix: Matrix) -> Priorities:
    """Eigenvector weights, lambda_max, CI, CR and the worst judgements of a reciprocal matrix."""
    n = len(matrix)
    if not 1 <= n <= MAX_ITEMS:
        raise ValueError(f"AHP needs 1 to {MAX_ITEMS} items, got {n}")
    values, vectors = np.linalg.eig(matrix)
    # Perron-Frobenius: a positive matrix has one real eigenvalue of largest
    # modulus, with an eigenvector whose entries share one sign.
    top = int(np.argmax(values.real))
    vector = np.abs(vectors[:, top].real)
    weights = vector / vector.sum()
    lambda_max = float(values[top].real)
    if n <= 2:
        # Any 2 x 2 reciprocal matrix is consistent; lambda_max is n up to float noise.
        lambda_max, ci, cr = float(n), 0.0, 0.0
    else:
        ci = max(0.0, (lambda_max - n) / (n - 1))
        cr = ci / RANDOM_INDEX[n - 1]
    return Priorities(
        weights=tuple(float(w) for w in weights),
        lambda_max=lambda_max,
        ci=ci,
        ri=RANDOM_INDEX[n - 1],
        cr=cr,
        worst=_worst(matrix, weights),
    )


def _worst(matrix: Matrix, weights: npt.NDArray[np.float64]) -> tuple[Deviation, ...]:
    n = len(matrix)
    found = []
    for i in range(n):
        for j in range(i + 1, n):
            row, column = (i, j) if matrix[i, j] >= 1 else (j, i)
            given = float(matrix[row, column])
            consistent = float(weights[row] / weights[column])
            error = abs(math.log(given / consistent))
            if error > 1e-9:
                found.append(Deviation(row, column, given, consistent, error))
    # Ties (symmetric errors) are broken by position, so the order is stable.
    found.sort(key=lambda d: (-round(d.log_error, 12), min(d.row, d.column), max(d.row, d.column)))
    return tuple(found[:WORST_SHOWN])


def ratio_text(value: float) -> str:
    """A judgement as people write it: 3, 1/3, 2.5, 1/2.5."""
    if value < 1:
        return "1/" + ratio_text(1 / value)
    nearest = round(value)
    if abs(value - nearest) < 1e-9:
        return str(nearest)
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class PanelPriorities:
    """A comparison weighed: each member's matrix on its own, and the panel's combined."""

    comparison: Comparison
    """What was compared, and the judgements."""
    members: tuple[tuple[str, Priorities], ...]
    """Each member's own weights and consistency, sorted by name."""
    matrix: tuple[tuple[float, ...], ...]
    """The combined matrix (the geometric mean of the members'), row over column."""
    combined: Priorities
    """The weights the panel's combined matrix gives: these are the ones written."""


def weigh(comparison: Comparison) -> PanelPriorities:
    """Every member's priorities and the panel's, from the geometric mean of their matrices."""
    n = len(comparison.items)
    matrices = [reciprocal_matrix(n, judgements) for _, judgements in comparison.members]
    combined = geometric_mean(matrices)
    return PanelPriorities(
        comparison=comparison,
        members=tuple(
            (name, priorities(matrix))
            for (name, _), matrix in zip(comparison.members, matrices, strict=True)
        ),
        matrix=tuple(tuple(float(v) for v in row) for row in combined),
        combined=priorities(combined),
    )
