"""What a meeting journal line holds: one event, its number and the hash of the line before.

Every line is read back through these models (strict: unknown keys are
refused), so a journal someone edited into nonsense is reported at its line
and field, never half-believed. The data each kind carries is its own model;
the union is told apart by 'kind'.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, TypeAdapter, field_validator

from techgate.model._base import Frozen, Identifier

MAX_NAME = 200
MAX_TEXT = 10_000
MAX_CHANGE_DEPTH = 16
MAX_TIMER_SECONDS = 4 * 3600
MAX_INDICATORS = 500


def _one_line(value: str) -> str:
    # A name is shown in tables, on the projector and in minutes: one printable line.
    if not value.isprintable() or value != value.strip():
        raise ValueError("must be one printable line without surrounding spaces")
    return value


def _text(value: str) -> str:
    # Notes and reasons may run over lines and hold tabs; no other control character,
    # which a terminal would obey.
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in value):
        raise ValueError("holds a control character (only line breaks and tabs are allowed)")
    if not any(unicodedata.category(c)[0] in "LNPS" for c in value):
        raise ValueError("says nothing a reader could see")
    return value


Name = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(_one_line)
]
Note = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_text)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Level = Annotated[int, Field(ge=0, le=10)]
AnswerValue = Level | Literal["n/a", "unchanged"]
RoundNumber = Annotated[int, Field(ge=1, le=10_000)]
Seq = Annotated[int, Field(ge=1, le=10_000_000)]


class NameMode(StrEnum):
    """Whether a meeting shows assessors' names beside their answers."""

    SHOWN = "shown"
    HIDDEN = "hidden"
    """Every view and the minutes say 'Assessor 1', 'Assessor 2' ... in the order people
    joined the meeting."""


class MeetingOutcome(StrEnum):
    """What the committee decided."""

    APPROVE = "approve"
    REJECT = "reject"
    APPROVE_WITH_CONDITIONS = "approve-with-conditions"
    DEFER = "defer"


class Opened(Frozen):
    """The meeting opened on a proposal judged by a pack."""

    proposal: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    """The proposal file, as the chair named it."""
    proposal_id: Identifier
    """The proposal's id."""
    proposal_title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
    """The proposal's title."""
    proposal_sha256: Sha256
    """SHA-256 of the proposal's canonical JSON when the meeting opened."""
    pack_id: Identifier
    """The criteria pack's id."""
    pack_version: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    """The criteria pack's version."""
    pack_sha256: Sha256
    """SHA-256 of the resolved pack's canonical JSON."""
    chair: Name
    """Who chairs: the only person who opens rounds, reveals early and records the outcome."""
    date: dt.date
    """The meeting's date."""
    names: NameMode
    """Whether assessors' names are shown beside their answers."""


class Attendance(Frozen):
    """Someone joined or left the meeting."""

    name: Name
    """Who."""
    present: bool
    """True: in the meeting; false: absent (or left)."""
    assessor: bool
    """Whether they score in blind rounds."""


class RoundIndicator(Frozen):
    """An indicator a round asks about, with what an answer to it may be."""

    id: Identifier
    """The indicator's id."""
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
    """Its title."""
    top: Annotated[int, Field(ge=1, le=10)]
    """The highest level of its scale (levels run 0 .. top)."""
    allow_na: bool
    """Whether 'n/a' is an answer."""
    allow_unchanged: bool
    """Whether 'unchanged' is an answer."""


class RoundOpened(Frozen):
    """The chair opened a blind round on some indicators."""

    round: RoundNumber
    """The round's number, from 1."""
    indicators: Annotated[
        tuple[RoundIndicator, ...], Field(min_length=1, max_length=MAX_INDICATORS)
    ]
    """What the round asks, in the chair's order."""
    timer_seconds: Annotated[int, Field(ge=10, le=MAX_TIMER_SECONDS)] | None
    """How long the chair gives the round; null: no timer."""

    @field_validator("indicators")
    @classmethod
    def _distinct(cls, value: tuple[RoundIndicator, ...]) -> tuple[RoundIndicator, ...]:
        ids = [item.id for item in value]
        if len(set(ids)) != len(ids):
            raise ValueError("names an indicator twice")
        return value


class AnswerGiven(Frozen):
    """An assessor's private answer in a round; hidden from every view until the reveal."""

    round: RoundNumber
    """The round answered."""
    indicator: Identifier
    """The indicator answered."""
    answer: AnswerValue
    """A level, 'n/a' or 'unchanged'."""
    note: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = ""
    """Why, in the assessor's words; saved as the answer's note."""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        return _text(value) if value else value


class RoundRevealed(Frozen):
    """The chair revealed a round before everyone present had answered."""

    round: RoundNumber
    """The round revealed."""


class NoteAdded(Frozen):
    """A discussion note typed into the meeting."""

    text: Note
    """The note."""
    indicator: Identifier | None
    """The indicator it is about, if any."""


def _plain_depth(value: Any, depth: int = 1) -> int:
    if depth > MAX_CHANGE_DEPTH:
        raise ValueError(f"nests deeper than {MAX_CHANGE_DEPTH} levels")
    if isinstance(value, dict):
        return max((_plain_depth(v, depth + 1) for v in value.values()), default=depth)
    if isinstance(value, list | tuple):
        return max((_plain_depth(v, depth + 1) for v in value), default=depth)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("holds a number that is not finite")
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValueError(f"holds a {type(value).__name__}, which JSON cannot carry")
    return depth


def _change(value: dict[str, Any]) -> dict[str, Any]:
    kind = value.get("kind")
    if not isinstance(kind, str) or not 1 <= len(kind) <= 64 or not kind.isprintable():
        raise ValueError("a what-if change needs a 'kind': a printable name of 1 to 64 characters")
    _plain_depth(value)
    return value


class WhatIfApplied(Frozen):
    """A what-if tried: the change as the what-if core described it (kept as given)."""

    change: Annotated[dict[str, Any], AfterValidator(_change)]
    """The change, with its 'kind' (weight, score, answer, fact ...)."""


class WhatIfUndone(Frozen):
    """A what-if taken back."""

    applied: Seq
    """The number of the journal line that applied it."""


class MeetingCondition(Frozen):
    """A condition of an approval, with who sees to it and by when."""

    text: Note
    """What must happen."""
    owner: Name
    """Who sees to it."""
    due: dt.date
    """By when."""


class OutcomeRecorded(Frozen):
    """The committee's decision."""

    outcome: MeetingOutcome
    """approve, reject, approve-with-conditions or defer."""
    engine_decision: Literal["go", "conditional", "no-go"]
    """What the engine recommended from the answers as revealed so far."""
    override: bool
    """Whether the outcome goes against that recommendation."""
    reason: Note | None
    """Why; required for an override."""
    conditions: Annotated[tuple[MeetingCondition, ...], Field(max_length=100)]
    """The conditions of an approval with conditions."""
    present: tuple[Name, ...]
    """Who was present when it was decided, in the order they joined."""


class Saved(Frozen):
    """The meeting's answers and notes were written back into the proposal, and its minutes."""

    proposal_sha256: Sha256
    """SHA-256 of the proposal's canonical JSON as saved."""
    answers: Annotated[int, Field(ge=0, le=1_000_000)]
    """How many answers the save wrote."""
    notes_through: Annotated[int, Field(ge=0, le=10_000_000)]
    """Notes up to this journal line were written into the proposal file."""


Timestamp = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")]


class _Entry(Frozen):
    seq: Seq
    """The line's number in the journal, from 1."""
    prev: Sha256
    """SHA-256 of the line before (64 zeros for the first)."""
    at: Timestamp
    """When it was written (UTC)."""
    by: Name
    """Who did it."""


class OpenedEntry(_Entry):
    """meeting.opened"""

    kind: Literal["meeting.opened"]
    """What happened."""
    data: Opened
    """Its details."""


class AttendanceEntry(_Entry):
    """attendance"""

    kind: Literal["attendance"]
    """What happened."""
    data: Attendance
    """Its details."""


class RoundOpenedEntry(_Entry):
    """round.opened"""

    kind: Literal["round.opened"]
    """What happened."""
    data: RoundOpened
    """Its details."""


class AnswerEntry(_Entry):
    """answer.given"""

    kind: Literal["answer.given"]
    """What happened."""
    data: AnswerGiven
    """Its details."""


class RevealedEntry(_Entry):
    """round.revealed"""

    kind: Literal["round.revealed"]
    """What happened."""
    data: RoundRevealed
    """Its details."""


class NoteEntry(_Entry):
    """note.added"""

    kind: Literal["note.added"]
    """What happened."""
    data: NoteAdded
    """Its details."""


class WhatIfEntry(_Entry):
    """whatif.applied"""

    kind: Literal["whatif.applied"]
    """What happened."""
    data: WhatIfApplied
    """Its details."""


class UndoEntry(_Entry):
    """whatif.undone"""

    kind: Literal["whatif.undone"]
    """What happened."""
    data: WhatIfUndone
    """Its details."""


class OutcomeEntry(_Entry):
    """outcome.recorded"""

    kind: Literal["outcome.recorded"]
    """What happened."""
    data: OutcomeRecorded
    """Its details."""


class SavedEntry(_Entry):
    """meeting.saved"""

    kind: Literal["meeting.saved"]
    """What happened."""
    data: Saved
    """Its details."""


Entry = Annotated[
    OpenedEntry
    | AttendanceEntry
    | RoundOpenedEntry
    | AnswerEntry
    | RevealedEntry
    | NoteEntry
    | WhatIfEntry
    | UndoEntry
    | OutcomeEntry
    | SavedEntry,
    Field(discriminator="kind"),
]
ENTRY = TypeAdapter(Entry)

Data = (
    Opened
    | Attendance
    | RoundOpened
    | AnswerGiven
    | RoundRevealed
    | NoteAdded
    | WhatIfApplied
    | WhatIfUndone
    | OutcomeRecorded
    | Saved
)
KIND_OF: dict[type[Frozen], str] = {
    Opened: "meeting.opened",
    Attendance: "attendance",
    RoundOpened: "round.opened",
    AnswerGiven: "answer.given",
    RoundRevealed: "round.revealed",
    NoteAdded: "note.added",
    WhatIfApplied: "whatif.applied",
    WhatIfUndone: "whatif.undone",
    OutcomeRecorded: "outcome.recorded",
    Saved: "meeting.saved",
}
