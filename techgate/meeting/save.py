"""What saving a meeting writes into the proposal: its revealed answers and its notes.

The answers go in through the same ruamel round trip the scoresheet import
uses (techgate.sheets.proposal_file): comments, key order and quoting stay,
and only answers whose level changed are touched. A changed answer keeps the
evidence it cited and takes the assessor's note from the round, or a note
saying which meeting and round changed it. Discussion notes are appended to
the end of the file as YAML comments, each line of a note behind its own
'#', so no note can become YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from techgate.meeting.state import Given, MeetingState, NoteRow
from techgate.model.proposal import Assessment, IndicatorScore, Proposal
from techgate.render.safe_text import printable
from techgate.sheets.proposal_file import assessments_changed


def changed_answers(proposal: Proposal, answers: Iterable[Given]) -> tuple[Given, ...]:
    """The revealed answers that differ from what the proposal holds."""
    held = {a.assessor: a.scores for a in proposal.assessments}
    return tuple(
        given
        for given in answers
        if (score := held.get(given.assessor, {}).get(given.indicator)) is None
        or score.score != given.answer
    )


def _assessments(
    proposal: Proposal, changes: Sequence[Given], date: str
) -> tuple[list[Assessment], dict[str, list[str]]]:
    by_name = {a.assessor: a for a in proposal.assessments}
    scores: dict[str, dict[str, IndicatorScore]] = {}
    asked: dict[str, list[str]] = {}
    for given in changes:
        existing = by_name.get(given.assessor)
        before = None if existing is None else existing.scores.get(given.indicator)
        how = "Given" if before is None else "Changed"
        note = given.note or f"{how} in the steering meeting of {date} (round {given.round})."
        answer = IndicatorScore(
            score=given.answer,
            evidence=() if before is None else before.evidence,
            note=note,
        )
        if given.assessor not in scores:
            scores[given.assessor] = dict(existing.scores) if existing else {}
        scores[given.assessor][given.indicator] = answer
        asked.setdefault(given.assessor, []).append(given.indicator)
    assessments = [
        by_name[name].model_copy(update={"scores": values})
        if name in by_name
        else Assessment(assessor=name, scores=values)
        for name, values in scores.items()
    ]
    return assessments, asked


def with_answers(proposal: Proposal, answers: Iterable[Given], date: str) -> Proposal:
    """The proposal with the meeting's revealed answers in place (assessors added as needed)."""
    changes = changed_answers(proposal, answers)
    if not changes:
        return proposal
    updated, _ = _assessments(proposal, changes, date)
    replaced = {a.assessor: a for a in updated}
    assessments = [replaced.pop(a.assessor, a) for a in proposal.assessments]
    assessments += replaced.values()
    return proposal.model_copy(update={"assessments": tuple(assessments)})


def proposal_text(
    text: str,
    name: str,
    proposal: Proposal,
    state: MeetingState,
    shown: MeetingState,
) -> str:
    """The proposal file's new text: changed answers set, new notes appended as comments.

    'state' holds the real names (answers are written under the assessor who
    gave them); 'shown' is the view, whose names the notes' comments use.
    """
    assert state.opened is not None
    date = state.opened.date.isoformat()
    changes = changed_answers(proposal, state.answers)
    if changes:
        assessments, asked = _assessments(proposal, changes, date)
        text = assessments_changed(text, name, assessments, asked)
    saved_through = state.saves[-1].notes_through if state.saves else 0
    notes = [note for note in shown.notes if note.seq > saved_through]
    if notes:
        text = text if text.endswith("\n") else text + "\n"
        text += notes_comment(notes, date, state.opened.chair)
    return text


def notes_comment(notes: Sequence[NoteRow], date: str, chair: str) -> str:
    """The notes as a block of YAML comments: every line starts with '#', whatever a note holds."""
    lines = [f"Steering meeting of {date} (chair: {chair}): discussion notes"]
    for note in notes:
        about = f"[{note.indicator}] " if note.indicator else ""
        # splitlines() breaks at every character YAML might read as a line break
        # (\r, \x85, \u2028, \u2029 ...), so none can end the comment early.
        parts = note.text.splitlines() or [""]
        lines.append(f"  {about}{note.by}: {parts[0]}")
        lines += [f"    {part}" for part in parts[1:]]
    return "".join("# " + printable(line).rstrip() + "\n" for line in lines)
