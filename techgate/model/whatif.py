"""What-if: a proposal judged again with a weight, a score, an answer or a fact changed.

A committee asks "what if safety weighed more?" or "what if the pilot
confirms accuracy?". `ChangeRequest` is the question as a person types it
(the command line's options, later a meeting screen's field); `Change` is
that question understood (what it targets, what it was, what it becomes, in
words); `WhatIf` is the answer: the decision before and after, and what
changed between the two records.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from techgate.model._base import Frozen, Record
from techgate.model.diff import Direction, RecordDiff
from techgate.model.evaluation import Decision

WHATIF_SCHEMA_VERSION = 1

MAX_CHANGE_CHARS = 10_000
"""Longest change a person may type; a fact's value is YAML and is read with every limit."""


class ChangeKind(StrEnum):
    """What a what-if changes."""

    WEIGHT = "weight"
    """A criterion's weight ('safety=30'), or an indicator's ('safety.privacy=3')."""
    SCORE = "score"
    """An indicator's combined answer ('privacy=3'): every assessor's answer, or the
    moderated answer once the panel moderates."""
    ANSWER = "answer"
    """One assessor's answer ('Amira Haddad:accuracy=2'; 'none' removes it)."""
    FACT = "fact"
    """A fact of the proposal by its dotted path ('human_escalation.minutes_to_person=3';
    'null' removes it)."""


class ChangeRequest(Frozen):
    """One change as a person asks for it, before it is checked."""

    kind: ChangeKind
    """weight, score, answer or fact."""
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHANGE_CHARS)]
    """The change as typed: 'TARGET=VALUE' ('NAME:INDICATOR=VALUE' for an answer)."""


class Change(Record):
    """One change understood and applied."""

    kind: ChangeKind
    """weight, score, answer or fact."""
    target: str
    """What it changes: a criterion id, 'criterion.indicator', an indicator id,
    'assessor:indicator', or a fact's dotted path."""
    before: str
    """The value before the change, as the words show it ('none' where there was none)."""
    after: str
    """The value after the change, likewise."""
    given: str
    """The change as it was typed."""
    words: str
    """The change in the words a person would use, such as 'safety weight 3 → 30'."""


class Standing(Record):
    """Where a decision stands: the figures a committee looks at first."""

    decision: Decision
    """go, conditional or no-go."""
    score: float
    """Overall score, 0-100."""
    confidence: float
    """Confidence, 0-1."""
    coverage: float
    """Coverage, 0-1."""
    score_above: float | None
    """Points the score may fall before the score alone decides worse; null at no-go."""
    score_below: float | None
    """Points the score must rise before the score alone decides better; null at go."""
    knife_edge: bool
    """One level on one indicator changes the decision."""
    binding: tuple[str, ...]
    """What holds the decision where it is: gate ids, 'score', or policy caps."""
    binding_gates: tuple[str, ...]
    """The gates among those, in pack order: the gates that bind."""
    failed_gates: tuple[str, ...]
    """Every gate that failed, in pack order."""
    margin: str
    """The margin in a sentence."""


class WhatIf(Record):
    """A proposal's decision before and after a list of changes."""

    whatif_schema: int
    """Version of this layout."""
    proposal_id: str
    """The proposal's id."""
    proposal_title: str
    """The proposal's title."""
    changes: tuple[Change, ...]
    """The changes, in the order they were applied; each sees the ones before it."""
    before: Standing
    """The decision as the proposal and pack stand."""
    after: Standing
    """The decision with every change applied."""
    direction: Direction
    """Whether the decision got better (towards go), worse (towards no-go) or stayed."""
    diff: RecordDiff
    """Everything that changed from the record before to the record after."""
    summary: str
    """The what-if in a sentence."""
