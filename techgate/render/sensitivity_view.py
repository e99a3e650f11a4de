"""What every view of the sensitivity block shows: ranges that keep the decision, nearest swings.

Shared by the terminal view, the tornado chart and the report templates, so
they never disagree about a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from techgate.model.evaluation import Decision, LevelSwing, Sensitivity, WeightSwing

# Indicator swings a view lists, nearest first; the record holds them all.
LISTED_LEVEL_SWINGS = 8


@dataclass(frozen=True)
class WeightRange:
    """One criterion's weight share now and the range (in %) over which the decision holds."""

    id: str
    title: str
    share: float  # % now
    low: float  # % at which it still holds, going down (0 if it holds all the way)
    high: float  # % going up (100 if it holds all the way)
    below: Decision | None  # the decision past 'low'
    above: Decision | None  # the decision past 'high'

    @property
    def width(self) -> float:
        return self.high - self.low


def weight_ranges(block: Sensitivity) -> tuple[WeightRange, ...]:
    """Per criterion, narrowest range first (the tornado's order); ties in pack order.

    The edges are the nearest shares that still keep the decision: the
    stated swing less its last 0.01 points.
    """
    ranges = [_range(swing) for swing in block.weights]
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i].width, i))
    return tuple(ranges[i] for i in order)


def _range(swing: WeightSwing) -> WeightRange:
    share = 100 * swing.share
    high = 100.0 if swing.up is None else min(share + swing.up - 0.01, 100.0)
    low = 0.0 if swing.down is None else max(share - swing.down + 0.01, 0.0)
    return WeightRange(
        id=swing.criterion,
        title=swing.title,
        share=round(share, 2),
        low=round(min(low, share), 2),
        high=round(max(high, share), 2),
        below=swing.down_to,
        above=swing.up_to,
    )


def nearest_level_swings(block: Sensitivity, count: int = LISTED_LEVEL_SWINGS) -> list[LevelSwing]:
    """The indicators whose score change flips the decision soonest; pack order breaks ties."""
    reach = [
        (min(s for s in (swing.up, swing.down) if s is not None), index, swing)
        for index, swing in enumerate(block.indicators)
        if swing.up is not None or swing.down is not None
    ]
    reach.sort(key=lambda item: (item[0], item[1]))
    return [swing for _, _, swing in reach[:count]]
