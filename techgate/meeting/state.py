"""The meeting as its journal says it stands: a frozen MeetingState folded from the events.

fold(state, entry) is pure: the same events give the same state, whoever
replays them and whenever. It also holds every rule of the meeting (who may
do what, when), so a journal line that breaks one is refused in the same
words whether it is being appended now or was edited into the file later.

Answers given in a round that is still blind live in the round's 'hidden'
field, which no serialisation includes (pydantic's exclude): views show
who has answered and how many, never a level, until the reveal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar

from pydantic import Field

from techgate.meeting.events import (
    AnswerEntry,
    AnswerValue,
    AttendanceEntry,
    MeetingCondition,
    MeetingOutcome,
    NameMode,
    NoteEntry,
    Opened,
    OpenedEntry,
    OutcomeEntry,
    RevealedEntry,
    RoundIndicator,
    RoundOpenedEntry,
    SavedEntry,
    UndoEntry,
    WhatIfEntry,
)
from techgate.meeting.rounds import disagrees, interquartile_range, median, spread
from techgate.model._base import Record
from techgate.model._base import replaced as _replaced

_R = TypeVar("_R", bound=Record)


def replaced(model: _R, **changes: Any) -> _R:
    """A copy of a state record with some fields swapped (the fold builds them from its own
    checked values, so no second validation)."""
    copy: _R = _replaced(model, **changes)
    return copy


AnyEntry = (
    OpenedEntry
    | AttendanceEntry
    | RoundOpenedEntry
    | AnswerEntry
    | RevealedEntry
    | NoteEntry
    | WhatIfEntry
    | UndoEntry
    | OutcomeEntry
    | SavedEntry
)
ZERO_HASH = "0" * 64


class RuleError(Exception):
    """An event the meeting's rules do not allow; the message says which rule."""


class Person(Record):
    """Someone in the meeting's attendance."""

    name: str
    """Their name."""
    assessor: bool
    """Whether they score in blind rounds."""
    present: bool
    """Whether they are in the meeting now."""


class Given(Record):
    """An assessor's answer to an indicator in a round."""

    assessor: str
    """Who answered (an alias, 'Assessor 2', when the meeting hides names)."""
    indicator: str
    """The indicator."""
    answer: AnswerValue
    """A level, 'n/a' or 'unchanged'."""
    note: str
    """Why, in the assessor's words."""
    round: int
    """The round it was given in."""
    seq: int
    """The journal line that holds it."""


class Answered(Record):
    """Who has answered one indicator of an open round (never what)."""

    indicator: str
    """The indicator."""
    assessors: tuple[str, ...]
    """Who has answered it, in the order they did."""


class Figures(Record):
    """One indicator's revealed answers and what they say together."""

    indicator: str
    """The indicator."""
    title: str
    """Its title."""
    top: int
    """The highest level of its scale."""
    answers: tuple[Given, ...]
    """Every answer, in the order the assessors joined the meeting."""
    levels: int
    """How many answers are levels (the panel the figures below are taken over)."""
    spread: int | None
    """Highest level less lowest; null without a level."""
    interquartile_range: float | None
    """Third quartile less first (inclusive method); null without a level."""
    median: float | None
    """The median level; null without a level."""
    disagreement: bool
    """The RAND/UCLA rule: a third of the panel or more in the lowest third of the scale and
    a third or more in the highest."""


class Round(Record):
    """A blind round."""

    number: int
    """The round's number, from 1."""
    opened_seq: int
    """The journal line that opened it."""
    opened_at: str
    """When it opened (UTC)."""
    indicators: tuple[RoundIndicator, ...]
    """What it asks."""
    timer_seconds: int | None
    """How long the chair gave it; null: no timer."""
    deadline: str | None
    """When the timer runs out (UTC); null: no timer."""
    answered: tuple[Answered, ...]
    """Per indicator, who has answered."""
    revealed: bool
    """Whether the answers are shown."""
    revealed_seq: int | None
    """The journal line after which they were shown."""
    revealed_by: str | None
    """The chair, when the chair revealed early; null when everyone present had answered
    (or the round is still blind)."""
    results: tuple[Figures, ...]
    """Per indicator, the answers and their figures; empty until the reveal."""
    hidden: tuple[Given, ...] = Field(default=(), exclude=True, repr=False)
    """The answers given while blind: never serialised, never shown."""


class NoteRow(Record):
    """A discussion note."""

    seq: int
    """Its journal line."""
    at: str
    """When (UTC)."""
    by: str
    """Who typed it."""
    indicator: str | None
    """What it is about, if an indicator."""
    text: str
    """The note."""


class WhatIfRow(Record):
    """A what-if tried in the meeting."""

    seq: int
    """The journal line that applied it."""
    at: str
    """When (UTC)."""
    change: dict[str, Any]
    """The change as the what-if core described it."""
    undone_seq: int | None
    """The journal line that took it back; null while it stands."""


class OutcomeRow(Record):
    """The committee's decision as last recorded."""

    seq: int
    """Its journal line."""
    at: str
    """When (UTC)."""
    outcome: MeetingOutcome
    """approve, reject, approve-with-conditions or defer."""
    engine_decision: Literal["go", "conditional", "no-go"]
    """What the engine recommended."""
    override: bool
    """Whether the outcome goes against it."""
    reason: str | None
    """Why (always given for an override)."""
    conditions: tuple[MeetingCondition, ...]
    """The conditions, with owners and dates."""
    present: tuple[str, ...]
    """Who was present."""


class SaveRow(Record):
    """A save of the meeting's answers and notes into the proposal."""

    seq: int
    """Its journal line."""
    at: str
    """When (UTC)."""
    proposal_sha256: str
    """The proposal's SHA-256 as saved."""
    answers: int
    """Answers written."""
    notes_through: int
    """Notes up to this journal line were written."""


class MeetingState(Record):
    """Where the meeting stands after its journal's events."""

    events: int
    """Events folded."""
    head: str
    """SHA-256 of the journal's last line (64 zeros before the first)."""
    opened: Opened | None
    """How the meeting opened; null for an empty journal."""
    proposal_sha256: str | None
    """The proposal's SHA-256 the meeting works on: as opened, or as last saved."""
    people: tuple[Person, ...]
    """Attendance, in the order people joined (sorted by name when names are hidden)."""
    rounds: tuple[Round, ...]
    """Blind rounds, oldest first."""
    answers: tuple[Given, ...]
    """The answers the meeting has revealed, the latest round's per assessor and indicator:
    what saving writes into the proposal."""
    notes: tuple[NoteRow, ...]
    """Discussion notes, oldest first."""
    whatifs: tuple[WhatIfRow, ...]
    """What-ifs tried, oldest first."""
    outcome: OutcomeRow | None
    """The committee's decision as last recorded."""
    saves: tuple[SaveRow, ...]
    """Saves, oldest first."""

    @property
    def chair(self) -> str | None:
        return None if self.opened is None else self.opened.chair

    @property
    def current_round(self) -> Round | None:
        """The round still blind, if any."""
        last = self.rounds[-1] if self.rounds else None
        return last if last is not None and not last.revealed else None

    def present_assessors(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.people if p.present and p.assessor)


EMPTY = MeetingState.trusted(
    events=0,
    head=ZERO_HASH,
    opened=None,
    proposal_sha256=None,
    people=(),
    rounds=(),
    answers=(),
    notes=(),
    whatifs=(),
    outcome=None,
    saves=(),
)


def fold(state: MeetingState, entry: AnyEntry, line_hash: str) -> MeetingState:
    """The state after one more event; RuleError when the meeting's rules refuse it.

    line_hash is the SHA-256 of the entry's journal line, the next line's 'prev'.
    """
    if entry.seq != state.events + 1:
        raise RuleError(f"is event {entry.seq} where event {state.events + 1} was due")
    if entry.prev != state.head:
        raise RuleError(
            f"does not follow line {entry.seq - 1} (its 'prev' is not that line's SHA-256): "
            f"line {entry.seq - 1} was changed, or lines were removed or put in before this one"
        )
    if state.opened is None and not isinstance(entry, OpenedEntry):
        raise RuleError("a meeting journal starts with meeting.opened")
    changed = _apply(state, entry)
    changed = _reveal_if_complete(changed, entry)
    return replaced(changed, events=entry.seq, head=line_hash)


def _apply(state: MeetingState, entry: AnyEntry) -> MeetingState:
    match entry:
        case OpenedEntry():
            if state.opened is not None:
                raise RuleError("the meeting is open already")
            if entry.by != entry.data.chair:
                raise RuleError("only the chair opens the meeting")
            return replaced(state, opened=entry.data, proposal_sha256=entry.data.proposal_sha256)
        case AttendanceEntry():
            return _attendance(state, entry)
        case RoundOpenedEntry():
            return _round_opened(state, entry)
        case AnswerEntry():
            return _answer(state, entry)
        case RevealedEntry():
            _chair_only(state, entry.by, "reveal a round early")
            current = state.current_round
            if current is None or current.number != entry.data.round:
                raise RuleError(f"round {entry.data.round} is not the round open now")
            if not current.hidden:
                raise RuleError("nobody has answered yet: there is nothing to reveal")
            return _revealed(state, current, entry.seq, entry.by)
        case NoteEntry():
            _present_or_chair(state, entry.by)
            row = NoteRow.trusted(
                seq=entry.seq,
                at=entry.at,
                by=entry.by,
                indicator=entry.data.indicator,
                text=entry.data.text,
            )
            return replaced(state, notes=(*state.notes, row))
        case WhatIfEntry():
            _chair_only(state, entry.by, "try a what-if")
            tried = WhatIfRow.trusted(
                seq=entry.seq, at=entry.at, change=entry.data.change, undone_seq=None
            )
            return replaced(state, whatifs=(*state.whatifs, tried))
        case UndoEntry():
            _chair_only(state, entry.by, "undo a what-if")
            target = entry.data.applied
            rows = list(state.whatifs)
            for index, whatif in enumerate(rows):
                if whatif.seq == target:
                    if whatif.undone_seq is not None:
                        raise RuleError(f"the what-if of line {target} was undone already")
                    rows[index] = replaced(whatif, undone_seq=entry.seq)
                    return replaced(state, whatifs=tuple(rows))
            raise RuleError(f"line {target} applied no what-if")
        case OutcomeEntry():
            return _outcome(state, entry)
        case SavedEntry():
            _chair_only(state, entry.by, "save the meeting")
            save = SaveRow.trusted(
                seq=entry.seq,
                at=entry.at,
                proposal_sha256=entry.data.proposal_sha256,
                answers=entry.data.answers,
                notes_through=entry.data.notes_through,
            )
            return replaced(
                state, saves=(*state.saves, save), proposal_sha256=entry.data.proposal_sha256
            )
    raise RuleError("is an event this meeting does not know")  # pragma: no cover


def _chair_only(state: MeetingState, by: str, what: str) -> None:
    if by != state.chair:
        raise RuleError(f"only the chair ({state.chair}) may {what}; {by} may not")


def _present_or_chair(state: MeetingState, by: str) -> None:
    if by != state.chair and not any(p.name == by and p.present for p in state.people):
        raise RuleError(f"{by} is not present in the meeting")


def _attendance(state: MeetingState, entry: AttendanceEntry) -> MeetingState:
    data = entry.data
    if entry.by not in (state.chair, data.name):
        raise RuleError("attendance is marked by the chair or by the person themselves")
    people = list(state.people)
    for index, person in enumerate(people):
        if person.name == data.name:
            if person.assessor and not data.assessor and _has_answered(state, data.name):
                raise RuleError(f"{data.name} has answered in a round and stays an assessor")
            people[index] = replaced(person, present=data.present, assessor=data.assessor)
            break
    else:
        people.append(Person.trusted(name=data.name, assessor=data.assessor, present=data.present))
    return replaced(state, people=tuple(people))


def _has_answered(state: MeetingState, name: str) -> bool:
    return any(
        name in answered.assessors for round_ in state.rounds for answered in round_.answered
    )


def _round_opened(state: MeetingState, entry: RoundOpenedEntry) -> MeetingState:
    _chair_only(state, entry.by, "open a round")
    current = state.current_round
    if current is not None:
        raise RuleError(f"round {current.number} is still blind: reveal it first")
    data = entry.data
    if data.round != len(state.rounds) + 1:
        raise RuleError(f"is round {data.round} where round {len(state.rounds) + 1} was due")
    if not state.present_assessors():
        raise RuleError("no assessor is present to answer")
    deadline = None
    if data.timer_seconds is not None:
        start = dt.datetime.strptime(entry.at, "%Y-%m-%dT%H:%M:%S.%fZ")
        end = start + dt.timedelta(seconds=data.timer_seconds)
        deadline = end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    round_ = Round.trusted(
        number=data.round,
        opened_seq=entry.seq,
        opened_at=entry.at,
        indicators=data.indicators,
        timer_seconds=data.timer_seconds,
        deadline=deadline,
        answered=tuple(Answered.trusted(indicator=i.id, assessors=()) for i in data.indicators),
        revealed=False,
        revealed_seq=None,
        revealed_by=None,
        results=(),
        hidden=(),
    )
    return replaced(state, rounds=(*state.rounds, round_))


def _answer(state: MeetingState, entry: AnswerEntry) -> MeetingState:
    data = entry.data
    current = state.current_round
    if current is None or current.number != data.round:
        if any(r.number == data.round for r in state.rounds):
            raise RuleError(
                f"round {data.round} has been revealed: a revealed answer is never edited; "
                "the chair can hold a new round"
            )
        raise RuleError(f"round {data.round} is not open")
    if entry.by not in state.present_assessors():
        raise RuleError(f"{entry.by} is not an assessor present in the meeting")
    indicator = next((i for i in current.indicators if i.id == data.indicator), None)
    if indicator is None:
        raise RuleError(f"round {data.round} does not ask about {data.indicator}")
    _check_answer(indicator, data.answer)
    answered = list(current.answered)
    index = next(k for k, a in enumerate(answered) if a.indicator == data.indicator)
    if entry.by in answered[index].assessors:
        raise RuleError(
            f"{entry.by} has answered {data.indicator} in round {data.round} already; "
            "an answer is given once per round"
        )
    answered[index] = replaced(answered[index], assessors=(*answered[index].assessors, entry.by))
    given = Given.trusted(
        assessor=entry.by,
        indicator=data.indicator,
        answer=data.answer,
        note=data.note,
        round=data.round,
        seq=entry.seq,
    )
    changed = replaced(current, answered=tuple(answered), hidden=(*current.hidden, given))
    return replaced(state, rounds=(*state.rounds[:-1], changed))


def _check_answer(indicator: RoundIndicator, answer: AnswerValue) -> None:
    if answer == "n/a" and not indicator.allow_na:
        raise RuleError(f"{indicator.id} may not be answered 'n/a'")
    if answer == "unchanged" and not indicator.allow_unchanged:
        raise RuleError(f"{indicator.id} may not be answered 'unchanged'")
    if isinstance(answer, int) and answer > indicator.top:
        raise RuleError(f"{indicator.id} is scored 0 to {indicator.top}; {answer} is off the scale")


def _reveal_if_complete(state: MeetingState, entry: AnyEntry) -> MeetingState:
    """Once every assessor present has answered every indicator, the round is revealed."""
    current = state.current_round
    if current is None or not current.hidden:
        return state
    present = set(state.present_assessors())
    if not present:
        return state
    if all(present <= set(answered.assessors) for answered in current.answered):
        return _revealed(state, current, entry.seq, None)
    return state


def _revealed(state: MeetingState, current: Round, seq: int, by: str | None) -> MeetingState:
    order = {person.name: index for index, person in enumerate(state.people)}
    results = []
    for indicator in current.indicators:
        given = sorted(
            (g for g in current.hidden if g.indicator == indicator.id),
            key=lambda g: order.get(g.assessor, len(order)),
        )
        results.append(figures(indicator, given))
    revealed = replaced(
        current,
        revealed=True,
        revealed_seq=seq,
        revealed_by=by,
        results=tuple(results),
        hidden=(),
    )
    # A later round's answer replaces an earlier one by the same assessor to the same indicator.
    latest = {(g.assessor, g.indicator): g for g in state.answers}
    for row in results:
        for given_answer in row.answers:
            latest[(given_answer.assessor, given_answer.indicator)] = given_answer
    return replaced(state, rounds=(*state.rounds[:-1], revealed), answers=tuple(latest.values()))


def figures(indicator: RoundIndicator, answers: list[Given]) -> Figures:
    """The figures of one indicator's answers (the order of the answers changes none of them)."""
    levels = [g.answer for g in answers if isinstance(g.answer, int)]
    return Figures.trusted(
        indicator=indicator.id,
        title=indicator.title,
        top=indicator.top,
        answers=tuple(answers),
        levels=len(levels),
        spread=spread(levels) if levels else None,
        interquartile_range=interquartile_range(levels) if levels else None,
        median=median(levels) if levels else None,
        disagreement=disagrees(levels, indicator.top),
    )


def _outcome(state: MeetingState, entry: OutcomeEntry) -> MeetingState:
    _chair_only(state, entry.by, "record the outcome")
    current = state.current_round
    if current is not None:
        raise RuleError(f"round {current.number} is still blind: reveal it first")
    data = entry.data
    if data.override != overrides(data.outcome, data.engine_decision):
        raise RuleError("its 'override' does not match the outcome and the engine's decision")
    if data.override and data.reason is None:
        raise RuleError(
            f"'{data.outcome.value}' overrides the engine's {data.engine_decision}, "
            "and an override needs a reason"
        )
    conditional = data.outcome is MeetingOutcome.APPROVE_WITH_CONDITIONS
    if conditional and not data.conditions:
        raise RuleError("an approval with conditions needs at least one condition")
    if not conditional and data.conditions:
        raise RuleError(f"'{data.outcome.value}' takes no conditions")
    row = OutcomeRow.trusted(
        seq=entry.seq,
        at=entry.at,
        outcome=data.outcome,
        engine_decision=data.engine_decision,
        override=data.override,
        reason=data.reason,
        conditions=data.conditions,
        present=data.present,
    )
    return replaced(state, outcome=row)


def overrides(outcome: MeetingOutcome, engine: str) -> bool:
    """Whether the outcome goes against the engine, by the register's rule; defer never does."""
    if outcome is MeetingOutcome.REJECT:
        return engine == "go"
    if outcome is MeetingOutcome.APPROVE:
        return engine != "go"
    if outcome is MeetingOutcome.APPROVE_WITH_CONDITIONS:
        return engine == "no-go"
    return False


def aliases(state: MeetingState) -> dict[str, str]:
    """Assessor name to 'Assessor n', numbered in the order they joined the meeting."""
    assessors = [p.name for p in state.people if p.assessor]
    return {name: f"Assessor {index}" for index, name in enumerate(assessors, start=1)}


def view(state: MeetingState) -> MeetingState:
    """The state as every screen and the minutes may show it.

    With names hidden, assessors are 'Assessor 1..n' wherever they answered,
    noted or are counted, and attendance is sorted by name so that its order
    cannot match names to numbers. Blind answers are never in a view.
    """
    if state.opened is None or state.opened.names is NameMode.SHOWN:
        return state
    alias = aliases(state)

    def named(name: str) -> str:
        return alias.get(name, name)

    def given(g: Given) -> Given:
        return replaced(g, assessor=named(g.assessor))

    rounds = tuple(
        replaced(
            r,
            answered=tuple(
                replaced(a, assessors=tuple(named(n) for n in a.assessors)) for a in r.answered
            ),
            results=tuple(
                replaced(f, answers=tuple(given(g) for g in f.answers)) for f in r.results
            ),
            hidden=(),
        )
        for r in state.rounds
    )
    return replaced(
        state,
        people=tuple(sorted(state.people, key=lambda p: p.name)),
        rounds=rounds,
        answers=tuple(given(g) for g in state.answers),
        notes=tuple(replaced(n, by=named(n.by)) for n in state.notes),
        outcome=None
        if state.outcome is None
        else replaced(state.outcome, present=tuple(sorted(state.outcome.present))),
    )
