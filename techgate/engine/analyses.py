"""Analyses computed from the proposal's facts, and the indicator values they yield.

Each analysis returns its record for the report and a fraction 0-1 (or
None when the proposal lacks the facts) that a derived indicator turns into
a score on the pack's scale.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from techgate.engine.numbers import maybe_share, share
from techgate.model.criteria import AUTOMATION_CATEGORIES, DerivedMeasure
from techgate.model.evaluation import (
    Analyses,
    EscalationAnalysis,
    GroupInput,
    MotiveAnalysis,
    SegmentCoverage,
    StakeholderAnalysis,
)
from techgate.model.proposal import (
    Ability,
    MetricKind,
    ObjectiveKind,
    Proposal,
    Rating,
    StakeholderGroup,
)

# A sample of n people counts n / (n + SAMPLE_PRIOR): five people count a
# third, ninety count nine tenths. Small consultations still count, less.
SAMPLE_PRIOR = 10
# Where a consultation did not ask opinion, it counts as neither for nor against.
UNKNOWN_OPINION = 0.5
STEPS_TO_PERSON_OK = 3
MINUTES_TO_PERSON_OK = 5.0


@dataclass(frozen=True)
class Derived:
    """A fraction 0-1 for a derived indicator, or None when facts are missing."""

    fraction: float | None
    explanation: str
    applicable: bool = True


def analyse(proposal: Proposal) -> tuple[Analyses, dict[DerivedMeasure, Derived]]:
    motive, service, metrics = _motive(proposal)
    segments, coverage = _segments(proposal)
    escalation, route = _escalation(proposal)
    stakeholders, staff, customers = _stakeholders(proposal)
    analyses = Analyses(
        motive=motive, segments=segments, escalation=escalation, stakeholders=stakeholders
    )
    derived = {
        DerivedMeasure.SERVICE_MOTIVE: service,
        DerivedMeasure.CUSTOMER_METRICS: metrics,
        DerivedMeasure.SEGMENT_COVERAGE: coverage,
        DerivedMeasure.HUMAN_ESCALATION: route,
        DerivedMeasure.STAFF_INPUT: staff,
        DerivedMeasure.CUSTOMER_INPUT: customers,
    }
    return analyses, derived


def _motive(proposal: Proposal) -> tuple[MotiveAnalysis, Derived, Derived]:
    objectives = Counter(o.kind for o in proposal.motive.objectives)
    metrics = Counter(m.kind for m in proposal.motive.success_metrics)
    service = objectives[ObjectiveKind.SERVICE]
    organisation = objectives[ObjectiveKind.EFFICIENCY] + objectives[ObjectiveKind.REVENUE]
    service_share = service / (service + organisation) if service + organisation else None
    if service_share is None:
        led_by = "unstated"
        summary = "No service, efficiency or revenue objective is stated."
    elif service_share > 0.5:
        led_by, summary = (
            "service",
            f"Service objectives lead ({service} of {service + organisation}).",
        )
    elif service_share < 0.5:
        led_by = "efficiency"
        summary = (
            f"Efficiency and revenue objectives lead ({organisation} of "
            f"{service + organisation}); service gains are doubtful if cost is the driver."
        )
    else:
        led_by, summary = "balanced", "Service and organisation-serving objectives are balanced."
    customer, employee = metrics[MetricKind.CUSTOMER], metrics[MetricKind.EMPLOYEE]
    customer_centric = customer > 0
    summary += (
        " Success is measured from the customer's side."
        if customer_centric
        else " No success metric measures the customer's experience."
    )
    analysis = MotiveAnalysis(
        objectives_by_kind={k.value: objectives[k] for k in ObjectiveKind},
        service_share=maybe_share(service_share),
        led_by=led_by,
        metrics_by_kind={k.value: metrics[k] for k in MetricKind},
        customer_centric=customer_centric,
        summary=summary,
    )
    service_value = Derived(
        service_share,
        f"{service} service objective(s) against {organisation} efficiency or revenue objective(s)",
    )
    if not proposal.motive.objectives and not proposal.motive.success_metrics:
        metrics_value = Derived(None, "the proposal states no motive or success metrics")
    else:
        fraction = (
            0.5 * (customer > 0)
            + 0.25 * (employee > 0)
            + 0.25 * (customer > 0 and customer >= metrics[MetricKind.ORGANISATION])
        )
        metrics_value = Derived(
            fraction,
            f"{customer} customer, {employee} employee and "
            f"{metrics[MetricKind.ORGANISATION]} organisation metric(s)",
        )
    return analysis, service_value, metrics_value


def _segments(proposal: Proposal) -> tuple[SegmentCoverage, Derived]:
    segments = proposal.segments
    described = sum(s.share for s in segments)
    stranded = [s for s in segments if s.ability is Ability.NONE and not s.alternative_remains]
    at_risk = [s for s in segments if s.ability is Ability.PARTIAL and not s.alternative_remains]
    stranded_share = sum(s.share for s in stranded)
    at_risk_share = sum(s.share for s in at_risk)
    covered = (described - stranded_share - at_risk_share / 2) / described if described else 0.0
    if not segments or described == 0:
        summary = "No customer segments are described, so nobody can say who is left out."
        value = Derived(None, "no customer segments described")
    else:
        summary = f"{covered:.0%} of described customers keep a channel they can use" + (
            f"; left without one: {', '.join(s.name for s in stranded)}"
            f" ({stranded_share:.0%} of customers)."
            if stranded
            else "."
        )
        value = Derived(
            covered,
            f"{covered:.0%} of {described:.0%} described customers keep a "
            "usable channel (partial ability without an alternative counts half)",
        )
    analysis = SegmentCoverage(
        described=bool(segments),
        described_share=share(described),
        covered_share=share(covered),
        stranded_share=share(stranded_share),
        stranded_segments=tuple(s.name for s in stranded),
        at_risk_segments=tuple(s.name for s in at_risk),
        summary=summary,
    )
    return analysis, value


def _escalation(proposal: Proposal) -> tuple[EscalationAnalysis, Derived]:
    applies = proposal.category in AUTOMATION_CATEGORIES
    route = proposal.human_escalation
    demanding = sum(
        t.volume_share for t in proposal.transactions if Rating.HIGH in (t.complexity, t.value)
    )
    if not applies:
        summary = f"A {proposal.category.value} does not stand between customers and staff."
        value = Derived(None, "not automation in front of customers", applicable=False)
    elif route is None:
        summary = "Automation in front of customers, and the route to a person is not described."
        value = Derived(None, "route to a person not described")
    elif not route.available:
        summary = "Customers cannot reach a person from this automation."
        value = Derived(0.0, "no route to a person")
    else:
        fraction, shortfalls = 1.0, []
        if route.steps_to_person is None or route.steps_to_person > STEPS_TO_PERSON_OK:
            fraction -= 0.25
            shortfalls.append(f"steps unknown or more than {STEPS_TO_PERSON_OK}")
        if route.minutes_to_person is None or route.minutes_to_person > MINUTES_TO_PERSON_OK:
            fraction -= 0.25
            shortfalls.append(f"minutes unknown or more than {MINUTES_TO_PERSON_OK:g}")
        if not route.triggers:
            fraction -= 0.25
            shortfalls.append("no stated triggers for a hand-over")
        summary = (
            "A person can be reached"
            + _route_detail(route.steps_to_person, route.minutes_to_person)
            + "."
        )
        value = Derived(
            fraction,
            "route to a person exists"
            + (f"; {'; '.join(shortfalls)}" if shortfalls else ", quick and triggered"),
        )
    if applies and demanding:
        summary += f" {demanding:.0%} of its volume is complex or high-value."
    analysis = EscalationAnalysis(
        applies=applies,
        described=route is not None,
        available=route.available if route else None,
        steps_to_person=route.steps_to_person if route else None,
        minutes_to_person=route.minutes_to_person if route else None,
        complex_or_valuable_share=share(demanding),
        summary=summary,
    )
    return analysis, value


def _route_detail(steps: int | None, minutes: float | None) -> str:
    parts = []
    if steps is not None:
        parts.append(f"{steps} step(s)")
    if minutes is not None:
        parts.append(f"{minutes:g} minute(s)")
    return f" in {' and '.join(parts)}" if parts else ", with no stated steps or time"


def _stakeholders(proposal: Proposal) -> tuple[StakeholderAnalysis, Derived, Derived]:
    groups, values = [], []
    for group in (StakeholderGroup.STAFF, StakeholderGroup.CUSTOMERS):
        consultations = [c for c in proposal.stakeholder_input if c.group is group]
        participants = sum(c.participants for c in consultations)
        asked = [c for c in consultations if c.favourable_share is not None and c.participants]
        asked_people = sum(c.participants for c in asked)
        favourable = (
            sum(c.participants * (c.favourable_share or 0.0) for c in asked) / asked_people
            if asked_people
            else None
        )
        sample_weight = participants / (participants + SAMPLE_PRIOR)
        opinion = UNKNOWN_OPINION if favourable is None else favourable
        groups.append(
            GroupInput(
                group=group.value,
                consultations=len(consultations),
                participants=participants,
                favourable_share=maybe_share(favourable),
                sample_weight=share(sample_weight),
                methods=tuple(sorted({c.method.value for c in consultations})),
            )
        )
        if participants:
            explanation = (
                f"{participants} {group.value} consulted (counts {sample_weight:.0%}), "
                + (
                    f"{favourable:.0%} favourable"
                    if favourable is not None
                    else "opinion not asked, counted as neutral"
                )
            )
        else:
            explanation = f"no consultation of {group.value} recorded"
        values.append(Derived(sample_weight * opinion, explanation))
    staff, customers = groups
    summary = " ".join(
        (
            f"{g.participants} {g.group} consulted"
            + (f", {g.favourable_share:.0%} favourable." if g.favourable_share is not None else ".")
        )
        if g.participants
        else f"No {g.group} were consulted."
        for g in (staff, customers)
    )
    return StakeholderAnalysis(groups=(staff, customers), summary=summary), values[0], values[1]
