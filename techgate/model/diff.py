"""What changed between two decision records (techgate diff)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from techgate.model._base import Record
from techgate.model.criteria import Severity
from techgate.model.evaluation import AssessorScore, Decision, GateStatus, IndicatorStatus

DIFF_SCHEMA_VERSION = 1

Direction = Literal["better", "same", "worse"]
PackRelation = Literal["same", "changed", "different"]
IndicatorAspect = Literal[
    "added", "removed", "status", "score", "answers", "evidence", "moderation"
]
ConditionState = Literal["met", "open", "new"]


class RecordSide(Record):
    """One of the two records compared, as the diff identifies it."""

    proposal_id: str
    """Proposal id."""
    proposal_title: str
    """Proposal title."""
    proposal_sha256: str
    """SHA-256 of the proposal's canonical JSON."""
    pack_id: str
    """Criteria pack id."""
    pack_version: str
    """Criteria pack version."""
    pack_sha256: str
    """SHA-256 of the resolved pack's canonical JSON."""
    as_of: dt.date
    """The record's date (latest date in its inputs)."""
    decision: Decision
    """The record's decision."""


class NumberChange(Record):
    """A figure in both records, and how far it moved."""

    before: float
    """Value in the earlier record."""
    after: float
    """Value in the later record."""
    delta: float
    """after minus before, rounded as the record rounds the figure."""


class CriterionChange(Record):
    """A criterion whose score or weight share differs, or that only one record has."""

    id: str
    """Criterion id."""
    title: str
    """Criterion title (the later record's, when it has the criterion)."""
    score_before: float | None
    """0-100 score in the earlier record; null when nothing in it applied or it was absent."""
    score_after: float | None
    """0-100 score in the later record; null when nothing in it applied or it is absent."""
    weight_share_before: float | None
    """Share of the overall score it carried before, 0-1; null when absent."""
    weight_share_after: float | None
    """Share of the overall score it carries after, 0-1; null when absent."""
    presence: Literal["both", "added", "removed"]
    """Whether both records have it, only the later (added) or only the earlier (removed)."""


class GateChange(Record):
    """A gate whose status differs, or that only one record has."""

    id: str
    """Gate id."""
    title: str
    """Gate title (the later record's, when it has the gate)."""
    severity: Severity
    """What failing does (the later record's, when it has the gate)."""
    before: GateStatus | None
    """Status in the earlier record; null when that record has no such gate."""
    after: GateStatus | None
    """Status in the later record; null when that record has no such gate."""
    reason_before: str | None
    """The earlier record's reason for its verdict; null when absent."""
    reason_after: str | None
    """The later record's reason for its verdict; null when absent."""


class IndicatorState(Record):
    """What an indicator came to in one record: the figures a diff compares."""

    status: IndicatorStatus
    """scored, unchanged, not-applicable or gap."""
    score: float | None
    """Aggregated score on the pack's scale, when scored."""
    evidence_strength: float
    """Strength (0-1) of the strongest evidence cited."""
    evidence_missing: bool
    """The pack requires evidence here and none was cited."""
    evidence: tuple[str, ...]
    """Every evidence id any assessor cited for it, sorted, without repeats."""
    moderated: int | Literal["n/a", "unchanged"] | None
    """The panel's moderated answer; null when it was not moderated."""


class AnswerChange(Record):
    """One assessor's answer to one indicator, where it differs."""

    assessor: str
    """Who answered."""
    before: AssessorScore | None
    """The answer in the earlier record; null when the assessor did not answer there."""
    after: AssessorScore | None
    """The answer in the later record; null when the assessor did not answer there."""


class IndicatorChange(Record):
    """An indicator whose score, status, answers or evidence differ, or that one record lacks."""

    id: str
    """Indicator id."""
    title: str
    """Indicator title (the later record's, when it has the indicator)."""
    criterion: str
    """Id of the criterion holding it (the later record's, when it has the indicator)."""
    changed: tuple[IndicatorAspect, ...]
    """What differs: added, removed, status, score, answers, evidence, moderation."""
    before: IndicatorState | None
    """The indicator in the earlier record; null when absent there."""
    after: IndicatorState | None
    """The indicator in the later record; null when absent there."""
    answers: tuple[AnswerChange, ...]
    """The assessors' answers that differ, sorted by assessor."""


class ConditionChange(Record):
    """A condition of either record, matched by its source (a gate id, or 'score' and the like)."""

    source: str
    """The gate id, or 'score', 'confidence', 'coverage' or 'evidence'."""
    state: ConditionState
    """met: the earlier record asked it and the later does not; open: both ask it;
    new: only the later asks it."""
    before: str | None
    """What the earlier record asked; null for a new condition."""
    after: str | None
    """What the later record asks; null for a met condition."""


class RecordDiff(Record):
    """What changed between two decision records of a proposal (or of two proposals)."""

    diff_schema: int
    """Version of this layout."""
    before: RecordSide
    """The earlier record."""
    after: RecordSide
    """The later record."""
    nothing_changed: bool
    """True when the records agree in everything below and in both hashes."""
    same_proposal: bool
    """Both records judge the same proposal id."""
    decision_changed: bool
    """The decision differs."""
    direction: Direction
    """Whether the decision got better (towards go), worse (towards no-go) or stayed."""
    score: NumberChange
    """Overall score, 0-100."""
    confidence: NumberChange
    """Confidence, 0-1."""
    coverage: NumberChange
    """Coverage, 0-1."""
    proposal_changed: bool
    """The proposal's content hash differs."""
    pack_changed: bool
    """The pack's content hash differs."""
    pack_version_changed: bool
    """The pack's version differs."""
    pack_relation: PackRelation
    """same: one pack (same hash); changed: the same pack id with other content; different:
    two pack ids. Across packs, criteria, indicators and gates are matched by id."""
    criteria: tuple[CriterionChange, ...]
    """Criteria whose score or weight share differs, or that one record lacks; in the later
    record's order, removed ones last."""
    gates: tuple[GateChange, ...]
    """Gates whose status differs, or that one record lacks; in the later record's order,
    removed ones last."""
    indicators: tuple[IndicatorChange, ...]
    """Indicators whose score, status, answers, evidence or moderated answer differ, or that
    one record lacks; in the later record's order, removed ones last."""
    conditions: tuple[ConditionChange, ...]
    """Every condition of either record: met, still open or new; the later record's order,
    met ones last."""
    summary: str
    """What changed, in a few sentences."""
