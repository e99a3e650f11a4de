"""The decision record: everything techgate concluded, and why."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from techgate.model._base import Frozen, Record
from techgate.model.criteria import DecisionPolicy, Severity
from techgate.model.proposal import Category, EvidenceKind

# 3: the optional 'sensitivity' block. Layout-2 records read as they are (it is absent).
SCHEMA_VERSION = 3


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
    UNCHANGED = "unchanged"
    NOT_APPLICABLE = "not-applicable"
    GAP = "gap"


class AssessorScore(Record):
    """One assessor's answer as it entered the aggregate."""

    assessor: str
    """Who scored."""
    score: int | None
    """The score, or null for 'n/a' and 'unchanged'."""
    answer: Literal["level", "n/a", "unchanged"]
    """What kind of answer it was."""
    evidence: tuple[str, ...]
    """Evidence ids cited."""
    note: str
    """The assessor's note."""


SpreadBand = Literal["low", "medium", "high"]


class ModerationResult(Record):
    """What the panel's moderation did to one indicator."""

    median: float | None
    """Median of the assessors' levels (a half level for an even panel split between two);
    null when nobody gave a level."""
    start: int | Literal["n/a", "unchanged"] | None
    """Where the moderated answer started: the median rounded down to a level, or 'n/a' /
    'unchanged' when nobody gave a level; null when nobody answered."""
    score: int | None
    """The moderated level, or null for 'n/a' and 'unchanged'."""
    answer: Literal["level", "n/a", "unchanged"]
    """What kind of answer the panel agreed."""
    changed: bool
    """Whether the panel moved away from where moderation started."""
    comment: str
    """The panel's reason for the change, if any."""


class ModerationSummary(Record):
    """Who moderated the panel's answers, and when."""

    started: dt.date
    """When moderation started; the assessors' answers were locked from then."""
    chair: str | None
    """Who chaired it."""
    moderated: tuple[str, ...]
    """Indicators with a moderated answer, in pack order."""
    changed: tuple[str, ...]
    """Those whose moderated answer differs from where it started, in pack order."""


class IndicatorResult(Record):
    """How one indicator came out."""

    id: str
    """Indicator id."""
    title: str
    """Indicator title."""
    status: IndicatorStatus
    """scored, unchanged, not-applicable or gap (a gap counts at level 0 in the score)."""
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
    """Weight inside its criterion, after any trait weight the pack sets."""
    overall_weight: float
    """Share of the overall score this indicator carries, 0-1 (gaps keep theirs, at zero)."""
    acceptable_level: int
    """The level the pack calls acceptable here: above argues for adoption, below against."""
    contribution: float
    """Points of the overall score (0-100) this indicator contributes."""
    spread: float | None
    """How far the assessors' levels are apart: highest minus lowest for up to five
    answers, the interquartile range (the middle half) for more."""
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
    spread_band: SpreadBand | None = None
    """How far the assessors disagree as a share of the scale, in the policy's bands: low,
    medium or high; null with fewer than two levels given (and in records before bands)."""
    moderation: ModerationResult | None = None
    """The panel's moderated answer, which the score uses instead of the aggregate; null
    when the indicator was not moderated. The assessors' own answers stay above."""


class CriterionResult(Record):
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
    """0-100, weighted mean of its scored indicators and gaps (at zero); null when nothing
    in it applies or everything is unchanged."""
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
    WAIVED = "waived"
    """Failed, and a waiver in force accepts the failure for this proposal: never 'passed'."""


class GateWaiver(Record):
    """The waiver that accepts a failed gate for this proposal (see docs/register.md)."""

    id: int
    """The waiver's number in the register that granted it."""
    owner: str
    """Who answers for the risk while the gate stays failed."""
    reason: str
    """Why the failure is accepted."""
    ticket: str
    """The change or risk ticket that tracks it."""
    expires: dt.date
    """The last day it applies (through the end of that day, UTC)."""
    condition: str | None
    """What must hold while it applies, if anything."""
    granted_by: str
    """The approver who granted it (never the one who asked for it)."""


class GateResult(Record):
    """One gate's verdict."""

    id: str
    """Gate id."""
    title: str
    """Gate title."""
    kind: str
    """Gate type."""
    status: GateStatus
    """passed, failed, not-applicable, or waived (failed, with a waiver in force)."""
    passed: bool
    """False when the gate failed, waived or not."""
    severity: Severity
    """What failing does (for a failed gate, what it did)."""
    reason: str
    """Plain-language reason for the verdict."""
    condition: str | None
    """What must change, for a failed gate."""
    missing_facts: tuple[str, ...]
    """Facts the gate needed that the proposal does not state; judged at their worst."""
    lenient: bool
    """The pack lets this gate off more lightly than the worst honest answer would."""
    # Absent from the JSON when null, so that records of gates without a waiver are byte for
    # byte what they were before waivers existed (and hash the same).
    waiver: GateWaiver | None = Field(default=None, exclude_if=lambda waiver: waiver is None)
    """The waiver that accepts this gate's failure, for a waived gate; absent otherwise."""


class Reason(Record):
    """One reason behind the decision, ranked by its effect."""

    rank: int
    """1 is the reason that weighed most."""
    kind: Literal["gate", "score", "confidence", "coverage", "evidence", "indicator"]
    """What the reason is about."""
    ref: str
    """Id of the gate or indicator, or the policy field."""
    direction: Literal["for", "against"]
    """Whether it pushed towards adoption or away from it."""
    impact: float | None
    """For an indicator, points of overall score it sits above (+) or below (-) the acceptable
    level; for the score, points above or below the go threshold; null for gates and caps."""
    text: str
    """The reason in a sentence."""


class Condition(Record):
    """Something that must happen before a conditional proposal can go ahead."""

    source: str
    """The gate id, or 'score', 'confidence', 'coverage' or 'evidence'."""
    text: str
    """What must happen."""


class Gap(Record):
    """An indicator that was not scored."""

    indicator: str
    """Indicator id."""
    criterion: str
    """Criterion id."""
    reason: str
    """Why it is a gap."""


class MotiveAnalysis(Record):
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


class SegmentCoverage(Record):
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


class EscalationAnalysis(Record):
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


class GroupInput(Record):
    """What one stakeholder group said."""

    group: str
    """staff, customers or employee-representatives."""
    consultations: int
    """Number of consultations."""
    participants: int
    """Total participants (pilot feedback included)."""
    at_least: bool
    """Some counts were given only as a lower bound, so the total is one too."""
    opinion_recorded: int
    """Participants whose opinion (a favourable share) was recorded."""
    favourable_share: float | None
    """Participant-weighted favourable share among those whose opinion was recorded."""
    sample_weight: float
    """How much the sample counts, 0-1: participants / (participants + 10)."""
    methods: tuple[str, ...]
    """Methods used."""


class StakeholderAnalysis(Record):
    """Whether staff and customers shaped the proposal."""

    groups: tuple[GroupInput, ...]
    """Staff, customers, employee representatives, in that order."""
    summary: str
    """The analysis in a sentence."""


class BenefitLine(Record):
    """One objective's part in the benefits case."""

    objective: str
    """The objective."""
    kind: str
    """Whom it serves first."""
    value: float | None
    """Stated annual value, in the case's currency."""
    share: float | None
    """Its share of the service, efficiency and revenue case, 0-1; null when its value is
    not stated or it is of another kind."""
    basis: Literal["estimate", "vendor-claim", "reference", "measured"]
    """How the benefit is known: measured here (pilot or production, with a figure) or claimed."""
    realised: float | None
    """Measured effect as a share of the targeted one, 0-1, when baseline, target and
    measured are all given."""
    measured_value: float | None
    """The part of the value measured here: value x realised (or the whole, when measured
    without a target)."""


class BenefitsCase(Record):
    """What the proposal is worth, and how much of that is measured rather than claimed."""

    currency: str | None
    """Currency of the values."""
    quantified: bool
    """Every service, efficiency and revenue objective states a value or a weight."""
    lines: tuple[BenefitLine, ...]
    """Each objective, in proposal order."""
    service_value: float
    """Stated value of service objectives (or their weight, when weights are used)."""
    organisation_value: float
    """Stated value of efficiency and revenue objectives (or their weight)."""
    measured_share: float
    """Share of the stated case that is measured here, 0-1."""
    organisation_measured_share: float | None
    """Share of the efficiency and revenue case that is measured here, 0-1 (an objective of
    unstated value counts at its worst); null when there is no such objective."""
    support: float
    """How well the case is evidenced, 0-1; part of confidence."""
    metrics_measured: tuple[str, ...]
    """Success metrics with a measured value backed by pilot or production evidence."""
    summary: str
    """The case in a sentence."""


class WorkforceAnalysis(Record):
    """What the proposal does to the people who serve customers."""

    stated: bool
    """Whether the proposal states its workforce impact."""
    roles_removed: float | None
    """Posts removed."""
    roles_frozen: float | None
    """Posts left unfilled."""
    roles_redeployed: float | None
    """Posts moved to other work."""
    reduces_human_route: bool | None
    """Whether posts are removed, frozen or moved off this work; null when not stated."""
    capacity_per_week: float | None
    """Contacts per week the remaining human route can take."""
    demand_per_week: float | None
    """Contacts per week expected to need a person."""
    capacity_ratio: float | None
    """Capacity over demand."""
    agents: int | None
    """Agents on the remaining human route, when stated."""
    note: str
    """The proposal's own note on the workforce impact."""
    summary: str
    """The analysis in a sentence."""


class AutomationAnalysis(Record):
    """What kind of automation it is, and the safeguards that apply because of it."""

    traits: tuple[str, ...]
    """customer-facing, generative, human-reviewed."""
    indicators: tuple[str, ...]
    """Indicators that apply only because of the proposal's traits."""
    gates: tuple[str, ...]
    """Gates that apply only because of the proposal's traits."""
    knowledge_source: str
    """Where its answers come from, as the proposal states it."""
    summary: str
    """The analysis in a sentence."""


class Analyses(Record):
    """Analyses computed from the proposal's facts."""

    motive: MotiveAnalysis
    """Whom the proposal serves."""
    benefits: BenefitsCase
    """What it is worth, claimed and measured."""
    workforce: WorkforceAnalysis
    """Roles and the human route that remains."""
    automation: AutomationAnalysis
    """Traits and the safeguards they bring."""
    segments: SegmentCoverage
    """Who keeps a usable channel."""
    escalation: EscalationAnalysis
    """Route to a person."""
    stakeholders: StakeholderAnalysis
    """Staff, customer and employee-representative input."""


class Flip(Record):
    """One smallest change that would move the decision."""

    kind: Literal["indicator", "assessor", "gate", "cap"]
    """What changes: an indicator by one level, one assessor's answer, a gate's fact, or a
    policy cap (confidence, coverage, evidence)."""
    ref: str
    """Id of the indicator or gate, the assessor's name, or the policy field."""
    change: str
    """The change in words."""
    to: Decision
    """The decision after the change."""


class Margin(Record):
    """How far the decision is from flipping."""

    knife_edge: bool
    """One level on one indicator changes the decision."""
    score_above: float | None
    """Points the score may fall before the score alone decides worse; null at no-go."""
    score_below: float | None
    """Points the score must rise before the score alone decides better; null at go."""
    binding: tuple[str, ...]
    """What holds the decision where it is: gate ids, 'score', or policy caps."""
    flips: tuple[Flip, ...]
    """The smallest changes that move the decision, better first, then worse."""
    summary: str
    """The margin in a sentence."""


class WeightSwing(Record):
    """How far one criterion's weight share can move before the decision changes.

    The criterion's share of the total weight moves; every other criterion's
    weight is rescaled in proportion, so the shares still sum to 1.
    """

    criterion: str
    """Criterion id."""
    title: str
    """Criterion title."""
    share: float
    """Its weight share in the pack, 0-1."""
    up: float | None
    """Percentage points its share must rise (rounded up to 0.01) to change the decision;
    null if no share up to 100 % changes it."""
    up_to: Decision | None
    """The decision after that rise; null with 'up'."""
    down: float | None
    """Percentage points its share must fall (rounded up to 0.01) to change the decision;
    null if no share down to 0 % changes it."""
    down_to: Decision | None
    """The decision after that fall; null with 'down'."""


class LevelSwing(Record):
    """How far one scored indicator's combined score can move before the decision changes.

    Coverage and evidence stay as they are, as in the margin's one-level flips.
    """

    indicator: str
    """Indicator id."""
    title: str
    """Indicator title."""
    score: float
    """Its combined score now, in levels of the pack's scale."""
    up: float | None
    """Levels it must rise to change the decision; null if not even the top level does."""
    up_to: Decision | None
    """The decision after that rise; null with 'up'."""
    down: float | None
    """Levels it must fall to change the decision; null if not even level 0 does."""
    down_to: Decision | None
    """The decision after that fall; null with 'down'."""


class SensitivityRequest(Frozen):
    """What a caller asks of the sensitivity analysis (evaluate --sensitivity)."""

    samples: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    """Random criterion-weight vectors to draw for the stability figure."""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    """Seed of numpy's PCG64 generator."""
    concentration: Annotated[float, Field(gt=0, le=1e6)] = 100.0
    """Dirichlet concentration c (alpha = c x the pack's weight shares): larger keeps the
    drawn weights nearer the pack's. 100 lets a 20 % share vary by about 4 points."""


class Sensitivity(Record):
    """What changes of weights or scores would change the decision, and how stable it is."""

    samples: int
    """Random criterion-weight vectors drawn for 'stability'."""
    seed: int
    """Seed of numpy's PCG64 generator that drew them; the same seed gives the same figures."""
    concentration: float
    """Dirichlet concentration c: the vectors are drawn with alpha = c x the pack's shares,
    so each share varies with standard deviation sqrt(s (1 - s) / (c + 1))."""
    stability: float
    """Share of the drawn weight vectors that keep the decision, 0-1."""
    go: float
    """Share of the drawn vectors that decide go."""
    conditional: float
    """Share of the drawn vectors that decide conditional."""
    no_go: float
    """Share of the drawn vectors that decide no-go."""
    weights: tuple[WeightSwing, ...]
    """Per criterion, in pack order: the smallest change of its weight share that changes the
    decision."""
    indicators: tuple[LevelSwing, ...]
    """Per scored indicator, in pack order: the smallest change of its score that changes the
    decision."""
    summary: str
    """The sensitivity in a sentence."""


class ProposalSummary(Record):
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


class PackSummary(Record):
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


class Provenance(Record):
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


class Evaluation(Record):
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
    """Indicators not scored; each counts at level 0 in the score."""
    unchanged: tuple[str, ...]
    """Indicators the assessors say the technology leaves as they are."""
    disagreements: tuple[str, ...]
    """Indicators on which assessors disagree."""
    analyses: Analyses
    """Analyses computed from the proposal's facts."""
    margin: Margin
    """How far the decision is from flipping, and what would flip it."""
    provenance: Provenance
    """What produced this record."""
    moderation: ModerationSummary | None = None
    """The panel's moderation, when it happened; null when the answers were not moderated."""
    sensitivity: Sensitivity | None = None
    """What changes of criterion weights or indicator scores would change the decision, and a
    Monte Carlo stability figure; null unless asked for (evaluate --sensitivity)."""
