"""Analyses computed from the proposal's facts, and the indicator values they yield.

Each analysis returns its record for the report and a fraction 0-1 (or
None when the proposal lacks the facts) that a derived indicator turns into
a score on the pack's scale. Where a fact is missing or only partly given,
the analysis takes the worst value an honest proposer could have stated, so
that leaving a fact out never reads better than stating it.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from techgate.engine.benefits import MotiveParts, benefits_case
from techgate.engine.numbers import maybe_share, share
from techgate.engine.stakeholders import stakeholders as heard
from techgate.model.criteria import (
    CriteriaPack,
    DerivedMeasure,
    Gate,
    HumanEscalationGate,
    MinIndicatorScoreGate,
)
from techgate.model.evaluation import (
    Analyses,
    AutomationAnalysis,
    EscalationAnalysis,
    MotiveAnalysis,
    SegmentCoverage,
    WorkforceAnalysis,
)
from techgate.model.problems import SHARE_TOLERANCE
from techgate.model.proposal import (
    Ability,
    Category,
    MetricKind,
    ObjectiveKind,
    Proposal,
    Rating,
    Trait,
)

STEPS_TO_PERSON_OK = 3
MINUTES_TO_PERSON_OK = 5.0


class Derived(NamedTuple):
    """A fraction 0-1 for a derived indicator, or None when facts are missing."""

    fraction: float | None
    explanation: str
    applicable: bool = True
    unchanged: bool = False  # the facts show the proposal leaves this quality as it is


def analyse(
    proposal: Proposal, pack: CriteriaPack
) -> tuple[Analyses, dict[DerivedMeasure, Derived]]:
    benefits, motive_parts = benefits_case(proposal)
    motive, service, metrics = _motive(proposal, motive_parts)
    segments, coverage = _segments(proposal)
    escalation, route = _escalation(proposal)
    stakeholders, staff, customers = heard(proposal)
    analyses = Analyses.trusted(
        motive=motive,
        benefits=benefits,
        workforce=_workforce(proposal),
        automation=_automation(proposal, pack),
        segments=segments,
        escalation=escalation,
        stakeholders=stakeholders,
    )
    derived = {
        DerivedMeasure.SERVICE_MOTIVE: service,
        DerivedMeasure.CUSTOMER_METRICS: metrics,
        DerivedMeasure.SEGMENT_COVERAGE: coverage,
        DerivedMeasure.HUMAN_ESCALATION: route,
        DerivedMeasure.STAFF_INPUT: Derived(*staff),
        DerivedMeasure.CUSTOMER_INPUT: Derived(*customers),
    }
    return analyses, derived


def _motive(proposal: Proposal, parts: MotiveParts) -> tuple[MotiveAnalysis, Derived, Derived]:
    objectives = Counter(o.kind for o in proposal.motive.objectives)
    metrics = Counter(m.kind for m in proposal.motive.success_metrics)
    service_share = parts.service_share
    measure = {"value": "by stated value", "weight": "by weight", "count": "by count"}[parts.unit]
    if service_share is None:
        led_by = "unstated"
        summary = "No service, efficiency or revenue objective is stated."
    elif service_share > 0.5:
        led_by = "service"
        summary = f"Service objectives lead ({service_share:.0%} of the case {measure})."
    elif service_share < 0.5:
        led_by = "efficiency"
        summary = (
            f"Efficiency and revenue objectives lead (service is {service_share:.0%} of the "
            f"case {measure}); service gains are doubtful if cost is the driver."
        )
    else:
        led_by = "balanced"
        summary = "Service and organisation-serving objectives are balanced."
    customer, employee = metrics[MetricKind.CUSTOMER], metrics[MetricKind.EMPLOYEE]
    customer_centric = customer > 0
    summary += (
        " Success is measured from the customer's side."
        if customer_centric
        else " No success metric measures the customer's experience."
    )
    analysis = MotiveAnalysis.trusted(
        objectives_by_kind={k.value: objectives[k] for k in ObjectiveKind},
        service_share=maybe_share(service_share),
        led_by=led_by,
        metrics_by_kind={k.value: metrics[k] for k in MetricKind},
        customer_centric=customer_centric,
        summary=summary,
    )
    if service_share is None:
        service_value = Derived(None, "no service, efficiency or revenue objective is stated")
    elif parts.unquantified:
        service_value = Derived(
            service_share,
            "an efficiency or revenue objective states no value, so it is taken to outweigh "
            "the service objectives",
        )
    else:
        service_value = Derived(
            service_share, f"service objectives are {service_share:.0%} of the case {measure}"
        )
    if not proposal.motive.objectives and not proposal.motive.success_metrics:
        metrics_value = Derived(None, "the proposal states no motive or success metrics")
    else:
        # A customer measure with a number to reach counts for more than one
        # without; leaving the organisation's own measures out gains nothing.
        targeted = any(
            m.kind is MetricKind.CUSTOMER
            and isinstance(m.target, int | float)
            and not isinstance(m.target, bool)
            for m in proposal.motive.success_metrics
        )
        fraction = 0.5 * (customer > 0) + 0.25 * (employee > 0) + 0.25 * targeted
        metrics_value = Derived(
            fraction,
            f"{customer} customer, {employee} employee and "
            f"{metrics[MetricKind.ORGANISATION]} organisation metric(s)",
        )
    return analysis, service_value, metrics_value


def _workforce(proposal: Proposal) -> WorkforceAnalysis:
    workforce = proposal.workforce
    if workforce is None:
        return WorkforceAnalysis.trusted(
            stated=False,
            roles_removed=None,
            roles_frozen=None,
            roles_redeployed=None,
            reduces_human_route=None,
            capacity_per_week=None,
            demand_per_week=None,
            capacity_ratio=None,
            agents=None,
            note="",
            summary="The workforce impact is not stated; it is judged as if posts were cut.",
        )
    route = workforce.remaining_route
    capacity = route.staffed_hours_per_week * route.contacts_per_hour if route else None
    demand = route.demand_per_week if route else None
    # Fewer than one contact a week needing a person is none at all.
    ratio = capacity / demand if capacity is not None and demand and demand >= 1 else None
    reduces = workforce.roles_removed + workforce.roles_frozen + workforce.roles_redeployed > 0
    summary = (
        f"{workforce.roles_removed:g} post(s) removed, {workforce.roles_frozen:g} frozen, "
        f"{workforce.roles_redeployed:g} redeployed."
    )
    if route is not None and demand and demand >= 1:
        summary += (
            f" The remaining human route can take {capacity:,.0f} contacts a week against "
            f"{demand:,.0f} expected to need a person ({ratio:.0%})."
        )
    elif route is not None:
        summary += " No contacts are expected to need a person."
    elif reduces:
        summary += " The capacity of the human route that remains is not stated."
    return WorkforceAnalysis.trusted(
        stated=True,
        roles_removed=workforce.roles_removed,
        roles_frozen=workforce.roles_frozen,
        roles_redeployed=workforce.roles_redeployed,
        reduces_human_route=reduces,
        capacity_per_week=None if capacity is None else round(capacity, 2),
        demand_per_week=demand,
        capacity_ratio=maybe_share(ratio),
        agents=route.agents if route else None,
        note=workforce.note,
        summary=summary,
    )


# Which indicators and gates a proposal's traits bring in depends only on the
# pack's content, the category and the traits: worked out once for each.
_TRAIT_RULES: dict[tuple[str, Category, frozenset[Trait]], tuple[tuple[str, ...], ...]] = {}
_TRAIT_RULES_KEPT = 512


def _trait_rules(
    pack: CriteriaPack, category: Category, traits: frozenset[Trait]
) -> tuple[tuple[str, ...], ...]:
    key = (pack.sha256, category, traits)
    found = _TRAIT_RULES.get(key)
    if found is None:
        indicators = tuple(
            ind.id
            for crit in pack.criteria
            for ind in crit.indicators
            if ind.applies_to is not None
            and ind.applies_to.traits
            and ind.applies_to.matches(category, traits)
        )
        applicable = {
            ind.id
            for crit in pack.criteria
            for ind in crit.indicators
            if ind.applies_to is None or ind.applies_to.matches(category, traits)
        }
        gates = tuple(
            gate.id for gate in pack.gates if _applies_by_trait(gate, category, traits, applicable)
        )
        if len(_TRAIT_RULES) >= _TRAIT_RULES_KEPT:
            _TRAIT_RULES.clear()
        found = _TRAIT_RULES[key] = (indicators, gates)
    return found


def _automation(proposal: Proposal, pack: CriteriaPack) -> AutomationAnalysis:
    traits = proposal.traits
    indicators, gates = _trait_rules(pack, proposal.category, traits)
    words = []
    if Trait.GENERATIVE in traits:
        words.append("composes its own answers")
    else:
        words.append("uses fixed answers or no language at all")
    if Trait.HUMAN_REVIEWED in traits:
        words.append("a person checks every output before a customer sees it")
    elif Trait.CUSTOMER_FACING in traits:
        words.append("customers deal with it directly")
    summary = f"It {'; '.join(words)}."
    if indicators or gates:
        summary += f" {len(indicators)} indicator(s) and {len(gates)} gate(s) apply because of it."
    return AutomationAnalysis.trusted(
        traits=tuple(sorted(t.value for t in traits)),
        indicators=indicators,
        gates=gates,
        knowledge_source=proposal.automation.knowledge_source,
        summary=summary,
    )


def _applies_by_trait(
    gate: Gate, category: Category, traits: frozenset[Trait], applicable: set[str]
) -> bool:
    """Whether the gate applies to this proposal only because of its traits."""
    if isinstance(gate, MinIndicatorScoreGate) and gate.indicator not in applicable:
        return False  # a gate on an indicator that does not apply does not apply either
    if isinstance(gate, HumanEscalationGate) and not gate.categories and gate.applies_to is None:
        return Trait.CUSTOMER_FACING in traits
    rule = gate.applies_to
    return rule is not None and bool(rule.traits) and rule.matches(category, traits)


# Losing the only usable channel is never a small matter: any stranded
# segment holds segment coverage at level 1 of 4, and a tenth or more of
# customers stranded at level 0; segments only at risk hold it at level 2.
STRANDED_CAP, STRANDED_LARGE, STRANDED_LARGE_SHARE, AT_RISK_CAP = 0.25, 0.0, 0.1, 0.5
UNDESCRIBED = "customers no segment describes"


def _coverage_value(
    proposal: Proposal, covered: float, described: float, stranded: float, at_risk: float
) -> Derived:
    explanation = (
        f"{covered:.0%} of customers keep a usable channel (partial ability without an "
        "alternative counts half; customers no segment describes count as stranded)"
    )
    if stranded:
        cap = STRANDED_LARGE if stranded >= STRANDED_LARGE_SHARE else STRANDED_CAP
        return Derived(
            min(covered, cap), explanation + f"; {stranded:.0%} lose their only usable channel"
        )
    if at_risk:
        return Derived(min(covered, AT_RISK_CAP), explanation + f"; {at_risk:.0%} are left at risk")
    if _keeps_every_channel(proposal):
        # Nothing customers use is taken away (a tool they never face cannot
        # take a channel away, whatever internal system it replaces): the
        # absence of harm, not a merit to argue from.
        return Derived(
            None,
            "no customer channel is replaced and every segment keeps the one it uses today",
            unchanged=True,
        )
    return Derived(covered, explanation)


def _segments(proposal: Proposal) -> tuple[SegmentCoverage, Derived]:
    segments = proposal.segments
    described = sum(s.share for s in segments)
    stranded = [s for s in segments if s.ability is Ability.NONE and not s.alternative_remains]
    at_risk = [s for s in segments if s.ability is Ability.PARTIAL and not s.alternative_remains]
    names = [s.name for s in stranded]
    stranded_share = sum(s.share for s in stranded)
    at_risk_share = sum(s.share for s in at_risk)
    # Customers no segment describes could be anyone, those who lose their
    # only channel included: unless nothing is taken from anyone, they count
    # as stranded, so leaving a segment out never reads better than stating it.
    undescribed = 1.0 - described if 1.0 - described > SHARE_TOLERANCE else 0.0
    takes_nothing = not proposal.replaces and all(s.alternative_remains for s in segments)
    if undescribed and segments and not takes_nothing:
        stranded_share += undescribed
        names.append(f"{UNDESCRIBED} ({undescribed:.0%})")
    whole = max(described, 1.0)
    covered = (described - stranded_share - at_risk_share / 2) / whole if described else 0.0
    covered = max(covered, 0.0)
    if not segments or described == 0:
        summary = "No customer segments are described, so nobody can say who is left out."
        value = Derived(None, "no customer segments described")
    else:
        summary = f"{covered:.0%} of customers keep a channel they can use" + (
            f"; left without one: {', '.join(names)} ({stranded_share:.0%} of customers)."
            if names
            else "."
        )
        value = _coverage_value(proposal, covered, described, stranded_share, at_risk_share)
    analysis = SegmentCoverage.trusted(
        described=bool(segments),
        described_share=share(described),
        covered_share=share(covered),
        stranded_share=share(stranded_share),
        stranded_segments=tuple(names),
        at_risk_segments=tuple(s.name for s in at_risk),
        summary=summary,
    )
    return analysis, value


def _keeps_every_channel(proposal: Proposal) -> bool:
    """No customer channel is replaced, and every segment keeps the one it uses today."""
    keeps = not proposal.replaces or Trait.CUSTOMER_FACING not in proposal.traits
    return keeps and all(s.alternative_remains for s in proposal.segments)


def _escalation(proposal: Proposal) -> tuple[EscalationAnalysis, Derived]:
    traits = proposal.traits
    applies = Trait.CUSTOMER_FACING in traits
    route = proposal.human_escalation
    demanding = sum(
        t.volume_share for t in proposal.transactions if Rating.HIGH in (t.complexity, t.value)
    )
    if not applies:
        summary = (
            "A person checks every output before it reaches a customer, so no automation "
            "stands between customers and staff."
            if Trait.HUMAN_REVIEWED in traits
            else f"A {proposal.category.value} does not stand between customers and staff."
        )
        value = Derived(None, "not automation in front of customers", applicable=False)
    elif route is None:
        summary = "Automation in front of customers, and the route to a person is not described."
        value = Derived(None, "route to a person not described (counts as no route)")
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
    analysis = EscalationAnalysis.trusted(
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
