"""The decision record: everything techgate concluded, and why."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from techgate.model._base import Frozen
from techgate.model.criteria import DecisionPolicy, Severity
from techgate.model.proposal import Category, EvidenceKind

SCHEMA_VERSION = 1


class Decision(StrEnum):
    """The outcome, best first."""

    GO = "go"
    CONDITIONAL = "conditional"
    NO_GO = "no-go"

    @property
    def rank(self) -> int:
        return _DECISION_RANK[self]

    def worst(self, other: Decision) -> Decision:
        return self if self.rank >= other.rank else other


_DECISION_RANK = {Decision.GO: 0, Decision.CONDITIONAL: 1, Decision.NO_GO: 2}


class IndicatorStatus(StrEnum):
    """Whether an indicator counted in the score."""

    SCORED = "scored"
    NOT_APPLICABLE = "not-applicable"
    GAP = "gap"


class AssessorScore(Frozen):
    """One assessor's answer as it entered the aggregate."""

    assessor: str
    """Who scored."""
    score: int | None
    """The score, or null for 'n/a'."""
    evidence: tuple[str, ...]
    """Evidence ids cited."""
    note: str
    """The assessor's note."""


class IndicatorResult(Frozen):
    """How one indicator came out."""

    id: str
    """Indicator id."""
    title: str
    """Indicator title."""
    status: IndicatorStatus
    """scored, not-applicable or gap."""
    derived_from: str | None
    """The proposal facts it was computed from, when techgate computed it."""
    score: float | None
    """Aggregated score on the pack's scale, when scored."""
    score_pct: float | None
    """The score as 0-100."""
    level: int | None
    """The scale level reached (score rounded down)."""
    level_label: str | None
    """Label of that level."""
    level_description: str | None
    """The pack's description of that level for this indicator."""
    weight: float
    """Weight inside its criterion."""
    overall_weight: float
    """Share of the overall score this indicator carries, 0-1, among scored indicators."""
    contribution: float
    """Points of the overall score (0-100) this indicator contributes."""
    spread: float | None
    """Highest minus lowest assessor score."""
    disagreement: bool
    """Whether the spread reached the policy's disagreement threshold."""
    evidence_strength: float
    """Strength (0-1) of the strongest evidence cited for it."""
    evidence_kind: EvidenceKind | None
    """Kind of that strongest evidence."""
    evidence_missing: bool
    """The pack requires evidence here and none was cited."""
    explanation: str
    """How a computed score was reached, or why the indicator is a gap."""
    assessors: tuple[AssessorScore, ...]
    """Each assessor's answer, sorted by assessor."""


class CriterionResult(Frozen):
    """How one criterion came out."""

    id: str
    """Criterion id."""
    title: str
    """Criterion title."""
    weight: float
    """Weight as the pack gives it."""
    weight_share: float
    """Share of the overall score it carries, 0-1, among scored criteria."""
    score: float | None
    """0-100, weighted mean of its scored indicators; null when none was scored."""
    contribution: float
    """Points of the overall score this criterion contributes."""
    coverage: float
    """Share of its applicable indicator weight that was scored, 0-1."""
    indicators: tuple[IndicatorResult, ...]
    """Its indicators, in pack order."""


class GateStatus(StrEnum):
    """What a gate found."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not-applicable"


class GateResult(Frozen):
    """One gate's verdict."""

    id: str
    """Gate id."""
    title: str
    """Gate title."""
    kind: str
    """Gate type."""
    status: GateStatus
    """passed, failed or not-applicable."""
    passed: bool
    """False only when the gate failed."""
    severity: Severity
    """What failing does (for a failed gate, what it did)."""
    reason: str
    """Plain-language reason for the verdict."""
    condition: str | None
    """What must change, for a failed gate."""


class Reason(Frozen):
    """One reason behind the decision, ranked by its effect."""

    rank: int
    """1 is the reason that weighed most."""
    kind: Literal["gate", "confidence", "coverage", "evidence", "indicator"]
    """What the reason is about."""
    ref: str
    """Id of the gate or indicator, or the policy field."""
    direction: Literal["for", "against"]
    """Whether it pushed towards adoption or away from it."""
    impact: float | None
    """Points of score it moved against the go threshold; null for gates and caps (ranked first)."""
    text: str
    """The reason in a sentence."""


class Condition(Frozen):
    """Something that must happen before a conditional proposal can go ahead."""

    source: str
    """The gate id, or 'score', 'confidence', 'coverage' or 'evidence'."""
    text: str
    """What must happen."""


class Gap(Frozen):
    """An indicator that was not scored."""

    indicator: str
    """Indicator id."""
    criterion: str
    """Criterion id."""
    reason: str
    """Why it is a gap."""


class MotiveAnalysis(Frozen):
    """Whom the proposal serves."""

    objectives_by_kind: dict[str, int]
    """Number of objectives of each kind."""
    service_share: float | None
    """Service objectives over service + efficiency + revenue ones; null when there are none."""
    led_by: Literal["service", "efficiency", "balanced", "unstated"]
    """The motive in a word."""
    metrics_by_kind: dict[str, int]
    """Number of success metrics of each kind."""
    customer_centric: bool
    """Whether at least one success metric measures the customer's experience."""
    summary: str
    """The analysis in a sentence."""


class SegmentCoverage(Frozen):
    """Who keeps a channel they can use."""

    described: bool
    """Whether any segment was described."""
    described_share: float
    """Share of customers covered by the described segments."""
    covered_share: float
    """Share of described customers with a usable channel; partial ability alone counts half."""
    stranded_share: float
    """Share of customers left with no channel they can use."""
    stranded_segments: tuple[str, ...]
    """Names of the segments left with no usable channel."""
    at_risk_segments: tuple[str, ...]
    """Segments that can only partly use the channel and have no alternative."""
    summary: str
    """The analysis in a sentence."""


class EscalationAnalysis(Frozen):
    """Whether a customer can reach a person."""

    applies: bool
    """Whether the category is automation that stands between customer and staff."""
    described: bool
    """Whether the proposal described human escalation."""
    available: bool | None
    """Whether a route to a person exists."""
    steps_to_person: int | None
    """Steps to a person."""
    minutes_to_person: float | None
    """Minutes to a person."""
    complex_or_valuable_share: float
    """Volume share of high-complexity or high-value transactions."""
    summary: str
    """The analysis in a sentence."""


class GroupInput(Frozen):
    """What one stakeholder group said."""

    group: str
    """staff or customers."""
    consultations: int
    """Number of consultations."""
    participants: int
    """Total participants."""
    favourable_share: float | None
    """Participant-weighted favourable share, when opinion was asked."""
    sample_weight: float
    """How much the sample counts, 0-1: participants / (participants + 10)."""
    methods: tuple[str, ...]
    """Methods used."""


class StakeholderAnalysis(Frozen):
    """Whether staff and customers shaped the proposal."""

    groups: tuple[GroupInput, ...]
    """Staff first, then customers."""
    summary: str
    """The analysis in a sentence."""


class Analyses(Frozen):
    """Analyses computed from the proposal's facts."""

    motive: MotiveAnalysis
    """Whom the proposal serves."""
    segments: SegmentCoverage
    """Who keeps a usable channel."""
    escalation: EscalationAnalysis
    """Route to a person."""
    stakeholders: StakeholderAnalysis
    """Staff and customer input."""


class ProposalSummary(Frozen):
    """The proposal, as the record identifies it."""

    id: str
    """Proposal id."""
    title: str
    """Proposal title."""
    vendor: str
    """Supplier."""
    category: Category
    """Category."""
    owner: str
    """Sponsor."""
    date: dt.date
    """Proposal date."""
    assessors: tuple[str, ...]
    """Assessors, sorted."""


class PackSummary(Frozen):
    """The pack, as the record identifies it."""

    id: str
    """Pack id."""
    title: str
    """Pack title."""
    version: str
    """Pack version."""
    scale_max: int
    """Highest level of the scale."""
    policy: DecisionPolicy
    """The thresholds applied."""


class Provenance(Frozen):
    """What produced this record, so it can be reproduced and checked."""

    techgate_version: str
    """techgate version."""
    record_schema: int
    """Version of this record's layout."""
    pack_id: str
    """Criteria pack id."""
    pack_version: str
    """Criteria pack version."""
    pack_lineage: tuple[str, ...]
    """Packs the pack extends, nearest first."""
    pack_sha256: str
    """SHA-256 of the resolved pack's canonical JSON."""
    proposal_sha256: str
    """SHA-256 of the proposal's canonical JSON."""
    as_of: dt.date
    """Latest date in the inputs (proposal or assessment); the record holds no clock time."""


class Evaluation(Frozen):
    """The decision record."""

    decision: Decision
    """go, conditional or no-go."""
    score: float
    """Overall score 0-100 over scored indicators."""
    confidence: float
    """How far the score can be trusted, 0-1."""
    coverage: float
    """Share of applicable weight that was scored, 0-1."""
    score_decision: Decision
    """What the score alone would decide."""
    proposal: ProposalSummary
    """The proposal judged."""
    pack: PackSummary
    """The pack judged by."""
    criteria: tuple[CriterionResult, ...]
    """Per criterion, in pack order."""
    gates: tuple[GateResult, ...]
    """Per gate, in pack order."""
    reasons: tuple[Reason, ...]
    """Reasons, most weighty first."""
    conditions: tuple[Condition, ...]
    """What must happen to turn conditional into go."""
    gaps: tuple[Gap, ...]
    """Indicators not scored."""
    disagreements: tuple[str, ...]
    """Indicators on which assessors disagree."""
    analyses: Analyses
    """Analyses computed from the proposal's facts."""
    provenance: Provenance
    """What produced this record."""
