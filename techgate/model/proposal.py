"""The proposal: the facts about one technology under review."""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

from techgate.model._base import Frozen, Identifier, LongText, Share, Text


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
    OTHER = "other"


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


class Objective(Frozen):
    """Something the proposal sets out to achieve."""

    text: Text
    """The objective in a sentence."""
    kind: ObjectiveKind
    """Whom it serves first: service, efficiency, compliance, insight or revenue."""
    expected_effect: LongText = ""
    """The change expected, ideally with a number."""


class SuccessMetric(Frozen):
    """How success will be measured after adoption."""

    name: Text
    """Name of the metric, such as 'customer effort score'."""
    kind: MetricKind
    """Whose experience it measures: customer, employee or organisation."""
    target: LongText = ""
    """The target value, if one is set."""


class Motive(Frozen):
    """Why the organisation wants the technology."""

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


class Consultation(Frozen):
    """One consultation of staff or customers about the proposal."""

    group: StakeholderGroup
    """Who was consulted: staff or customers."""
    method: ConsultationMethod
    """How they were consulted."""
    participants: Annotated[int, Field(ge=0, le=10_000_000)]
    """How many people took part."""
    favourable_share: Share | None = None
    """Share of participants in favour, 0-1; leave unset when opinion was not asked."""
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


class IndicatorScore(Frozen):
    """An assessor's answer to one indicator."""

    score: Annotated[int, Field(ge=0, le=10)] | NotApplicable
    """A level of the pack's scale, or 'n/a' where the pack allows it."""
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
                "description": "A score (0-10 or 'n/a'), or a mapping of score, evidence, note.",
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": 10},
                    {"const": "n/a"},
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


class Proposal(Frozen):
    """A proposed technology and the facts about it."""

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
    criteria: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """Criteria pack to judge it by: a built-in id or a path relative to this file."""
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
    stakeholder_input: tuple[Consultation, ...] = ()
    """Consultations of staff and customers."""
    evidence: tuple[Evidence, ...] = ()
    """Evidence that assessors cite."""
    assessments: tuple[Assessment, ...] = ()
    """Assessors' scores, one entry per assessor."""

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the proposal's canonical JSON.

        Assessors, and the indicators each scored, are put in a fixed order
        first: their order in the file carries no meaning.
        """
        canonical = self.model_copy(
            update={
                "assessments": tuple(
                    assessment.model_copy(
                        update={"scores": dict(sorted(assessment.scores.items()))}
                    )
                    for assessment in sorted(self.assessments, key=lambda a: a.assessor)
                )
            }
        )
        return hashlib.sha256(canonical.model_dump_json().encode("utf-8")).hexdigest()
