"""Rounding applied to every number in the record.

Records are compared byte for byte; rounding at one place, to fixed digits,
keeps float noise (1e-15) out of them.
"""

from __future__ import annotations

SCORE_DIGITS = 2
SHARE_DIGITS = 4


def points(value: float) -> float:
    """A 0-100 score, to two decimals."""
    return round(value, SCORE_DIGITS) + 0.0  # + 0.0 turns -0.0 into 0.0


def share(value: float) -> float:
    """A 0-1 share or a scale score, to four decimals."""
    return round(value, SHARE_DIGITS) + 0.0


def maybe_share(value: float | None) -> float | None:
    return None if value is None else share(value)


def money(value: float) -> float:
    """An amount of money, to the cent (two decimals)."""
    return round(value, 2) + 0.0
