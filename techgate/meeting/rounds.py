"""A blind round's figures once revealed: spread, interquartile range, median, disagreement.

The disagreement flag follows the RAND/UCLA Appropriateness Method (Fitch et
al., 2001, The RAND/UCLA Appropriateness Method User's Manual, RAND MR-1269):
a panel disagrees on an item when a third of the panel or more rates it in
the lowest third of the scale and a third or more in the highest third. The
manual states the rule for its nine-point scale (1-3 and 7-9) and gives the
count for panels of 8 to 16 as the whole number nearest to a third of the
panel (3 for 8-10 panellists, 4 for 11-13, 5 for 14-16); both are
generalised here to any panel and any scale length (docs/meeting.md).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from techgate.model.evaluation import Evaluation


def extremes(top: int) -> tuple[frozenset[int], frozenset[int]]:
    """The levels of a 0..top scale in its lowest and its highest third.

    The scale's levels are read as top + 1 equal cells laid end to end; a
    level is in the lowest third when its cell's middle lies there. For the
    manual's nine levels that is 1-3 and 7-9; for techgate's default 0-4, 0-1
    and 3-4. A cell's middle never falls on a boundary (it would need
    3 * (2 * level + 1) = 2 * (top + 1)), so the thirds never share a level
    and are mirror images of each other.
    """
    cells = top + 1
    low = frozenset(level for level in range(cells) if 3 * (2 * level + 1) < 2 * cells)
    high = frozenset(level for level in range(cells) if 3 * (2 * level + 1) > 4 * cells)
    return low, high


def third_of_panel(panel: int) -> int:
    """How many of a panel make 'a third': the whole number nearest to panel / 3, at least 1.

    This reproduces the manual's table for panels of 8 to 16 and its rule
    for nine; panel / 3 is never halfway between two whole numbers.
    """
    return max(1, (panel + 1) // 3)


def disagrees(levels: Sequence[int], top: int) -> bool:
    """Whether the panel disagrees by the RAND/UCLA rule: a third or more at each end."""
    if len(levels) < 2:
        return False
    low, high = extremes(top)
    needed = third_of_panel(len(levels))
    return (
        sum(level in low for level in levels) >= needed
        and sum(level in high for level in levels) >= needed
    )


def median(levels: Sequence[int]) -> float:
    """The median level; half a level for an even panel split between two."""
    ordered = sorted(levels)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def interquartile_range(levels: Sequence[int]) -> float:
    """The third quartile less the first (inclusive method, as the engine's spread uses)."""
    if len(levels) < 2:
        return 0.0
    first, _, third = statistics.quantiles(levels, n=4, method="inclusive")
    return round(float(third - first), 6)


def spread(levels: Sequence[int]) -> int:
    """Highest level less lowest."""
    return max(levels) - min(levels) if levels else 0


def indicators_with_spread(record: Evaluation, at_least: int = 2) -> tuple[str, ...]:
    """The indicators of a record whose assessors' levels are at least 'at_least' apart,
    in pack order: what the chair picks with "every indicator with a spread of 2 or more"."""
    return tuple(
        indicator.id
        for criterion in record.criteria
        for indicator in criterion.indicators
        if indicator.spread is not None and indicator.spread >= at_least
    )


def ordered_unique(names: Iterable[str]) -> tuple[str, ...]:
    """The names in first-seen order, each once."""
    return tuple(dict.fromkeys(names))
