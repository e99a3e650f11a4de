"""Where a moderated answer starts: the panel's median, as a level.

Pure functions over the assessments, shared by the consistency rules (a
moderated answer away from its start needs a comment), by 'techgate
moderate start' (which writes the starts) and by the engine (which records
them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Literal, NamedTuple

from techgate.model.proposal import Assessment

Answer = int | Literal["n/a", "unchanged"]


class PanelStart(NamedTuple):
    """The assessors' answers to one indicator, and where moderation starts from them."""

    median: float | None
    """Median of the levels given; None when nobody gave a level."""
    start: Answer | None
    """The moderated answer before the panel changes it; None when nobody answered."""


def median_level(levels: list[int]) -> float:
    """The median of the levels, a half level for an even panel split between two."""
    ordered = sorted(levels)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def panel_start(assessments: Iterable[Assessment], indicator_id: str) -> PanelStart:
    """The median of the levels given for the indicator and the answer moderation starts at.

    A half-level median (an even panel split between two levels) starts at
    the lower level: omission and indecision never pay, so moving up is
    what the panel must give a reason for. With no level given, the start is
    'unchanged' when anyone said so, else 'n/a'.
    """
    answers = [a.scores[indicator_id].score for a in assessments if indicator_id in a.scores]
    if not answers:
        return PanelStart(None, None)
    levels = [s for s in answers if isinstance(s, int)]
    if levels:
        median = median_level(levels)
        return PanelStart(median, int(median))
    return PanelStart(None, "unchanged" if "unchanged" in answers else "n/a")


def assessments_sha256(assessments: Iterable[Assessment]) -> str:
    """SHA-256 of the assessments, independent of their order and of the file's layout."""
    canonical = [a.model_dump(mode="json") for a in sorted(assessments, key=lambda a: a.assessor)]
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
