"""The proposal: the facts about one technology under review."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

from techgate.model._base import Frozen, Identifier, LongText, Share, Text, Weight, replaced


class Category(StrEnum):
    """What kind of technology is proposed."""

    CHATBOT = "chatbot"
    IVR = "ivr"
    VOICEBOT = "voicebot"
    SELF_SERVICE = "self-service"
    SPEECH_ANALYTICS = "speech-analytics"
    CRM = "crm"
    CALLBACK = "callback"
    WORKFORCE = "workforce"
    GENERATIVE_ASSISTANT = "generative-assistant"
    AGENT_ASSIST = "agent-assist"
    OTHER = "other"


class Trait(StrEnum):
    """What a proposal does, as a pack's applicability rules see it.

    Traits come from the category and the 'automation' facts (see
    Proposal.traits), so packs can say what applies to what as data.
    """

    CUSTOMER_FACING = "customer-facing"
    GENERATIVE = "generative"
    HUMAN_REVIEWED = "human-reviewed"


# Categories that put automation between the customer and the organisation.
FRONT_CATEGORIES = frozenset(
    {
        Category.CHATBOT,
        Category.IVR,
        Category.VOICEBOT,
        Category.SELF_SERVICE,
        Category.GENERATIVE_ASSISTANT,
    }
)
# Categories that answer customers as they go: no person can check each
# output before the customer hears or sees it.
LIVE_CATEGORIES = frozenset({Category.IVR, Category.VOICEBOT, Category.SELF_SERVICE})
# Conversational categories that may or may not compose their own answers:
# they must say which, because the answer decides which safeguards apply.
MUST_STATE_GENERATION = frozenset(
    {Category.CHATBOT, Category.IVR, Category.VOICEBOT, Category.SELF_SERVICE}
)


class ObjectiveKind(StrEnum):
    """Whom an objective serves first."""

    SERVICE = "service"
    EFFICIENCY = "efficiency"
    COMPLIANCE = "compliance"
    INSIGHT = "insight"
    REVENUE = "revenue"


class MetricKind(StrEnum):
    """Whose experience a success metric measures."""

    CUSTOMER = "customer"
    EMPLOYEE = "employee"
    ORGANISATION = "organisation"


class Ability(StrEnum):
    """How well a customer segment can use the new channel."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class Rating(StrEnum):
    """A three-step rating for transaction complexity and value."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class StakeholderGroup(StrEnum):
    """Who was consulted."""

    STAFF = "staff"
    CUSTOMERS = "customers"
    EMPLOYEE_REPRESENTATIVES = "employee-representatives"


class ConsultationMethod(StrEnum):
    """How people were consulted."""

    CO_DESIGN = "co-design"
    WORKSHOP = "workshop"
    PILOT_FEEDBACK = "pilot-feedback"
    INTERVIEW = "interview"
    FOCUS_GROUP = "focus-group"
    SURVEY = "survey"


class EvidenceKind(StrEnum):
    """Kinds of evidence, weakest first."""

    VENDOR_CLAIM = "vendor-claim"
    DEMO = "demo"
    REFERENCE_CUSTOMER = "reference-customer"
    PILOT = "pilot"
    PRODUCTION_DATA = "production-data"


Amount = Annotated[float, Field(ge=0, le=1e13)]
Figure = Annotated[float, Field(ge=-1e13, le=1e13)]


class _Measured(Frozen):
    """Where a benefit or metric starts, where it should get to, and what was seen."""

    unit: Annotated[str, StringConstraints(max_length=200)] = ""
    """Unit of baseline, target and measured, such as 'minutes' or '% resolved'."""
    baseline: Figure | None = None
    """The value today, before the change."""
    measured: Figure | None = None
    """The value measured so far with the technology in use (a pilot or production)."""
    evidence: tuple[Identifier, ...] = ()
    """Ids of the evidence items behind the value and the measurement."""


class Objective(_Measured):
    """Something the proposal sets out to achieve, and what it is worth."""

    text: Text
    """The objective in a sentence."""
    kind: ObjectiveKind
    """Whom it serves first: service, efficiency, compliance, insight or revenue."""
    value: Amount | None = None
    """Its share of the benefits case as an annual value in the motive's currency."""
    weight: Weight | None = None
    """Its share of the benefits case as a relative weight, when no money value fits."""
    expected_effect: LongText = ""
    """The change expected, in words."""
    target: Figure | None = None
    """The value the objective aims for, in its unit."""


class SuccessMetric(_Measured):
    """How success will be measured after adoption."""

    name: Text
    """Name of the metric, such as 'customer effort score'."""
    kind: MetricKind
    """Whose experience it measures: customer, employee or organisation."""
    target: Figure | LongText | None = None
    """The target value: a number in the metric's unit, or words."""


class Motive(Frozen):
    """Why the organisation wants the technology, and the benefits case behind it."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    """ISO 4217 code of the objectives' annual values, such as EUR; needed when any has a value."""
    objectives: tuple[Objective, ...] = ()
    """What the proposal sets out to achieve."""
    success_metrics: tuple[SuccessMetric, ...] = ()
    """How success will be measured."""


class Segment(Frozen):
    """A group of customers and how the proposal affects them."""

    name: Text
    """Name of the segment, such as 'customers over 75'."""
    share: Share
    """Share of all customers in this segment, 0-1."""
    preferred_channel: Text
    """The channel this segment prefers today."""
    ability: Ability
    """How well the segment can use the new channel: full, partial or none."""
    alternative_remains: bool
    """Whether a channel they can use stays open alongside the new one."""
    note: LongText = ""
    """Why the segment is rated this way."""


class Transaction(Frozen):
    """A kind of contact the technology will handle."""

    name: Text
    """Name of the transaction, such as 'balance enquiry'."""
    complexity: Rating
    """How complex it is for the customer: low, medium or high."""
    value: Rating
    """How much is at stake for the customer: low, medium or high."""
    volume_share: Share
    """Share of the tool's contacts that are of this kind, 0-1."""


class HumanEscalation(Frozen):
    """How a customer reaches a person when the technology cannot help."""

    available: bool
    """Whether a customer can reach a person from within the technology at all."""
    steps_to_person: Annotated[int, Field(ge=0, le=100)] | None = None
    """Menu levels, prompts or turns before a person answers."""
    minutes_to_person: Annotated[float, Field(ge=0, le=1440)] | None = None
    """Typical minutes before a person answers, measured or promised."""
    triggers: tuple[Text, ...] = ()
    """What hands the customer to a person (asking for one, a complaint, a failed attempt ...)."""


class HumanRoute(Frozen):
    """The people who answer what the automation cannot, after the change."""

    staffed_hours_per_week: Annotated[float, Field(ge=0, le=1e7)]
    """Agent hours per week that stay on this work."""
    contacts_per_hour: Annotated[float, Field(gt=0, le=1000)]
    """Contacts one agent handles in an hour, as measured today."""
    demand_per_week: Annotated[float, Field(ge=0, le=1e9)]
    """Contacts per week expected to need a person once the automation is live."""
    agents: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    """Agents on the route, for the reader; capacity comes from the hours."""


class Workforce(Frozen):
    """What the proposal does to the people who serve customers today."""

    roles_removed: Annotated[float, Field(ge=0, le=1e6)]
    """Posts (full-time equivalents) removed because of the proposal; 0 if none."""
    roles_frozen: Annotated[float, Field(ge=0, le=1e6)]
    """Posts left unfilled under a hiring freeze tied to the proposal; 0 if none."""
    roles_redeployed: Annotated[float, Field(ge=0, le=1e6)]
    """Posts moved off this work to other work; 0 if none."""
    remaining_route: HumanRoute | None = None
    """The human route that remains: its capacity against the demand left for people."""
    note: LongText = ""
    """Anything else about the workforce impact."""


class Automation(Frozen):
    """How the technology produces what customers or agents see."""

    generates_answers: bool | None = None
    """Whether it composes its own wording (a language model) rather than using fixed answers.

    Must be stated for chatbots, IVR, voicebots and self-service.
    """
    human_reviews_output: bool | None = None
    """Whether a person checks every output before it reaches a customer (agent assist)."""
    knowledge_source: LongText = ""
    """Where its answers come from, such as 'policy library v12, owned by Customer Policy'."""


class AtLeast(Frozen):
    """A count known only as a lower bound."""

    at_least: Annotated[int, Field(ge=0, le=10_000_000)]
    """The smallest the count can be."""


Count = Annotated[int, Field(ge=0, le=10_000_000)] | AtLeast


def count_of(value: int | AtLeast) -> int:
    """The number a count stands for; a lower bound counts as that bound."""
    return value.at_least if isinstance(value, AtLeast) else value


class Feedback(Frozen):
    """What the people in a pilot said."""

    respondents: Count
    """How many gave feedback: a number, or {at_least: N}."""
    favourable_share: Share | None = None
    """Share of respondents in favour, 0-1; unset when only comments were gathered."""
    findings: LongText = ""
    """What they said, in brief."""


class Pilot(Frozen):
    """A trial of the technology with real staff or customers."""

    end: dt.date
    """When the pilot ended (or the date of the figures, if it still runs)."""
    weeks: Annotated[int, Field(ge=0, le=520)] | None = None
    """How long it ran."""
    staff_users: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    """Staff who used it in their daily work."""
    staff_feedback: Feedback | None = None
    """Feedback gathered from those staff; counts as staff input."""
    customer_feedback: Feedback | None = None
    """Feedback gathered from customers served in the pilot; counts as customer input."""
    description: LongText = ""
    """Where and how it ran."""


class Consultation(Frozen):
    """One consultation of staff, customers or employee representatives."""

    group: StakeholderGroup
    """Who was consulted: staff, customers or employee-representatives (a union, a council)."""
    method: ConsultationMethod
    """How they were consulted."""
    participants: Count
    """How many people took part: a number, or {at_least: N} when only a lower bound is known."""
    favourable_share: Share | None = None
    """Share of participants in favour, 0-1; unset when no opinion was recorded."""
    date: dt.date
    """When the consultation ended."""
    findings: LongText = ""
    """What they said, in brief."""


class Evidence(Frozen):
    """An item of evidence that assessors can cite."""

    id: Identifier
    """Unique within the proposal; cited by assessors."""
    kind: EvidenceKind
    """Its kind, which sets its strength."""
    title: Text
    """What the evidence is."""
    source: LongText = ""
    """Where it comes from (document, site, contact)."""
    date: dt.date | None = None
    """When it was produced."""


NotApplicable = Literal["n/a"]
Unchanged = Literal["unchanged"]


class IndicatorScore(Frozen):
    """An assessor's answer to one indicator."""

    score: Annotated[int, Field(ge=0, le=10)] | NotApplicable | Unchanged
    """A level of the scale; 'n/a' where the pack allows it; 'unchanged' when the
    technology leaves this quality as it is today."""
    evidence: tuple[Identifier, ...] = ()
    """Ids of the evidence items that support the score."""
    note: LongText = ""
    """Why this score."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The schema must accept the short form too, or editors flag valid files.
        reference = handler(core_schema)
        definition = handler.resolve_ref_schema(reference)
        full_form = dict(definition)
        definition.clear()
        definition.update(
            {
                "description": (
                    "A score (0-10, 'n/a' or 'unchanged'), or a mapping of score, evidence, note."
                ),
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": 10},
                    {"const": "n/a"},
                    {"const": "unchanged"},
                    full_form,
                ],
            }
        )
        return reference

    @model_validator(mode="before")
    @classmethod
    def _scalar_is_score(cls, data: Any) -> Any:
        # "availability: 3" is the short form of "availability: {score: 3}".
        if isinstance(data, int | str) and not isinstance(data, bool):
            return {"score": data}
        return data


class Assessment(Frozen):
    """One assessor's scores."""

    assessor: Text
    """Name of the assessor; unique within the proposal."""
    role: LongText = ""
    """The assessor's role, such as 'team leader'."""
    date: dt.date | None = None
    """When the assessment was made."""
    scores: dict[Identifier, IndicatorScore] = {}
    """Indicator id to score."""


class ModeratedAnswer(Frozen):
    """The panel's agreed answer to one indicator, after moderation."""

    score: Annotated[int, Field(ge=0, le=10)] | NotApplicable | Unchanged
    """The moderated answer: a level, 'n/a' or 'unchanged'. It starts at the panel's
    median (see Moderation) and differs from it only with a comment."""
    comment: LongText = ""
    """Why the panel moved away from the median; required when it did."""

    @model_validator(mode="before")
    @classmethod
    def _scalar_is_score(cls, data: Any) -> Any:
        # "availability: 3" is the short form of "availability: {score: 3}".
        if isinstance(data, int | str) and not isinstance(data, bool):
            return {"score": data}
        return data


class Moderation(Frozen):
    """The panel's moderation: once it exists, the individual answers are locked.

    Each moderated answer starts at the median of the assessors' levels;
    a median between two levels (an even panel) starts at the lower one, so
    that moving up is what needs a reason. Where no assessor gave a level,
    it starts at 'unchanged' if anyone said so, else 'n/a'.
    """

    started: dt.date
    """When moderation started; from then on assessments may not change."""
    chair: Text | None = None
    """Who chaired the moderation."""
    answers_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    """SHA-256 of the assessments when moderation started ('techgate moderate start' writes
    it): an assessment changed since then is refused, since the answers are locked."""
    scores: dict[Identifier, ModeratedAnswer] = {}
    """Indicator id to the panel's moderated answer."""


# The old name of Proposal.pack, accepted with a deprecation notice.
OLD_PACK_KEY = "criteria"


def _schema_accepts_old_key(schema: dict[str, Any]) -> None:
    # Editors validate against the schema; a file that still says 'criteria'
    # is valid (and flagged as deprecated), not an error.
    schema.setdefault("properties", {})[OLD_PACK_KEY] = {
        "type": "string",
        "deprecated": True,
        "description": "Old name of 'pack'; rename it.",
    }


class CostPer(StrEnum):
    """How often a cost line is paid."""

    ONCE = "once"
    YEAR = "year"


class CostKind(StrEnum):
    """What a cost line pays for, as a bid's price schedule groups it."""

    PURCHASE = "purchase"
    IMPLEMENTATION = "implementation"
    LICENCE = "licence"
    RUNNING = "running"
    SUPPORT = "support"
    EXIT = "exit"
    OTHER = "other"


class CostLine(Frozen):
    """One line of a bid's price schedule."""

    name: Text
    """What the line pays for, as the bid words it, such as 'seat licences (120 agents)'."""
    amount: Amount
    """The amount in the cost's currency: per year for yearly lines, in total for one-off ones."""
    per: CostPer
    """'once' for a one-off payment (purchase, implementation, exit), 'year' for a yearly one."""
    kind: CostKind = CostKind.OTHER
    """What it pays for: purchase, implementation, licence, running, support, exit or other."""
    note: LongText = ""
    """Assumptions behind the figure (volumes, indexation, what is excluded)."""


class WholeLifeCost(Frozen):
    """What the proposal costs over a stated period, from the bid's price schedule.

    The whole-life total is the sum of the one-off lines plus every yearly line
    times the period in years. With a discount rate r, yearly lines are paid at
    the start of each year t = 0 .. period_years - 1 and discounted by
    1 / (1 + r)^t, one-off lines are paid in year 0; r = 0 (the default) is
    the plain undiscounted sum.
    """

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    """ISO 4217 code of every amount, such as EUR or GBP."""
    period_years: Annotated[int, Field(ge=1, le=50)]
    """Whole years the total covers (the contract term plus any extensions priced)."""
    lines: Annotated[tuple[CostLine, ...], Field(min_length=1, max_length=500)]
    """The price schedule: one line per one-off or yearly cost."""
    discount_rate: Annotated[float, Field(ge=0, le=0.25)] = 0.0
    """Yearly real discount rate as a share, such as 0.035 for the 3.5 % of HM Treasury's
    Green Book; 0 (the default) adds the years up undiscounted."""
    source: LongText = ""
    """Where the figures come from, such as 'price schedule, bid v2, 3 March'."""

    @model_validator(mode="after")
    def _priced(self) -> WholeLifeCost:
        names = [line.name for line in self.lines]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"cost lines must have distinct names; repeated: {repeated}")
        # A cent at least: smaller totals show as 0.00 and break the price formulas.
        if not self.total() >= 0.01:
            raise ValueError(
                f"the whole-life total is {self.total():g}: a bid must state amounts adding "
                "up to at least 0.01 (a cent)"
            )
        return self

    def once_total(self) -> float:
        """The one-off lines added up."""
        return math.fsum(line.amount for line in self.lines if line.per is CostPer.ONCE)

    def yearly_total(self) -> float:
        """The yearly lines added up: what one year costs."""
        return math.fsum(line.amount for line in self.lines if line.per is CostPer.YEAR)

    def year_factor(self) -> float:
        """What one yearly amount weighs over the period: the years, discounted if asked."""
        rate = self.discount_rate
        if rate == 0:
            return float(self.period_years)
        return math.fsum((1 + rate) ** -year for year in range(self.period_years))

    def total(self) -> float:
        """The whole-life cost over the period, in the cost's currency."""
        return self.once_total() + self.yearly_total() * self.year_factor()


class Proposal(Frozen):
    """A proposed technology and the facts about it."""

    model_config = ConfigDict(**Frozen.model_config, json_schema_extra=_schema_accepts_old_key)

    id: Identifier
    """Short id, used for output file names."""
    title: Text
    """What is proposed, in a line."""
    vendor: Text
    """Who supplies it."""
    category: Category
    """What kind of technology it is."""
    owner: Text
    """Who in the organisation sponsors it."""
    date: dt.date
    """Date of the proposal."""
    pack: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """Criteria pack to judge it by: a pack id, or a path relative to this file inside
    the folders packs may come from. 'criteria' is its old name, still read."""
    summary: LongText = ""
    """What it does, in a paragraph."""
    replaces: tuple[Text, ...] = ()
    """Processes or channels it replaces."""
    adds: tuple[Text, ...] = ()
    """Processes or channels it adds alongside the existing ones."""
    motive: Motive = Motive()
    """Why it is wanted and how success will be measured."""
    segments: tuple[Segment, ...] = ()
    """Customer segments and how the proposal affects each."""
    transactions: tuple[Transaction, ...] = ()
    """The kinds of contact it will handle."""
    human_escalation: HumanEscalation | None = None
    """How customers reach a person from it."""
    automation: Automation = Automation()
    """Whether it composes its own answers and whether a person checks them."""
    workforce: Workforce | None = None
    """Roles removed, frozen or redeployed, and the human route that remains."""
    stakeholder_input: tuple[Consultation, ...] = ()
    """Consultations of staff, customers and employee representatives."""
    pilot: Pilot | None = None
    """A trial with real staff or customers; feedback gathered in it counts as their input."""
    evidence: tuple[Evidence, ...] = ()
    """Evidence that assessors cite."""
    assessments: tuple[Assessment, ...] = ()
    """Assessors' scores, one entry per assessor."""
    cost: WholeLifeCost | None = None
    """What it costs over a stated period, for comparisons that weigh price."""

    moderation: Moderation | None = None
    """The panel's moderated answers; once present, the assessments above are locked."""

    @model_validator(mode="before")
    @classmethod
    def _old_name_of_pack(cls, data: Any) -> Any:
        # 'criteria' was the field's name until 0.x; files written then still
        # read, and the loader tells their authors to rename it.
        if isinstance(data, dict) and OLD_PACK_KEY in data:
            if "pack" in data:
                raise ValueError(
                    "give 'pack' only: 'criteria' is its old name and both are present"
                )
            data = {("pack" if key == OLD_PACK_KEY else key): value for key, value in data.items()}
        return data

    @property
    def traits(self) -> frozenset[Trait]:
        """The traits a pack's applicability rules see, from category and automation facts."""
        return proposal_traits(self.category, self.automation)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the proposal's canonical JSON."""
        return hashlib.sha256(self.canonical_json.encode("utf-8")).hexdigest()

    @cached_property
    def canonical_json(self) -> str:
        """The proposal as the JSON its sha256 is taken of (the register keeps it).

        Assessors, and the indicators each scored, are put in a fixed order
        first: their order in the file carries no meaning.
        """
        canonical = replaced(
            self,
            assessments=tuple(
                replaced(assessment, scores=dict(sorted(assessment.scores.items())))
                for assessment in sorted(self.assessments, key=lambda a: a.assessor)
            ),
        )
        # Optional blocks that are absent (no cost, no moderation yet) are left
        # out, so a proposal hashes as it did before those blocks existed.
        unset = {name for name in ("cost", "moderation") if getattr(self, name) is None}
        return str(canonical.model_dump_json(exclude=unset))


def proposal_traits(category: Category, automation: Automation) -> frozenset[Trait]:
    """Traits of a proposal: what it is (category) refined by what it does (automation).

    A stated fact wins over the category's default; an agent-assist tool is
    generative and human-reviewed unless stated otherwise, and a tool whose
    every output a person checks does not face customers on its own.
    """
    generative = automation.generates_answers
    if generative is None:
        generative = category in (Category.GENERATIVE_ASSISTANT, Category.AGENT_ASSIST)
    reviewed = automation.human_reviews_output
    if reviewed is None:
        reviewed = category is Category.AGENT_ASSIST
    facing = not reviewed and (category in FRONT_CATEGORIES or category is Category.AGENT_ASSIST)
    traits = set()
    if facing:
        traits.add(Trait.CUSTOMER_FACING)
    if generative:
        traits.add(Trait.GENERATIVE)
    if reviewed:
        traits.add(Trait.HUMAN_REVIEWED)
    return frozenset(traits)
