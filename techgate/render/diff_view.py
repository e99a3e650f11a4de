"""A record diff laid out as rows of words, the same for the terminal, Markdown and HTML.

Templates only place these strings (each escaped by its environment), so the
three views cannot drift apart in what they call a change.
"""

from __future__ import annotations

from dataclasses import dataclass

from techgate.model.diff import IndicatorState, NumberChange, RecordDiff, RecordSide
from techgate.model.evaluation import AssessorScore, GateStatus
from techgate.render.safe_text import short_name

Row = tuple[str, ...]

_DIRECTION_WORDS = {"better": "better", "worse": "worse", "same": "unchanged"}


@dataclass(frozen=True)
class DiffView:
    """What a diff shows, as words."""

    diff: RecordDiff
    decision: str
    """'conditional → go (better)', or 'go (unchanged)'."""
    figures: tuple[Row, ...]
    """(figure, before, after, change) for score, confidence and coverage."""
    sides: tuple[Row, ...]
    """(which, proposal, proposal hash, pack, as of) for before and after."""
    pack_note: str | None
    """A sentence when the packs differ or changed; None for one pack."""
    gates: tuple[Row, ...]
    """(gate, severity, before, after, reason now)."""
    criteria: tuple[Row, ...]
    """(criterion, score before, score after, weight share before, after)."""
    indicators: tuple[Row, ...]
    """(indicator, criterion, what changed, before, after)."""
    answers: tuple[Row, ...]
    """(indicator, assessor, before, after)."""
    met: tuple[str, ...]
    still_open: tuple[str, ...]
    new: tuple[str, ...]


def diff_view(diff: RecordDiff) -> DiffView:
    first, then = diff.before, diff.after
    if diff.decision_changed:
        decision = (
            f"{first.decision.value} → {then.decision.value} ({_DIRECTION_WORDS[diff.direction]})"
        )
    else:
        decision = f"{then.decision.value} (unchanged)"
    return DiffView(
        diff=diff,
        decision=decision,
        figures=(
            _figure("Score", diff.score, "{:g}"),
            _figure("Confidence", diff.confidence, "{:.2f}"),
            _figure("Coverage", diff.coverage, "{:.0%}"),
        ),
        sides=(_side("Before", first), _side("After", then)),
        pack_note=_pack_note(diff),
        gates=tuple(
            (
                short_name(g.title, 120),
                g.severity.value,
                _gate(g.before),
                _gate(g.after),
                short_name(g.reason_after or g.reason_before or "", 300),
            )
            for g in diff.gates
        ),
        criteria=tuple(
            (
                short_name(c.title, 120),
                _points(c.score_before, c.presence == "added"),
                _points(c.score_after, c.presence == "removed"),
                _share(c.weight_share_before),
                _share(c.weight_share_after),
            )
            for c in diff.criteria
        ),
        indicators=tuple(
            (
                short_name(i.title, 120),
                i.criterion,
                ", ".join(i.changed),
                _state(i.before),
                _state(i.after),
            )
            for i in diff.indicators
        ),
        answers=tuple(
            (short_name(i.title, 120), short_name(a.assessor), *_answer_pair(a.before, a.after))
            for i in diff.indicators
            for a in i.answers
        ),
        met=tuple(c.before or "" for c in diff.conditions if c.state == "met"),
        still_open=tuple(c.after or "" for c in diff.conditions if c.state == "open"),
        new=tuple(c.after or "" for c in diff.conditions if c.state == "new"),
    )


def _figure(name: str, change: NumberChange, form: str) -> Row:
    if name == "Score":
        delta = "—" if change.delta == 0 else f"{change.delta:+g}"
    elif name == "Coverage":
        delta = "—" if change.delta == 0 else f"{change.delta * 100:+.0f} points"
    else:
        delta = "—" if change.delta == 0 else f"{change.delta:+.2f}"
    return (name, form.format(change.before), form.format(change.after), delta)


def _side(which: str, side: RecordSide) -> Row:
    return (
        which,
        f"{short_name(side.proposal_title, 120)} ({side.proposal_id})",
        side.proposal_sha256[:12],
        f"{side.pack_id} {side.pack_version}",
        side.as_of.isoformat(),
    )


def _pack_note(diff: RecordDiff) -> str | None:
    first, then = diff.before, diff.after
    if diff.pack_relation == "different":
        return (
            f"Judged by different packs ({first.pack_id} {first.pack_version}, then "
            f"{then.pack_id} {then.pack_version}): criteria, gates and indicators are compared "
            "where their ids match; the rest shows as added or removed."
        )
    if diff.pack_relation == "changed":
        return (
            f"The pack changed ({first.pack_id} {first.pack_version}, then {then.pack_version}"
            f"{'' if diff.pack_version_changed else ', same version, other content'}): "
            "some of the change may come from the pack, not the proposal."
        )
    return None


def _gate(status: GateStatus | None) -> str:
    return "absent" if status is None else status.value


def _points(value: float | None, absent: bool) -> str:
    if absent:
        return "absent"
    return "—" if value is None else f"{value:g}"


def _share(value: float | None) -> str:
    return "absent" if value is None else f"{value:.0%}"


def _state(state: IndicatorState | None) -> str:
    if state is None:
        return "absent"
    words = state.status.value
    if state.score is not None:
        words += f" {state.score:g}"
    if state.moderated is not None:
        words += f", moderated {state.moderated}"
    if state.evidence:
        words += f"; evidence {', '.join(state.evidence)}"
    elif state.evidence_missing:
        words += "; evidence missing"
    return words


def _answer_pair(before: AssessorScore | None, after: AssessorScore | None) -> tuple[str, str]:
    notes_differ = (before.note if before else "") != (after.note if after else "")
    return _answer(before, notes_differ), _answer(after, notes_differ)


def _answer(answer: AssessorScore | None, with_note: bool) -> str:
    if answer is None:
        return "no answer"
    words = f"level {answer.score}" if answer.answer == "level" else answer.answer
    if answer.evidence:
        words += f" (evidence {', '.join(answer.evidence)})"
    if with_note:
        words += f"; note: {short_name(answer.note, 120) or '(none)'}"
    return words
