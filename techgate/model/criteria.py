"""The criteria pack: an organisation's policy for judging a technology."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from techgate.model._base import Frozen, Identifier, LongText, Share, Text, Weight
from techgate.model.proposal import Category, StakeholderGroup, Trait

if TYPE_CHECKING:
    from techgate.model.problems import Problem


class Severity(StrEnum):
    """What a failed gate does to the decision."""

    NO_GO = "no-go"
    CONDITIONAL = "conditional"


class DerivedMeasure(StrEnum):
    """A fact techgate computes from the proposal instead of asking assessors."""

    SERVICE_MOTIVE = "motive.service-share"
    CUSTOMER_METRICS = "motive.customer-metrics"
    SEGMENT_COVERAGE = "segments.coverage"
    HUMAN_ESCALATION = "escalation.route"
    STAFF_INPUT = "stakeholders.staff"
    CUSTOMER_INPUT = "stakeholders.customers"


class ScaleLevel(Frozen):
    """One step of the scoring scale."""

    value: Annotated[int, Field(ge=0, le=10)]
    """The number an assessor writes for this level."""
    label: Text
    """A short name for the level, such as 'Strong'."""
    description: Text
    """What reaching this level means in general, before any indicator's own wording."""


DEFAULT_LEVELS = (
    ScaleLevel(value=0, label="Absent", description="Nothing shows the quality is there."),
    ScaleLevel(value=1, label="Weak", description="Present in name; serious doubts remain."),
    ScaleLevel(value=2, label="Adequate", description="Meets the basic need with known gaps."),
    ScaleLevel(value=3, label="Strong", description="Meets the need well; minor gaps only."),
    ScaleLevel(value=4, label="Exemplary", description="Meets the need fully, shown by evidence."),
)


class Scale(Frozen):
    """The ordinal scale every indicator is scored on."""

    levels: tuple[ScaleLevel, ...] = DEFAULT_LEVELS
    """Levels in ascending order, numbered 0, 1, 2 ... without holes."""

    @field_validator("levels")
    @classmethod
    def _contiguous(cls, levels: tuple[ScaleLevel, ...]) -> tuple[ScaleLevel, ...]:
        values = [level.value for level in levels]
        if values != list(range(len(values))) or len(values) < 2:
            raise ValueError(
                f"scale levels must be numbered 0, 1, 2 ... in order (at least two); got {values}"
            )
        return levels

    @property
    def maximum(self) -> int:
        return len(self.levels) - 1

    def level(self, value: int) -> ScaleLevel:
        return self.levels[value]


class Applicability(Frozen):
    """Which proposals an indicator or gate applies to; it applies when every rule holds."""

    categories: tuple[Category, ...] = ()
    """Proposal categories it applies to; empty means any."""
    traits: tuple[Trait, ...] = ()
    """Traits the proposal must all have (customer-facing, generative, human-reviewed)."""
    not_traits: tuple[Trait, ...] = ()
    """Traits that make it not apply."""

    def matches(self, category: Category, traits: frozenset[Trait]) -> bool:
        return (
            (not self.categories or category in self.categories)
            and all(t in traits for t in self.traits)
            and not any(t in traits for t in self.not_traits)
        )

    def describe(self) -> str:
        """The rule in words, for reasons and reports."""
        parts = []
        if self.categories:
            parts.append("category " + " or ".join(c.value for c in self.categories))
        if self.traits:
            parts.append(" and ".join(t.value for t in self.traits))
        if self.not_traits:
            parts.append("not " + " or ".join(t.value for t in self.not_traits))
        return ", ".join(parts) or "every proposal"


class Indicator(Frozen):
    """One question an assessor answers with a score on the scale."""

    id: Identifier
    """Unique across the whole pack; assessors score indicators by this id."""
    title: Text
    """Short name shown in tables."""
    question: Text
    """The question the assessor answers."""
    levels: dict[int, Text]
    """What the proposal looks like at each level of the scale, one entry per level."""
    weight: Weight = 1.0
    """Relative weight inside its criterion; only ratios matter."""
    evidence_required: bool = False
    """When true, a score that cites no evidence item is flagged and becomes a condition."""
    allow_na: bool = False
    """When true, assessors may answer 'n/a': the indicator is left out instead of a gap."""
    derived: DerivedMeasure | None = None
    """When set, techgate computes the score from the proposal's facts; assessors may not."""
    allow_unchanged: bool = True
    """When true, assessors may answer 'unchanged': covered, but neither for nor against."""
    acceptable_level: Annotated[int, Field(ge=0, le=10)] | None = None
    """Level at which this indicator stops arguing against; unset: the policy's."""
    applies_to: Applicability | None = None
    """Which proposals it applies to; to others it is not applicable. Unset: all."""
    trait_weights: dict[Trait, Weight] = {}
    """Weight used instead of 'weight' when the proposal has the trait (the largest wins)."""


class Criterion(Frozen):
    """A group of indicators that answers one of the organisation's questions."""

    id: Identifier
    """Unique within the pack."""
    title: Text
    """Short name shown in tables and charts."""
    question: Text
    """The question this criterion answers about the proposal."""
    weight: Weight = 1.0
    """Relative weight in the overall score; only ratios matter."""
    indicators: Annotated[tuple[Indicator, ...], Field(min_length=1)]
    """The indicators scored under this criterion."""


class _GateBase(Frozen):
    id: Identifier
    """Unique within the pack."""
    title: Text
    """Short name of the rule."""
    severity: Severity
    """What failing the gate does: 'no-go' stops adoption, 'conditional' blocks a plain go."""
    condition: Text
    """What must change for the gate to pass; shown as a condition when it fails."""
    on_missing: Literal["pass", "conditional", "no-go"] | None = None
    """What happens when the proposal lacks the facts the gate needs.

    Unset (the rule): the gate is judged as if the worst honest answer had
    been given, so leaving a fact out never helps. A stricter value applies
    as written; a laxer one applies too, but is flagged in every output.
    """
    applies_to: Applicability | None = None
    """Which proposals the gate applies to; others pass it as not applicable. Unset: all."""


class MinCriterionScoreGate(_GateBase):
    """Fails when a criterion scores below a floor."""

    kind: Literal["min-criterion-score"]
    """Gate type."""
    criterion: Identifier
    """The criterion checked."""
    min_score: Annotated[float, Field(ge=0, le=100)]
    """Lowest acceptable criterion score, 0-100."""


class MinIndicatorScoreGate(_GateBase):
    """Fails when an indicator scores below a level of the scale."""

    kind: Literal["min-indicator-score"]
    """Gate type."""
    indicator: Identifier
    """The indicator checked."""
    min_score: Annotated[float, Field(ge=0, le=10)]
    """Lowest acceptable score, in scale units."""


class ServiceMotiveGate(_GateBase):
    """Fails when organisation-serving objectives outweigh service to customers."""

    kind: Literal["service-motive"]
    """Gate type."""
    max_efficiency_share: Share = 0.5
    """Highest acceptable share of efficiency and revenue objectives.

    The share is taken among service, efficiency and revenue objectives.
    """


class CustomerMetricsGate(_GateBase):
    """Fails when success is not measured from the customer's side."""

    kind: Literal["customer-metrics"]
    """Gate type."""
    min_customer_metrics: Annotated[int, Field(ge=1, le=20)] = 1
    """How many customer-centric success metrics are needed."""


class SegmentCoverageGate(_GateBase):
    """Fails when customers are left with no channel they can use."""

    kind: Literal["segment-coverage"]
    """Gate type."""
    max_stranded_share: Share = 0.0
    """Largest acceptable share of customers left without a usable channel."""


class HumanEscalationGate(_GateBase):
    """Fails when automation in front of customers offers no quick route to a person."""

    kind: Literal["human-escalation"]
    """Gate type."""
    categories: tuple[Category, ...] = ()
    """Proposal categories the gate applies to; empty: every customer-facing proposal."""
    max_steps: Annotated[int, Field(ge=0, le=50)] | None = None
    """Most steps acceptable before reaching a person; unset checks only that a route exists."""
    max_minutes: Annotated[float, Field(ge=0, le=600)] | None = None
    """Most minutes acceptable before reaching a person; unset checks only that a route exists."""


class StakeholderInputGate(_GateBase):
    """Fails when the people who will live with the tool were not consulted."""

    kind: Literal["stakeholder-input"]
    """Gate type."""
    groups: Annotated[tuple[StakeholderGroup, ...], Field(min_length=1)] = (
        StakeholderGroup.STAFF,
        StakeholderGroup.CUSTOMERS,
    )
    """Groups that must each have been consulted."""
    min_participants: Annotated[int, Field(ge=1)] = 1
    """Fewest participants per group."""
    min_favourable_share: Share | None = None
    """Lowest acceptable favourable share per group; a group whose opinion was not
    recorded does not meet it. Unset: opinion is not checked."""
    opinion_required: bool = False
    """When true, only participants whose opinion was recorded count towards min_participants."""


class RoleRemovalEvidenceGate(_GateBase):
    """Fails when posts are cut or frozen on the strength of benefits not measured here."""

    kind: Literal["role-removal-evidence"]
    """Gate type."""
    min_measured_share: Share = 0.5
    """Least share of the benefits case's value that must be measured here (a pilot or
    production data with a measured figure) before posts are removed or frozen."""


class HumanCapacityGate(_GateBase):
    """Fails when the human route is cut below the demand the automation leaves for people."""

    kind: Literal["human-capacity"]
    """Gate type."""
    min_capacity_ratio: Annotated[float, Field(gt=0, le=10)] = 1.0
    """Least capacity of the remaining human route over the demand that needs a person."""


Gate = Annotated[
    MinCriterionScoreGate
    | MinIndicatorScoreGate
    | ServiceMotiveGate
    | CustomerMetricsGate
    | SegmentCoverageGate
    | HumanEscalationGate
    | StakeholderInputGate
    | RoleRemovalEvidenceGate
    | HumanCapacityGate,
    Field(discriminator="kind"),
]


class Aggregation(StrEnum):
    """How several assessors' scores for one indicator become one."""

    MEDIAN = "median"
    MEAN = "mean"


DEFAULT_WAIVER_DAYS = 365
"""How long a waiver may run when the pack does not say: a year."""
MAX_WAIVER_DAYS_LIMIT = 3653
"""No pack may let a waiver run longer than ten years."""


class DecisionPolicy(Frozen):
    """Thresholds that turn scores into a decision."""

    go_threshold: Annotated[float, Field(ge=0, le=100)] = 70.0
    """Overall score (0-100) at or above which the proposal can be a go."""
    conditional_threshold: Annotated[float, Field(ge=0, le=100)] = 50.0
    """Overall score at or above which it can be conditional; below is no-go."""
    min_confidence: Share = 0.4
    """Below this confidence a go becomes conditional."""
    min_coverage: Share = 0.8
    """Below this share of scored weight a go becomes conditional."""
    disagreement_spread: Annotated[int, Field(ge=1, le=10)] = 2
    """Assessors whose scores differ by this many levels or more are flagged as disagreeing."""
    aggregation: Aggregation = Aggregation.MEDIAN
    """How assessors' scores are combined."""
    acceptable_level: Annotated[int, Field(ge=0, le=10)] | None = None
    """Level the pack calls acceptable: above it an indicator argues for adoption, below it
    against. Unset: the middle of the scale, rounded up."""
    benefits_weight: Share = 0.2
    """Share of confidence that rests on the benefits case (claimed or measured) rather than
    on the evidence behind the scores."""
    spread_medium_from: Share = 0.2
    """Spread band: assessors whose levels are apart by less than this share of the scale
    agree ('low'); from it up to spread_high_above they differ ('medium')."""
    spread_high_above: Share = 0.5
    """Spread band: a spread above this share of the scale is 'high'."""
    # Added after records and pack hashes existed: left out of the JSON at its default, so a
    # pack that does not set it hashes, and its records read, byte for byte as before.
    max_waiver_days: Annotated[
        int,
        Field(ge=1, le=MAX_WAIVER_DAYS_LIMIT, exclude_if=lambda days: days == DEFAULT_WAIVER_DAYS),
    ] = DEFAULT_WAIVER_DAYS
    """Longest a waiver of one of this pack's gates may run: its expiry date at most this many
    days after the day it is granted (a register may set a tighter limit of its own)."""

    @model_validator(mode="after")
    def _ordered(self) -> DecisionPolicy:
        if self.conditional_threshold > self.go_threshold:
            raise ValueError(
                f"conditional_threshold ({self.conditional_threshold}) must not exceed "
                f"go_threshold ({self.go_threshold})"
            )
        if self.spread_medium_from > self.spread_high_above:
            raise ValueError(
                f"spread_medium_from ({self.spread_medium_from}) must not exceed "
                f"spread_high_above ({self.spread_high_above})"
            )
        return self


class PriceMethod(StrEnum):
    """How a bid's whole-life price enters a comparison (see docs/price.md)."""

    RELATIVE = "relative"
    LINEAR = "linear"
    LOGARITHMIC = "logarithmic"
    BENCHMARK = "benchmark"
    PER_QUALITY_POINT = "per-quality-point"
    QCBS = "qcbs"
    EXCLUDED = "excluded"


class ReferenceStatistic(StrEnum):
    """Which middle of the other bids' prices a bid is measured against."""

    MEDIAN = "median"
    MEAN = "mean"


class AbnormallyLowRule(Frozen):
    """When a bid's price is so far below the others that it must be explained.

    EU Directive 2014/24/EU art. 69 requires an explanation of an abnormally
    low tender but sets no figure; the default follows the Scottish
    Government's Construction Procurement Handbook (chapter 8): more than
    15 % below the median price.
    """

    below_percent: Annotated[float, Field(gt=0, lt=100)] = 15.0
    """A bid priced more than this many percent below the reference is flagged for a check."""
    reference: ReferenceStatistic = ReferenceStatistic.MEDIAN
    """The reference: the median (default) or the mean of the other opened bids' prices."""


class PricePolicy(Frozen):
    """How price enters a comparison of several proposals (see docs/price.md)."""

    method: PriceMethod = PriceMethod.RELATIVE
    """relative (lowest / price x 100), linear (lowest 100 to highest 0), logarithmic
    (1 - log(P/Pbest)/log A), benchmark (against a price set in advance),
    per-quality-point (price / technical score), qcbs (relative, opened only for bids
    that reach technical_minimum), or excluded (not scored, reported beside)."""
    technical_weight: Annotated[float, Field(ge=0, le=100)] = 70.0
    """Weight of the technical score in the combined score; with price_weight it makes 100."""
    price_weight: Annotated[float, Field(ge=0, le=100)] = 30.0
    """Weight of the price score in the combined score; with technical_weight it makes 100."""
    # The validator below refuses A <= 1 with its meaning; the schema says it too.
    log_base: Annotated[float, Field(le=1000, json_schema_extra={"exclusiveMinimum": 1})] = 2.0
    """A, for the logarithmic method: the ratio to the lowest price at which the price
    score reaches 0 (2: a bid twice the lowest scores 0). Above 1."""
    benchmark_price: Annotated[float, Field(gt=0, le=1e13)] | None = None
    """For the benchmark method: the whole-life price set before bids are opened (the
    budget or estimate). A bid at or below it scores 100; above, the score falls in a
    straight line to 0 at benchmark_zero_ratio times it."""
    benchmark_zero_ratio: Annotated[
        float, Field(le=1000, json_schema_extra={"exclusiveMinimum": 1})
    ] = 2.0
    """For the benchmark method: the multiple of the benchmark price that scores 0. Above 1."""
    technical_minimum: Annotated[float, Field(ge=0, le=100)] | None = None
    """Technical score (0-100) a bid must reach for its price to be opened; required for
    qcbs, optional for the others. Unset: every bid still in the race is opened."""
    abnormally_low: AbnormallyLowRule | None = AbnormallyLowRule()
    """When a bid is flagged as abnormally low; null turns the check off."""

    @model_validator(mode="after")
    def _consistent(self) -> PricePolicy:
        problems = []
        total = self.technical_weight + self.price_weight
        if abs(total - 100) > 1e-9:
            problems.append(
                f"technical_weight ({self.technical_weight:g}) and price_weight "
                f"({self.price_weight:g}) must add up to 100, not {total:g}"
            )
        if self.log_base <= 1:
            problems.append(
                f"log_base ({self.log_base:g}) must be above 1: it is the ratio to the lowest "
                "price at which the price score reaches 0"
            )
        if self.benchmark_zero_ratio <= 1:
            problems.append(
                f"benchmark_zero_ratio ({self.benchmark_zero_ratio:g}) must be above 1: it is "
                "the multiple of the benchmark price that scores 0"
            )
        if self.method is PriceMethod.BENCHMARK and self.benchmark_price is None:
            problems.append("the benchmark method needs benchmark_price")
        if self.method is PriceMethod.QCBS and self.technical_minimum is None:
            problems.append(
                "the qcbs method needs technical_minimum: the technical score (0-100) a bid "
                "must reach before its price is opened"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class CriteriaPack(Frozen):
    """A complete, resolved criteria pack."""

    id: Identifier
    """The pack's id, used with --criteria."""
    title: Text
    """Human name of the pack."""
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z.+-]{1,32}$")]
    """Version of the pack, recorded in every decision."""
    description: LongText = ""
    """What the pack is for and where its criteria come from."""
    scale: Scale = Scale()
    """The scoring scale."""
    criteria: Annotated[tuple[Criterion, ...], Field(min_length=1)]
    """The criteria, in the order reports show them."""
    gates: tuple[Gate, ...] = ()
    """Rules that can stop or condition adoption whatever the score."""
    policy: DecisionPolicy = DecisionPolicy()
    """Thresholds of the decision."""
    lineage: tuple[str, ...] = ()
    """Packs this one was built from by 'extends', nearest first (filled in by techgate)."""
    price: PricePolicy | None = None
    """How price enters when several proposals are compared; unset: the default policy
    (relative, 70:30) applies there. A single proposal's evaluation never uses it."""

    @property
    def acceptable_level(self) -> int:
        """The policy's acceptable level, or the middle of the scale rounded up."""
        level = self.policy.acceptable_level
        return level if level is not None else -(-self.scale.maximum // 2)

    def indicators(self) -> dict[str, tuple[Criterion, Indicator]]:
        """Indicator id to its criterion and itself, in pack order."""
        return self._indicator_index

    # A pack is judged against many proposals; what depends on the pack alone
    # is worked out once per (immutable) pack object.
    @cached_property
    def _indicator_index(self) -> dict[str, tuple[Criterion, Indicator]]:
        return {ind.id: (crit, ind) for crit in self.criteria for ind in crit.indicators}

    @cached_property
    def acceptable_levels(self) -> dict[str, int]:
        """Indicator id to the level the pack calls acceptable for it."""
        default = self.acceptable_level
        return {
            key: default if ind.acceptable_level is None else ind.acceptable_level
            for key, (_, ind) in self._indicator_index.items()
        }

    @cached_property
    def rule_traits(self) -> frozenset[Trait]:
        """Traits that some indicator's or gate's applicability depends on."""
        rules = [i.applies_to for _, i in self._indicator_index.values()]
        rules += [g.applies_to for g in self.gates]
        traits = {t for rule in rules if rule for t in (*rule.traits, *rule.not_traits)}
        traits |= {t for _, i in self._indicator_index.values() for t in i.trait_weights}
        return frozenset(traits)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the pack's canonical JSON (independent of file layout and comments)."""
        return hashlib.sha256(self.canonical_json.encode("utf-8")).hexdigest()

    @cached_property
    def canonical_json(self) -> str:
        """The pack as the JSON its sha256 is taken of (the register keeps it)."""
        # Settings added later are left out while they are absent or at their
        # defaults, so a pack that does not use them hashes as it did before
        # they existed (records made earlier still name it).
        unset: dict[str, Any] = {"price": True} if self.price is None else {}
        defaults = DecisionPolicy.model_fields
        later = {
            name: True
            for name in ("spread_medium_from", "spread_high_above")
            if getattr(self.policy, name) == defaults[name].default
        }
        if later:
            unset["policy"] = later
        return self.model_dump_json(exclude=unset)

    @cached_property
    def problems(self) -> tuple[Problem, ...]:
        """Cross-field inconsistencies (see techgate.model.problems)."""
        from techgate.model.problems import pack_problems

        return tuple(pack_problems(self))


class WeightOverrides(Frozen):
    """New weights for criteria or indicators of the base pack."""

    criteria: dict[Identifier, Weight] = {}
    """Criterion id to its new weight."""
    indicators: dict[Identifier, Weight] = {}
    """Indicator id to its new weight."""


class PolicyOverrides(Frozen):
    """Thresholds that replace the base pack's; unset ones are inherited."""

    go_threshold: Annotated[float, Field(ge=0, le=100)] | None = None
    """See the decision policy."""
    conditional_threshold: Annotated[float, Field(ge=0, le=100)] | None = None
    """See the decision policy."""
    min_confidence: Share | None = None
    """See the decision policy."""
    min_coverage: Share | None = None
    """See the decision policy."""
    disagreement_spread: Annotated[int, Field(ge=1, le=10)] | None = None
    """See the decision policy."""
    aggregation: Aggregation | None = None
    """See the decision policy."""
    acceptable_level: Annotated[int, Field(ge=0, le=10)] | None = None
    """See the decision policy."""
    benefits_weight: Share | None = None
    """See the decision policy."""
    spread_medium_from: Share | None = None
    """See the decision policy."""
    spread_high_above: Share | None = None
    """See the decision policy."""
    max_waiver_days: Annotated[int, Field(ge=1, le=MAX_WAIVER_DAYS_LIMIT)] | None = None
    """See the decision policy."""


class PackOverlay(Frozen):
    """A pack that tailors another one instead of copying it."""

    id: Identifier
    """The new pack's id."""
    title: Text
    """Human name of the new pack."""
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z.+-]{1,32}$")]
    """Version of the new pack."""
    extends: Annotated[str, Field(min_length=1, max_length=500)]
    """Id of a built-in pack, or a path relative to this file."""
    description: LongText = ""
    """What the tailoring changes and why."""
    weights: WeightOverrides = WeightOverrides()
    """Weights that replace the base pack's."""
    policy: PolicyOverrides = PolicyOverrides()
    """Thresholds that replace the base pack's."""
    gates: tuple[Gate, ...] = ()
    """Gates to add; a gate with the id of an existing one replaces it."""
    remove_gates: tuple[Identifier, ...] = ()
    """Ids of base gates to drop."""
    price: PricePolicy | None = None
    """A price policy that replaces the base pack's as a whole; unset: inherited."""
