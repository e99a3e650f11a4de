"""A what-if laid out as rows of words, the same for the terminal and Markdown."""

from __future__ import annotations

from dataclasses import dataclass

from techgate.model.whatif import Standing, WhatIf
from techgate.render.diff_view import Row, diff_view
from techgate.render.safe_text import short_name

_DIRECTION_WORDS = {"better": "better", "worse": "worse", "same": "unchanged"}


@dataclass(frozen=True)
class WhatIfView:
    """What a what-if shows, as words."""

    result: WhatIf
    title: str
    """'Title (id)'."""
    changes: tuple[str, ...]
    """Each change in words, in the order applied."""
    decision: str
    """'conditional → go (better)', or 'go (unchanged)'."""
    figures: tuple[Row, ...]
    """(figure, before, after, change): decision, score, confidence, coverage, the margin."""
    gates: tuple[Row, ...]
    """(gate, severity, before, after, reason now) for gates whose status changed."""
    margin: str
    """The margin after the changes, in a sentence."""


def whatif_view(result: WhatIf) -> WhatIfView:
    before, after = result.before, result.after
    changed = before.decision is not after.decision
    decision = (
        f"{before.decision.value} → {after.decision.value} ({_DIRECTION_WORDS[result.direction]})"
        if changed
        else f"{after.decision.value} (unchanged)"
    )
    diff = diff_view(result.diff)
    return WhatIfView(
        result=result,
        title=f"{short_name(result.proposal_title, 120)} ({result.proposal_id})",
        changes=tuple(short_name(c.words, 300) for c in result.changes),
        decision=decision,
        figures=(
            (
                "Decision",
                before.decision.value,
                after.decision.value,
                _DIRECTION_WORDS[result.direction] if changed else "—",
            ),
            *diff.figures,
            _compare("Room before the score decides worse", before, after, "above"),
            _compare("Rise needed for the score to decide better", before, after, "below"),
            _pair("Knife-edge", _yes(before.knife_edge), _yes(after.knife_edge)),
            _pair("What binds", _binding(before), _binding(after)),
        ),
        gates=diff.gates,
        margin=after.margin,
    )


def _compare(name: str, before: Standing, after: Standing, which: str) -> Row:
    first = before.score_above if which == "above" else before.score_below
    then = after.score_above if which == "above" else after.score_below
    delta = "—" if first is None or then is None or first == then else f"{then - first:+.2f}"
    return (name, _points(first), _points(then), delta)


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:g} points"


def _pair(name: str, first: str, then: str) -> Row:
    return (name, first, then, "—" if first == then else "changed")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _binding(side: Standing) -> str:
    return ", ".join(side.binding) or "nothing"
