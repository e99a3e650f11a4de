"""What the meeting screen works on: the meeting session, the what-if session over it, and
every action a key takes, with no widget in sight.

The screen keeps no state of its own that matters: the journal holds the
meeting, and the what-if session is rebuilt from the journal's standing
what-ifs whenever the answers under it change (a round revealed, a save) and
when the screen starts again on the same journal. Every method raises
InvalidInputError for what the chair typed wrong, and the screen shows it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techgate import api
from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.model.evaluation import Evaluation, SensitivityRequest
from techgate.model.whatif import ChangeKind, ChangeRequest

if TYPE_CHECKING:
    from techgate.meeting.events import RoundIndicator
    from techgate.meeting.session import MeetingSession
    from techgate.meeting.state import MeetingState
    from techgate.whatif import WhatIfSession

Writer = Callable[[Sequence[tuple[Path, bytes]]], None]
"""Writes every file or none (the command line hands the screen its output plan)."""

ORIGIN = "<meeting screen>"
FLIP_SAMPLES = 200
"""Weight vectors the flip table's sensitivity draws: the swings it shows do not depend on
them, and 200 keep a change's redraw near 15 ms."""

_SPREAD = re.compile(r"^spread\s*(?:>=|≥|=)?\s*([0-9]{1,2})$", re.IGNORECASE)
_OBSERVER = " (observer)"


def _problem(field: str, message: str, hint: str = "") -> InvalidInputError:
    return single_problem(ORIGIN, message, hint, field=field)


@dataclass(frozen=True)
class SaveDone:
    """What a save wrote, and what the register now holds."""

    paths: tuple[Path, ...]
    """The files written: the proposal (when it changed) and the minutes."""
    answers: int
    """Answers written into the proposal."""
    register: str | None
    """The register's decision in words, when a register was given and a decision recorded."""


class Desk:
    """The chair's (or an assessor's) desk: the meeting, the what-ifs, the round's selection."""

    def __init__(
        self,
        meeting: MeetingSession,
        *,
        writer: Writer | None = None,
        register_url: str | None = None,
        me: str | None = None,
    ) -> None:
        self.meeting = meeting
        self.writer = writer
        self.register_url = register_url
        self.me = me or meeting.chair
        """Who this terminal acts as: the chair, or an assessor who joined from their own."""
        self.selected: list[str] = []
        """Indicators the chair marked for the next round, in the order marked."""
        self.whatif: WhatIfSession = api.meeting_whatif_session(meeting)
        self._rows: tuple[int, ...] = ()
        self.replay_problems: tuple[str, ...] = ()
        self._flips: dict[str, Evaluation] = {}
        self._rebuild()

    # -- what the screen shows ----------------------------------------------------------

    @property
    def is_chair(self) -> bool:
        return self.me == self.meeting.chair

    @property
    def state(self) -> MeetingState:
        """The meeting as screens may show it: names hidden when it hides them, blind answers
        never."""
        return self.meeting.state

    @property
    def record(self) -> Evaluation:
        """The decision now: the meeting's answers with the what-ifs in force."""
        return self.whatif.current_record

    @property
    def baseline(self) -> Evaluation:
        """The decision with the meeting's answers and no what-if."""
        return self.whatif.record

    def flip_record(self) -> Evaluation:
        """The decision now with its sensitivity: what would move it, weight by weight and
        indicator by indicator."""
        key = self.record.proposal.id + ":" + str(id(self.whatif.current))
        found = self._flips.get(key)
        if found is None:
            self._flips.clear()
            found = self._flips[key] = api.evaluate(
                self.whatif.current_proposal,
                pack=self.whatif.current_pack,
                sensitivity=SensitivityRequest(samples=FLIP_SAMPLES, seed=0),
            )
        return found

    def names(self) -> dict[str, str]:
        """Assessors' names as this meeting shows them."""
        return self.meeting.shown_names()

    def now(self) -> dt.datetime:
        return self.meeting.now()

    # -- keeping up with the journal ------------------------------------------------------

    def refresh(self) -> bool:
        """Fold in what other terminals appended; whether anything was."""
        before = self.meeting.journal.state.events
        self.meeting.refresh()
        if self.meeting.journal.state.events == before:
            return False
        self._sync()
        return True

    def _sync(self) -> None:
        """Rebuild the what-ifs when the answers under them changed."""
        if self.meeting.proposal().sha256 != self.whatif.proposal.sha256:
            self._rebuild()

    def _rebuild(self) -> None:
        """The what-if session over the meeting's answers, with the journal's standing
        what-ifs applied again in order."""
        session = api.meeting_whatif_session(self.meeting)
        rows: list[int] = []
        problems: list[str] = []
        for row in self.meeting.journal.state.whatifs:
            if row.undone_seq is not None:
                continue
            kind, given = row.change.get("kind"), row.change.get("given")
            if not isinstance(kind, str) or not isinstance(given, str):
                problems.append(f"line {row.seq}: a what-if this screen did not write")
                continue
            try:
                session = session.apply(self._request(f"{kind} {given}"))
            except InvalidInputError as error:
                problems += [f"line {row.seq}: {p.message}" for p in error.problems]
                continue
            rows.append(row.seq)
        self.whatif, self._rows, self.replay_problems = session, tuple(rows), tuple(problems)
        self._flips.clear()

    def join(self) -> None:
        """An assessor's terminal: mark them present, unless they are already."""
        if not any(p.name == self.me and p.present for p in self.meeting.journal.state.people):
            self.meeting.mark_present(self.me, by=self.me)
            self._sync()

    # -- people ---------------------------------------------------------------------------

    def attend(self, line: str) -> MeetingState:
        """'Name' joins as an assessor, 'Name (observer)' as an observer, '-Name' leaves."""
        text = line.strip()
        if text.startswith("-"):
            name = text[1:].strip()
            state = self.meeting.mark_absent(name, by=self._by())
        elif text.endswith(_OBSERVER):
            name = text.removesuffix(_OBSERVER).strip()
            state = self.meeting.mark_present(name, assessor=False, by=self._by())
        else:
            state = self.meeting.mark_present(text, by=self._by())
        self._sync()
        return state

    def _by(self) -> str:
        # From the chair's terminal the chair marks people; from an assessor's, themselves.
        return self.meeting.chair if self.is_chair else self.me

    def _real(self, shown: str) -> str:
        for real, alias in self.names().items():
            if alias == shown:
                return real
        return shown

    # -- the blind round ------------------------------------------------------------------

    def toggle(self, indicator: str) -> bool:
        """Mark or unmark an indicator for the next round; whether it is marked now."""
        if indicator in self.selected:
            self.selected.remove(indicator)
            return False
        self.selected.append(indicator)
        return True

    def open_round(self, which: str, timer_minutes: str = "") -> MeetingState:
        """A blind round on 'which': ids separated by commas or spaces, 'spread 2' (every
        indicator whose answers are 2 or more apart), or nothing for the marked ones."""
        seconds = _timer(timer_minutes)
        spec = which.strip()
        spread = _SPREAD.match(spec)
        if spread:
            state = self.meeting.open_round(
                spread_at_least=int(spread.group(1)), timer_seconds=seconds
            )
        else:
            ids = [part for part in re.split(r"[,\s]+", spec) if part] or list(self.selected)
            if not ids:
                raise _problem(
                    "indicators",
                    "no indicator named or marked",
                    "name them (accuracy, privacy), type 'spread 2', or mark rows with space",
                )
            state = self.meeting.open_round(ids, timer_seconds=seconds)
        self.selected.clear()
        return state

    def round_indicators(self) -> tuple[RoundIndicator, ...]:
        current = self.meeting.journal.state.current_round
        return current.indicators if current else ()

    def waiting(self) -> tuple[str, ...]:
        """Assessors present who have not answered every indicator of the open round, in
        the order they joined (by name: who is in the room is no secret)."""
        state = self.meeting.journal.state
        current = state.current_round
        if current is None:
            return ()
        done = [set(a.assessors) for a in current.answered]
        return tuple(
            person
            for person in state.present_assessors()
            if not all(person in answered for answered in done)
        )

    def answer(self, assessor: str, answers: Mapping[str, str]) -> MeetingState:
        """One assessor's private answers to every indicator of the open round, all checked
        before the first is written."""
        real = self._real(assessor)
        current = self.meeting.journal.state.current_round
        if current is None:
            raise _problem("round", "no round is open")
        if real not in self.meeting.journal.state.present_assessors():
            raise _problem("assessor", f"{assessor} is not an assessor present in the meeting")
        values: list[tuple[str, int | str]] = []
        problems: list[InputProblem] = []
        for indicator in current.indicators:
            typed = answers.get(indicator.id, "").strip().lower()
            try:
                values.append((indicator.id, _answer_value(typed, indicator)))
            except ValueError as error:
                problems.append(InputProblem(ORIGIN, None, None, indicator.id, str(error)))
        if problems:
            raise InvalidInputError(problems)
        answered = {
            a.indicator for a in current.answered if real in a.assessors
        }  # a resumed screen: skip what this assessor gave before the stop
        state = self.meeting.state
        for key, value in values:
            if key not in answered:
                state = self.meeting.answer(real, key, value)  # type: ignore[arg-type]
        self._sync()
        return state

    def reveal(self) -> MeetingState:
        state = self.meeting.reveal(by=self.me)
        self._sync()
        return state

    def note(self, line: str) -> MeetingState:
        """A note; 'indicator-id: text' is about that indicator."""
        about, colon, rest = line.partition(":")
        if colon and about.strip() in self.meeting.pack.indicators() and rest.strip():
            return self.meeting.note(rest.strip(), indicator=about.strip(), by=self.me)
        return self.meeting.note(line.strip(), by=self.me)

    # -- what-if --------------------------------------------------------------------------

    def _request(self, line: str) -> ChangeRequest:
        request = api.whatif_change(line)
        if request.kind is ChangeKind.ANSWER:
            # With names hidden the chair types 'Assessor 2:accuracy=2', as the screen shows.
            name, colon, rest = request.text.partition(":")
            if colon:
                request = ChangeRequest(
                    kind=request.kind, text=f"{self._real(name.strip())}:{rest}"
                )
        return request

    def _shown(self, text: str) -> str:
        for real, alias in self.names().items():
            if real != alias:
                text = text.replace(real, alias)
        return text

    def apply_whatif(self, line: str) -> MeetingState:
        """A what-if typed as 'techgate whatif' takes it ('weight safety=30'): the decision
        moves at once; the journal keeps the change as typed, so that it can be tried again
        after a restart. Nothing is saved into the proposal."""
        if not self.is_chair:
            raise _problem("whatif", "only the chair tries what-ifs")
        typed = line.strip().removeprefix("--")
        session = self.whatif.apply(self._request(typed))
        change = session.changes[-1]
        given = typed.partition(" ")[2]
        data: dict[str, Any] = {
            "kind": change.kind.value,
            "given": given.strip(),
            "words": self._shown(change.words),
        }
        state = self.meeting.apply_whatif(data)
        self.whatif = session
        self._rows = (*self._rows, self.meeting.journal.state.events)
        return state

    def undo(self) -> MeetingState | None:
        """Take back the latest what-if; None when there is none."""
        if not self._rows:
            return None
        state = self.meeting.undo_whatif(self._rows[-1])
        self.whatif, self._rows = self.whatif.undo(), self._rows[:-1]
        return state

    def redo(self) -> MeetingState | None:
        """Put back the what-if undone last (a new line in the journal); None when none."""
        if not self.whatif.undone:
            return None
        session = self.whatif.redo()
        change = session.changes[-1]
        given = change.given
        state = self.meeting.apply_whatif(
            {"kind": change.kind.value, "given": given, "words": self._shown(change.words)}
        )
        self.whatif = session
        self._rows = (*self._rows, self.meeting.journal.state.events)
        return state

    def changes(self) -> tuple[str, ...]:
        """The what-ifs in force, in words, oldest first."""
        return tuple(self._shown(change.words) for change in self.whatif.changes)

    # -- outcome and saving -----------------------------------------------------------------

    def record_outcome(
        self, outcome: str, *, reason: str = "", conditions: str = ""
    ) -> MeetingState:
        """The committee's decision; conditions one a line as 'what | owner | YYYY-MM-DD'."""
        parsed = _conditions(conditions)
        return self.meeting.record_outcome(outcome, reason=reason or None, conditions=parsed)

    def save(self) -> SaveDone:
        """The proposal with the meeting's answers and notes, and the minutes (Markdown and
        PDF) beside it, written all or none; then the journal's note of it, then the
        register's decision when a register was given."""
        if self.writer is None:
            raise _problem("save", "this screen was started without a place to write")
        plan = self.meeting.save()
        self.writer(plan.files)
        self.meeting.saved(plan)
        self._rebuild()
        decided = None
        outcome = self.meeting.journal.state.outcome
        if self.register_url is not None and outcome is not None:
            with api.open_register(self.register_url) as register:
                entered = api.record_meeting_decision(register, self.meeting)
            decided = (
                "deferred: nothing entered"
                if entered is None
                else f"{entered.outcome.value} (evaluation {entered.evaluation_id})"
            )
        return SaveDone(tuple(path for path, _ in plan.files), plan.answers, decided)


def _timer(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= 240:
        raise _problem("timer", f"{text!r} is not a number of minutes from 1 to 240")
    return int(text) * 60


def _answer_value(typed: str, indicator: RoundIndicator) -> int | str:
    if not typed:
        raise ValueError("has no answer")
    if typed in ("n/a", "na"):
        if not indicator.allow_na:
            raise ValueError("may not be answered n/a")
        return "n/a"
    if typed in ("u", "unchanged"):
        if not indicator.allow_unchanged:
            raise ValueError("may not be answered unchanged")
        return "unchanged"
    if not re.fullmatch(r"[0-9]{1,2}", typed) or int(typed) > indicator.top:
        raise ValueError(f"takes a level from 0 to {indicator.top}, n/a or unchanged")
    return int(typed)


def _conditions(text: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    problems: list[InputProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            problems.append(
                InputProblem(
                    ORIGIN,
                    number,
                    None,
                    "conditions",
                    "a condition is 'what | owner | YYYY-MM-DD'",
                    "such as 'Accessibility audit | Joan | 2026-06-30'",
                )
            )
            continue
        found.append({"text": parts[0], "owner": parts[1], "due": parts[2]})
    if problems:
        raise InvalidInputError(problems)
    return found
