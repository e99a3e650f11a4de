"""Rank acceptability and winner swaps, against brute force and a hand-worked case."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techgate.engine.ranking import rank_acceptability, totals, winner_swaps, winners
from techgate.engine.weight_space import dirichlet_weights, rescaled, shares_of

NAN = float("nan")
# Three vendors, three criteria: vendor 0 leads at the given weights (73 against 72 and 70.5).
VALUES = np.array([[82.0, 60.0, 70.0], [70.0, 75.0, 65.0], [60.0, 80.0, 90.0]])
WEIGHTS = np.array([0.5, 0.3, 0.2])
ALL = np.array([True, True, True])


def slow_total(row: list[float], weights: list[float]) -> float:
    """A vendor's total as the module documents it, in plain Python."""
    kept = [(w, v) for w, v in zip(weights, row, strict=True) if not math.isnan(v)]
    return sum(w * v for w, v in kept) / sum(w for w, _ in kept)


def slow_order(values: list[list[float]], weights: list[float], eligible: list[bool]) -> list[int]:
    """Eligible rows best first; equal totals in row order."""
    rows = [r for r in range(len(values)) if eligible[r]]
    return sorted(rows, key=lambda r: (-slow_total(values[r], weights), r))


def test_hand_worked_swaps() -> None:
    # Criterion 0 falling to share t (others x (1 - t) / 0.5): vendor 0 makes
    # 82t + 64(1 - t), vendor 2 60t + 84(1 - t); equal at t = 20/42, 2.381 points
    # down. Criterion 1 rising to t: 60t + 78.571(1 - t) against 80t + 68.571(1 - t),
    # equal at t = 1/3, 3.333 points up. Criterion 2 rising: 70t + 73(1-t)/0.8*0.8...
    swaps = winner_swaps(VALUES, WEIGHTS, ALL)
    assert swaps[0].down == 2.39 and swaps[0].down_winner == 2
    assert swaps[0].up is None
    assert swaps[1].up == 3.34 and swaps[1].up_winner == 2
    assert swaps[1].down is None
    # Criterion 2 rising to t: vendor 0 makes 70t + (41 + 18)(1 - t)/0.8, vendor 2
    # 90t + (30 + 24)(1 - t)/0.8; equal where 20t = 5(1 - t)/0.8, t = 0.2381.
    assert swaps[2].up == pytest.approx(math.ceil((0.25 / 1.05 - 0.2) * 1e4) / 100)
    assert swaps[2].up_winner == 2
    assert [s.share for s in swaps] == [0.5, 0.3, 0.2]


def test_a_knocked_out_vendor_never_wins_or_ranks() -> None:
    eligible = np.array([True, True, False])
    swaps = winner_swaps(VALUES, WEIGHTS, eligible)
    assert all(s.up_winner != 2 and s.down_winner != 2 for s in swaps)
    result = rank_acceptability(VALUES, WEIGHTS, eligible, samples=2000, seed=1, concentration=5)
    assert result.ranks.shape == (3, 2)
    assert result.ranks[2].tolist() == [0.0, 0.0]
    assert result.wins[2] == 0.0
    assert np.allclose(result.ranks[:2].sum(axis=0), 1.0)
    assert np.allclose(result.ranks[:2].sum(axis=1), 1.0)


def test_a_missing_value_leaves_its_weight_out_of_that_vendors_total() -> None:
    values = np.array([[80.0, NAN, 60.0], [70.0, 70.0, 70.0]])
    weights = np.array([1.0, 2.0, 1.0])
    assert totals(values, weights).tolist() == [70.0, 70.0]
    # Not counted as 0, which would give (80 + 60) / 4 = 35.
    assert totals(values, np.array([3.0, 5.0, 1.0]))[0] == pytest.approx((240 + 60) / 4)


def test_equal_totals_go_to_the_earlier_row_and_are_counted_as_ties() -> None:
    values = np.array([[70.0, 60.0], [70.0, 60.0], [10.0, 20.0]])
    result = rank_acceptability(
        values, np.array([1.0, 1.0]), np.ones(3, bool), samples=500, seed=3, concentration=10
    )
    assert result.top_ties == 1.0
    assert result.wins.tolist() == [1.0, 0.0, 0.0]
    assert result.ranks[1].tolist() == [0.0, 1.0, 0.0]
    assert winner_swaps(values, np.array([1.0, 1.0]), np.ones(3, bool))[0].up is None


def test_rounded_totals_tie_when_a_reader_would_see_them_equal() -> None:
    values = np.array([[70.001, 70.001], [70.004, 70.004]])
    exact = rank_acceptability(
        values, np.array([1.0, 1.0]), np.ones(2, bool), samples=100, seed=0, concentration=10
    )
    rounded = rank_acceptability(
        values,
        np.array([1.0, 1.0]),
        np.ones(2, bool),
        samples=100,
        seed=0,
        concentration=10,
        tie_decimals=2,
    )
    assert exact.wins.tolist() == [0.0, 1.0] and exact.top_ties == 0.0
    assert rounded.wins.tolist() == [1.0, 0.0] and rounded.top_ties == 1.0


def test_bad_shapes_and_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="values must be"):
        winner_swaps(VALUES, np.array([1.0, 1.0]), ALL)
    with pytest.raises(ValueError, match="eligible"):
        winner_swaps(VALUES, WEIGHTS, np.array([True]))
    with pytest.raises(ValueError, match="non-negative"):
        winner_swaps(VALUES, np.array([1.0, -1.0, 1.0]), ALL)
    with pytest.raises(ValueError, match="no value"):
        winner_swaps(np.array([[NAN, NAN], [1.0, 2.0]]), np.array([1.0, 1.0]), np.ones(2, bool))


def test_winners_agree_with_brute_force_on_an_exhaustive_grid() -> None:
    values = [[82.0, 60.0, NAN], [70.0, 75.0, 65.0], [60.0, 80.0, 90.0]]
    eligible = [True, True, True]
    grid = [
        (a / 40, b / 40, (40 - a - b) / 40)
        for a, b in itertools.product(range(41), repeat=2)
        if a + b <= 40 and (a > 0 or b > 0)  # vendor 0 needs weight on a column it has
    ]
    fast = winners(np.array(values), np.array(grid), np.array(eligible))
    slow = [slow_order(values, list(w), eligible)[0] for w in grid]
    assert fast.tolist() == slow
    assert len(set(slow)) == 3  # the grid reaches every winner


def test_rank_acceptability_counts_the_ranks_of_the_drawn_vectors() -> None:
    values = [[82.0, 60.0, 70.0], [70.0, NAN, 65.0], [60.0, 80.0, 90.0], [75.0, 75.0, 75.0]]
    eligible = [True, True, True, False]
    result = rank_acceptability(
        np.array(values), WEIGHTS, np.array(eligible), samples=400, seed=9, concentration=8
    )
    drawn = dirichlet_weights(shares_of(WEIGHTS), 400, 9, 8.0)
    counts = np.zeros((4, 3))
    for w in drawn:
        for rank, row in enumerate(slow_order(values, w.tolist(), eligible)):
            counts[row, rank] += 1
    assert np.array_equal(result.ranks, counts / 400)
    assert np.array_equal(result.wins, counts[:, 0] / 400)


def _scan(
    values: np.ndarray, shares: np.ndarray, column: int, direction: int
) -> tuple[float, int] | None:
    """The first share on a grid of 1e-5 where the winner changes (winners() is checked
    against plain Python above)."""
    start = float(shares[column])
    end = 1 - 1e-9 if direction > 0 else 1e-9
    grid = np.linspace(start, end, max(int(abs(end - start) / 1e-5), 2) + 1)
    found = winners(values, rescaled(shares, column, grid), np.ones(len(values), bool))
    changed = np.flatnonzero(found != found[0])
    if not len(changed):
        return None
    return abs(float(grid[changed[0]]) - start) * 100, int(found[changed[0]])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    values=st.lists(
        st.lists(st.integers(0, 100).map(float), min_size=3, max_size=3),
        min_size=3,
        max_size=3,
    ),
    raw=st.lists(st.integers(1, 20).map(float), min_size=3, max_size=3),
)
def test_winner_swaps_agree_with_a_brute_force_scan(
    values: list[list[float]], raw: list[float]
) -> None:
    array, weights = np.array(values), np.array(raw)
    shares = shares_of(weights)
    swaps = winner_swaps(array, weights, np.ones(3, bool))
    step = 1e-5
    for column, swap in enumerate(swaps):
        for direction, points, winner in (
            (1, swap.up, swap.up_winner),
            (-1, swap.down, swap.down_winner),
        ):
            found = _scan(array, shares, column, direction)
            if found is None:
                # A change narrower than the scan's step could hide from it,
                # but then the swap lies within one step of its end.
                assert (
                    points is None
                    or points
                    >= ((1 - shares[column]) if direction > 0 else shares[column]) * 100
                    - 100 * step
                )
                continue
            assert points is not None
            # The swap is rounded up to 0.01 points; the scan overshoots by < 1 step.
            assert points - 0.01 - 1e-9 <= found[0] <= points + 100 * step + 1e-9
            assert winner == found[1]
