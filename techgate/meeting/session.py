"""A meeting in progress: each action appends one event to the journal and returns the new state.

The session holds the proposal and pack it was opened on, and functions the
api hands it (evaluate a proposal, check a proposal's new text), so that
this package needs neither the loaders nor the engine. Every action is
checked twice: here, for what needs the pack (indicator ids, the engine's
recommendation), and by the journal against the meeting's rules as they
stand after whatever other terminals appended.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.meeting.events import (
    AnswerGiven,
    AnswerValue,
    Attendance,
    Data,
    MeetingCondition,
    MeetingOutcome,
    NameMode,
    NoteAdded,
    Opened,
    OutcomeRecorded,
    RoundIndicator,
    RoundOpened,
    RoundRevealed,
    Saved,
    WhatIfApplied,
    WhatIfUndone,
)
from techgate.meeting.journal import Clock, Journal
from techgate.meeting.minutes import MINUTES_FORMATS, minutes_context, render_minutes
from techgate.meeting.rounds import indicators_with_spread
from techgate.meeting.save import changed_answers, proposal_text, with_answers
from techgate.meeting.state import MeetingState, aliases, overrides, view
from techgate.model.criteria import CriteriaPack
from techgate.model.evaluation import Evaluation
from techgate.model.proposal import Proposal
from techgate.vocabulary import DocumentFormat

Evaluate = Callable[[Proposal], Evaluation]
CheckText = Callable[[str], Proposal]
_D = TypeVar("_D", bound=Data)


def journal_beside(proposal: Path) -> Path:
    """Where a proposal's meeting journal goes by default: PROPOSAL.meeting.jsonl beside it."""
    return proposal.with_name(proposal.stem + ".meeting.jsonl")


def minutes_beside(proposal: Path, document_format: DocumentFormat) -> Path:
    """Where the minutes go by default: PROPOSAL.minutes.md (or .html, .pdf) beside it."""
    return proposal.with_name(proposal.stem + ".minutes" + document_format.suffix)


@dataclass(frozen=True)
class SavePlan:
    """What saving writes, all or nothing, before the journal records that it was saved."""

    files: tuple[tuple[Path, bytes], ...]
    """Each file and its bytes: the proposal (when it changes) and the minutes."""
    proposal: Proposal
    """The proposal as saved, checked like any input."""
    text: str
    """The proposal file's new text."""
    answers: int
    """Answers the save changes in the proposal."""
    notes_through: int
    """The journal line of the last note written into the proposal."""


def _validated(cls: type[_D], where: str, **values: Any) -> _D:
    try:
        return cls(**values)
    except ValidationError as error:
        raise InvalidInputError(
            InputProblem(
                where,
                None,
                None,
                ".".join(str(part) for part in detail["loc"]),
                detail["msg"],
            )
            for detail in error.errors(include_url=False)
        ) from None


class MeetingSession:
    """One terminal's handle on a meeting: the chair's, or an assessor's joining from their own."""

    def __init__(
        self,
        journal: Journal,
        *,
        path: Path,
        proposal: Proposal,
        pack: CriteriaPack,
        text: str | None,
        evaluate: Evaluate,
        check_text: CheckText,
        clock: Clock,
    ) -> None:
        self.journal = journal
        self.path = path
        self._proposal = proposal
        self._pack = pack
        self._text = text
        self._evaluate = evaluate
        self._check_text = check_text
        self._clock = clock
        self._records: dict[tuple[Any, ...], Evaluation] = {}

    # -- opening ------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        journal: Journal,
        *,
        path: Path,
        proposal: Proposal,
        pack: CriteriaPack,
        text: str | None,
        chair: str | None,
        names: NameMode,
        date: dt.date | None,
        evaluate: Evaluate,
        check_text: CheckText,
        clock: Clock,
    ) -> MeetingSession:
        """A new meeting in an empty journal, or the one the journal holds, resumed."""
        session = cls(
            journal,
            path=path,
            proposal=proposal,
            pack=pack,
            text=text,
            evaluate=evaluate,
            check_text=check_text,
            clock=clock,
        )
        state = journal.state
        if state.opened is None:
            if chair is None:
                raise single_problem(
                    journal.name, "holds no meeting yet: name its chair to open one", field="chair"
                )
            opened = _validated(
                Opened,
                journal.name,
                proposal=str(path),
                proposal_id=proposal.id,
                proposal_title=proposal.title,
                proposal_sha256=proposal.sha256,
                pack_id=pack.id,
                pack_version=pack.version,
                pack_sha256=pack.sha256,
                chair=chair,
                date=date or clock().date(),
                names=names,
            )
            journal.append(opened, chair, clock())
            return session
        session._check_resumable(chair)
        return session

    def _check_resumable(self, chair: str | None) -> None:
        state = self.journal.state
        opened = state.opened
        assert opened is not None
        problems = []
        if chair is not None and chair != opened.chair:
            problems.append(f"is chaired by {opened.chair}, not {chair}")
        if self._proposal.sha256 != state.proposal_sha256:
            problems.append(
                f"was kept on another version of the proposal (SHA-256 {state.proposal_sha256}); "
                f"{self.path} has changed since"
            )
        if self._pack.sha256 != opened.pack_sha256:
            problems.append(
                f"judges by another version of pack {opened.pack_id} (SHA-256 {opened.pack_sha256})"
            )
        if problems:
            raise InvalidInputError(
                InputProblem(self.journal.name, None, None, "meeting.opened", message)
                for message in problems
            )

    def close(self) -> None:
        self.journal.close()

    def __enter__(self) -> MeetingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what it shows --------------------------------------------------------------

    @property
    def state(self) -> MeetingState:
        """The meeting as screens may show it (names hidden when the meeting hides them)."""
        return view(self.journal.state)

    @property
    def pack(self) -> CriteriaPack:
        """The pack the meeting judges by."""
        return self._pack

    @property
    def chair(self) -> str:
        opened = self.journal.state.opened
        assert opened is not None
        return opened.chair

    def now(self) -> dt.datetime:
        """The meeting's clock (a screen's timer reads it; tests fix it)."""
        return self._clock()

    def shown_names(self) -> dict[str, str]:
        """Every assessor's name (the meeting's and the proposal's) as screens show it.

        With names shown, each name is itself. With names hidden, the meeting's
        assessors are 'Assessor n' as every view and the minutes number them,
        and assessors the proposal holds who are not in the meeting follow,
        numbered on in the order the proposal lists them.
        """
        state = self.journal.state
        named = [a.assessor for a in self._proposal.assessments]
        if state.opened is None or state.opened.names is NameMode.SHOWN:
            return {name: name for name in dict.fromkeys([*named, *(p.name for p in state.people)])}
        shown = aliases(state)
        for name in named:
            if name not in shown:
                shown[name] = f"Assessor {len(shown) + 1}"
        return shown

    def refresh(self) -> MeetingState:
        """What the other terminals appended, folded in."""
        self.journal.refresh()
        return self.state

    def proposal(self) -> Proposal:
        """The proposal with the answers the meeting revealed in place."""
        opened = self.journal.state.opened
        assert opened is not None
        return with_answers(self._proposal, self.journal.state.answers, opened.date.isoformat())

    def record(self) -> Evaluation:
        """The decision record of the proposal with the meeting's answers in place."""
        key = tuple((g.assessor, g.indicator, g.answer) for g in self.journal.state.answers)
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = self._evaluate(self.proposal())
        return record

    # -- actions --------------------------------------------------------------------

    def _append(self, data: Data, by: str) -> MeetingState:
        self.journal.append(data, by, self._clock())
        return self.state

    def mark_present(
        self, name: str, *, assessor: bool = True, by: str | None = None
    ) -> MeetingState:
        """Someone joined (the chair marks them, or they mark themselves from their terminal)."""
        data = _validated(Attendance, self.journal.name, name=name, present=True, assessor=assessor)
        return self._append(data, by or self.chair)

    def mark_absent(self, name: str, *, by: str | None = None) -> MeetingState:
        """Someone is absent or left; they keep the answers they gave."""
        known = next((p for p in self.journal.state.people if p.name == name), None)
        data = _validated(
            Attendance,
            self.journal.name,
            name=name,
            present=False,
            assessor=True if known is None else known.assessor,
        )
        return self._append(data, by or self.chair)

    def open_round(
        self,
        indicators: Sequence[str] | None = None,
        *,
        spread_at_least: int | None = None,
        timer_seconds: int | None = None,
    ) -> MeetingState:
        """The chair opens a blind round on the indicators named, or on every indicator whose
        answers are at least 'spread_at_least' apart in the record as it stands."""
        name = self.journal.name
        if self._proposal.moderation is not None:
            raise single_problem(
                name,
                "the proposal's moderation has started, which locks the assessors' answers",
                "remove the 'moderation' block to score again",
                field="round",
            )
        if indicators is None:
            if spread_at_least is None:
                raise single_problem(name, "name the indicators, or a spread", field="indicators")
            indicators = indicators_with_spread(self.record(), spread_at_least)
            if not indicators:
                raise single_problem(
                    name,
                    f"no indicator's answers are {spread_at_least} or more apart",
                    field="indicators",
                )
        data = _validated(
            RoundOpened,
            name,
            round=len(self.journal.state.rounds) + 1,
            indicators=tuple(self._round_indicators(indicators)),
            timer_seconds=timer_seconds,
        )
        return self._append(data, self.chair)

    def _round_indicators(self, ids: Iterable[str]) -> list[RoundIndicator]:
        index = self._pack.indicators()
        scorable = [key for key, (_, ind) in index.items() if ind.derived is None]
        found, problems = [], []
        for key in ids:
            entry = index.get(key)
            if entry is None or entry[1].derived is not None:
                close = difflib.get_close_matches(key, scorable, n=1)
                why = "is computed from the proposal's facts" if entry else "is not in the pack"
                problems.append(
                    InputProblem(
                        self.journal.name,
                        None,
                        None,
                        "indicators",
                        f"{key!r} {why}",
                        f"did you mean {close[0]!r}?" if close else "",
                    )
                )
                continue
            indicator = entry[1]
            found.append(
                RoundIndicator(
                    id=indicator.id,
                    title=indicator.title,
                    top=self._pack.scale.maximum,
                    allow_na=indicator.allow_na,
                    allow_unchanged=indicator.allow_unchanged,
                )
            )
        if problems:
            raise InvalidInputError(problems)
        return found

    def answer(
        self, assessor: str, indicator: str, answer: AnswerValue, *, note: str = ""
    ) -> MeetingState:
        """An assessor's private answer in the open round."""
        current = self.journal.state.current_round
        number = current.number if current else len(self.journal.state.rounds)
        data = _validated(
            AnswerGiven,
            self.journal.name,
            round=max(number, 1),
            indicator=indicator,
            answer=answer,
            note=note,
        )
        return self._append(data, assessor)

    def reveal(self, *, by: str | None = None) -> MeetingState:
        """The chair shows the open round's answers before everyone present has answered."""
        current = self.journal.state.current_round
        if current is None:
            raise single_problem(self.journal.name, "no round is open", field="round.revealed")
        return self._append(RoundRevealed(round=current.number), by or self.chair)

    def note(
        self, text: str, *, indicator: str | None = None, by: str | None = None
    ) -> MeetingState:
        """A discussion note, about an indicator or the meeting."""
        if indicator is not None and indicator not in self._pack.indicators():
            raise single_problem(
                self.journal.name, f"{indicator!r} is not in the pack", field="indicator"
            )
        data = _validated(NoteAdded, self.journal.name, text=text, indicator=indicator)
        return self._append(data, by or self.chair)

    def apply_whatif(self, change: Mapping[str, Any]) -> MeetingState:
        """A what-if tried, kept as the what-if core described it."""
        data = _validated(WhatIfApplied, self.journal.name, change=dict(change))
        return self._append(data, self.chair)

    def undo_whatif(self, applied: int | None = None) -> MeetingState:
        """Take back a what-if (by default the latest still standing)."""
        if applied is None:
            standing = [w.seq for w in self.journal.state.whatifs if w.undone_seq is None]
            if not standing:
                raise single_problem(self.journal.name, "no what-if to undo", field="whatif")
            applied = standing[-1]
        return self._append(WhatIfUndone(applied=applied), self.chair)

    def record_outcome(
        self,
        outcome: MeetingOutcome | str,
        *,
        reason: str | None = None,
        conditions: Iterable[MeetingCondition | Mapping[str, Any]] = (),
    ) -> MeetingState:
        """The committee's decision; an override of the engine's recommendation needs a reason."""
        name = self.journal.name
        try:
            chosen = MeetingOutcome(outcome)
        except ValueError:
            raise single_problem(
                name,
                f"{outcome!r} is not an outcome",
                "approve, reject, approve-with-conditions or defer",
                field="outcome",
            ) from None
        engine = self.record().decision.value
        state = self.journal.state
        present = [self.chair, *(p.name for p in state.people if p.present)]
        data = _validated(
            OutcomeRecorded,
            name,
            outcome=chosen,
            engine_decision=engine,
            override=overrides(chosen, engine),
            reason=reason.strip() if reason and reason.strip() else None,
            conditions=tuple(c if isinstance(c, MeetingCondition) else dict(c) for c in conditions),
            present=tuple(dict.fromkeys(present)),
        )
        return self._append(data, self.chair)

    # -- minutes and saving -----------------------------------------------------------

    def minutes(self, document_format: DocumentFormat | str) -> bytes:
        """The minutes as they stand, in one format (md, html or pdf)."""
        chosen = DocumentFormat(document_format)
        if chosen not in MINUTES_FORMATS:
            raise single_problem(
                self.journal.name,
                f"minutes are md, html or pdf, not {chosen.value}",
                field="format",
            )
        context = minutes_context(self.journal.state, self.record(), self.journal.name)
        return render_minutes(context, chosen)

    def save(
        self,
        formats: Sequence[DocumentFormat | str] = (DocumentFormat.MARKDOWN, DocumentFormat.PDF),
    ) -> SavePlan:
        """What saving writes: the proposal's new text (answers and notes) and the minutes.

        Nothing is written here: the caller writes every file or none, then
        calls saved(plan) so that the journal records it.
        """
        if self._text is None:
            raise single_problem(
                str(self.path), "is not a file whose text can be edited", field="(document)"
            )
        state = self.journal.state
        if state.current_round is not None:
            raise single_problem(
                self.journal.name,
                f"round {state.current_round.number} is still blind: reveal it before saving",
                field="meeting.saved",
            )
        text = proposal_text(self._text, str(self.path), self._proposal, state, view(state))
        saved = self._check_text(text)
        files: list[tuple[Path, bytes]] = []
        if text != self._text:
            files.append((self.path, text.encode("utf-8")))
        for chosen in dict.fromkeys(DocumentFormat(f) for f in formats):
            files.append((minutes_beside(self.path, chosen), self.minutes(chosen)))
        notes = [n.seq for n in state.notes]
        before = state.saves[-1].notes_through if state.saves else 0
        return SavePlan(
            files=tuple(files),
            proposal=saved,
            text=text,
            answers=len(changed_answers(self._proposal, state.answers)),
            notes_through=notes[-1] if notes else before,
        )

    def saved(self, plan: SavePlan) -> MeetingState:
        """Record in the journal that the plan's files were written; the meeting goes on from
        the proposal as saved."""
        data = Saved(
            proposal_sha256=plan.proposal.sha256,
            answers=plan.answers,
            notes_through=plan.notes_through,
        )
        state = self._append(data, self.chair)
        self._proposal, self._text = plan.proposal, plan.text
        self._records.clear()
        return state
