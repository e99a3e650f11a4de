"""Pairwise judgements of a panel: the input of 'techgate weights' (AHP).

A file names the pack it weighs and holds each panel member's judgements,
one line per pair of criteria (and, optionally, of the indicators inside a
criterion), written as ``safety over motive: 3``: safety is three times as
important as motive. The value is a number of Saaty's 1-9 scale or its
reciprocal, written as a number (``3``, ``2.5``, ``0.5``) or a fraction in
quotes or not (``1/3``). Which pairs must be present, and which ids exist,
depends on the pack; those rules are checked when the file is loaded
(techgate.loading.pairwise), where the pack is known.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from techgate.model._base import Frozen, Identifier, LongText, Text

SCALE_MIN = 1 / 9
SCALE_MAX = 9.0
# 1/9 written as a decimal (0.111) is meant as 1/9; allow for that rounding.
_SCALE_SLACK = 1e-3
_FRACTION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*/\s*([0-9]+(?:\.[0-9]+)?)\s*$")
_NUMBER = re.compile(r"^\s*[0-9]+(?:\.[0-9]+)?\s*$")


def parse_ratio(value: object) -> float:
    """A judgement as written (3, 2.5, '1/3') as a number on Saaty's scale, or a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a judgement is a number from 1/9 to 9, such as 3 or 1/3")
    if isinstance(value, str):
        fraction = _FRACTION.match(value)
        if fraction:
            top, bottom = float(fraction.group(1)), float(fraction.group(2))
            if bottom == 0:
                raise ValueError(f"{value.strip()!r} divides by zero")
            number = top / bottom
        elif _NUMBER.match(value):
            number = float(value)
        else:
            raise ValueError(
                f"{value[:40]!r} is not a judgement: write a number from 1/9 to 9, such as 3 or 1/3"
            )
    elif isinstance(value, int) and abs(value) > 1000:
        number = math.inf  # float() of a huge integer would overflow
    else:
        number = float(value)
    if number <= 0:
        raise ValueError("a judgement must be positive: 1 is 'equally important', 1/9 the least")
    if not math.isfinite(number):
        raise ValueError("a judgement is a number from 1/9 to 9")
    if not SCALE_MIN * (1 - _SCALE_SLACK) <= number <= SCALE_MAX:
        raise ValueError(f"{number:g} is outside Saaty's scale, 1/9 to 9")
    return min(max(number, SCALE_MIN), SCALE_MAX)


Ratio = Annotated[float, BeforeValidator(parse_ratio)]
"""One judgement: how many times more important the first item is than the second."""

PairKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""'<id> over <id>': the pair a judgement compares, the more important one (if the value is
above 1) first."""

Judgements = dict[PairKey, Ratio]


def _one_line(name: str) -> str:
    # Names are printed in tables and written into the overlay's comments.
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in name):
        raise ValueError("a member's name is one line of text, without control characters")
    return name


MemberName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120),
    AfterValidator(_one_line),
]


class PanelMember(Frozen):
    """One person's judgements; every member judges the same pairs."""

    name: MemberName
    """Who gave these judgements (a name or a role), unique in the file; one line of text."""
    criteria: Judgements
    """'a over b: value' for every pair of the pack's criteria, each pair exactly once in
    either direction."""
    indicators: dict[Identifier, Judgements] = {}
    """Criterion id to 'a over b: value' for every pair of its indicators. Criteria left
    out keep the base pack's indicator weights."""


class OverlayHeader(Frozen):
    """Who the generated pack overlay is: its id, title and version."""

    id: Identifier
    """The id of the overlay pack written (what --criteria or 'extends' names)."""
    title: Text
    """Human name of the overlay pack."""
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z.+-]{1,32}$")]
    """Version of the overlay pack."""
    description: LongText = ""
    """Why the panel weighed the pack this way; the provenance is appended to it."""


class PairwiseFile(Frozen):
    """A panel's pairwise judgements over one criteria pack."""

    pack: Annotated[str, Field(min_length=1, max_length=500)]
    """The pack judged: a built-in id or a path relative to this file."""
    overlay: OverlayHeader
    """The overlay pack the weights are written to."""
    members: Annotated[tuple[PanelMember, ...], Field(max_length=50)]
    """The panel; with more than one member the matrices are combined by their
    element-wise geometric mean."""


@dataclass(frozen=True)
class Comparison:
    """One matrix to weigh: the pack's criteria, or the indicators of one criterion."""

    criterion: str | None
    """None for the criteria themselves; else the criterion whose indicators are compared."""
    items: tuple[str, ...]
    """The ids compared, in pack order (the rows and columns of the matrix)."""
    members: tuple[tuple[str, dict[tuple[int, int], float]], ...]
    """Each member's name and judgements (row, column) -> value, sorted by name."""

    @property
    def label(self) -> str:
        return "criteria" if self.criterion is None else f"indicators of {self.criterion}"
