"""Analyses computed from the proposal's facts, and the indicator values they yield.

Each analysis returns its record for the report and a fraction 0-1 (or
None when the proposal lacks the facts) that a derived indicator turns into
a score on the pack's scale. Where a fact is missing or only partly given,
the analysis takes the worst value an honest proposer could have stated, so
that leaving a fact out never reads better than stating it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from techgate.engine.aggregate import EVIDENCE_STRENGTH
from techgate.engine.numbers import maybe_share, share
from techgate.model.criteria import CriteriaPack, DerivedMeasure, HumanEscalationGate
from techgate.model.evaluation import (
    Analyses,
    AutomationAnalysis,
    BenefitLine,
    BenefitsCase,
    EscalationAnalysis,
    GroupInput,
    MotiveAnalysis,
    SegmentCoverage,
    StakeholderAnalysis,
    WorkforceAnalysis,
)
from techgate.model.proposal import (
    Ability,
    EvidenceKind,
    MetricKind,
    Objective,
    ObjectiveKind,
    Proposal,
    Rating,
    StakeholderGroup,
    Trait,
    count_of,
)

# A sample of n people counts n / (n + SAMPLE_PRIOR): five people count a
# third, ninety count nine tenths. Small consultations still count, less.
SAMPLE_PRIOR = 10
STEPS_TO_PERSON_OK = 3
MINUTES_TO_PERSON_OK = 5.0
ORGANISATION_SERVING = (ObjectiveKind.EFFICIENCY, ObjectiveKind.REVENUE)
MOTIVE_KINDS = (ObjectiveKind.SERVICE, *ORGANISATION_SERVING)
# Evidence measured here, in this organisation, rather than claimed.
MEASURED_HERE = (EvidenceKind.PILOT, EvidenceKind.PRODUCTION_DATA)
# A benefit backed by pilot or production evidence but with no measured
# figure is no better supported than a reference site's word.
UNMEASURED_CAP = EVIDENCE_STRENGTH[EvidenceKind.REFERENCE_CUSTOMER]


@dataclass(frozen=True)
class Derived:
    """A fraction 0-1 for a derived indicator, or None when facts are missing."""

    fraction: float | None
    explanation: str
    applicable: bool = True


def analyse(
    proposal: Proposal, pack: CriteriaPack
) -> tuple[Analyses, dict[DerivedMeasure, Derived]]:
    benefits, motive_parts = _benefits(proposal)
    motive, service, metrics = _motive(proposal, motive_parts)
    segments, coverage = _segments(proposal)
    escalation, route = _escalation(proposal)
    stakeholders, staff, customers = _stakeholders(proposal)
    analyses = Analyses(
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
        DerivedMeasure.STAFF_INPUT: staff,
        DerivedMeasure.CUSTOMER_INPUT: customers,
    }
    return analyses, derived


@dataclass(frozen=True)
class _MotiveParts:
    """The service share of the case, worked out once for the motive and its gate."""

    service_share: float | None  # None: no service, efficiency or revenue objective
    service: float
    organisation: float
    unquantified: tuple[str, ...]  # organisation-serving objectives with no value or weight
    unit: str  # "value" or "weight" or "count"


def _amount(objective: Objective) -> float | None:
    return objective.value if objective.value is not None else objective.weight


def motive_parts(proposal: Proposal) -> _MotiveParts:
    """Service share of the service, efficiency and revenue case, weighed by value.

    Objectives are weighed by their annual value (or weight). An efficiency
    or revenue objective whose value is not stated could be worth any amount,
    so the case is taken at its worst: led by that objective. A service
    objective with no value counts for nothing.
    """
    objectives = [o for o in proposal.motive.objectives if o.kind in MOTIVE_KINDS]
    unit = (
        "value"
        if any(o.value is not None for o in objectives)
        else "weight"
        if any(o.weight is not None for o in objectives)
        else "count"
    )
    service = sum(_amount(o) or 0.0 for o in objectives if o.kind is ObjectiveKind.SERVICE)
    organisation_objectives = [o for o in objectives if o.kind in ORGANISATION_SERVING]
    organisation = sum(_amount(o) or 0.0 for o in organisation_objectives)
    unquantified = tuple(o.text for o in organisation_objectives if _amount(o) is None)
    if not objectives:
        ratio = None
    elif not organisation_objectives:
        ratio = 1.0
    elif unquantified or not service + organisation:
        ratio = 0.0
    else:
        ratio = service / (service + organisation)
    return _MotiveParts(ratio, service, organisation, unquantified, unit)


def _basis(objective_or_metric: object, kinds: dict[str, EvidenceKind]) -> tuple[str, float]:
    """How a benefit is known (measured here, or claimed) and how strong that is, 0-1."""
    cited = [kinds[ref] for ref in getattr(objective_or_metric, "evidence", ()) if ref in kinds]
    strongest = max(cited, key=EVIDENCE_STRENGTH.__getitem__, default=None)
    measured = getattr(objective_or_metric, "measured", None) is not None
    if strongest is None:
        return "estimate", 0.0
    strength = EVIDENCE_STRENGTH[strongest]
    if strongest in MEASURED_HERE and measured:
        return "measured", strength
    if strongest in (EvidenceKind.VENDOR_CLAIM, EvidenceKind.DEMO):
        return "vendor-claim", strength
    return "reference", min(strength, UNMEASURED_CAP)


def _realised(objective: Objective) -> float | None:
    """Measured effect over targeted effect, 0-1, when all three figures are stated."""
    base, target, seen = objective.baseline, objective.target, objective.measured
    if base is None or target is None or seen is None or target == base:
        return None
    return min(max((seen - base) / (target - base), 0.0), 1.0)


def _benefits(proposal: Proposal) -> tuple[BenefitsCase, _MotiveParts]:
    parts = motive_parts(proposal)
    kinds = {item.id: item.kind for item in proposal.evidence}
    total = parts.service + parts.organisation
    lines, measured, organisation_measured = [], 0.0, 0.0
    weighted_support, support_weight, worst_unknown = 0.0, 0.0, 1.0
    worst_organisation_unknown = 1.0
    for objective in proposal.motive.objectives:
        basis, strength = _basis(objective, kinds)
        amount = _amount(objective)
        realised = _realised(objective) if basis == "measured" else None
        measured_part = (
            (amount or 0.0) * (1.0 if realised is None else realised)
            if basis == "measured"
            else 0.0
        )
        in_case = objective.kind in MOTIVE_KINDS
        if amount is None:
            # Unknown size: at worst it outweighs everything else.
            worst_unknown = min(worst_unknown, strength)
            if objective.kind in ORGANISATION_SERVING:
                worst_organisation_unknown = min(
                    worst_organisation_unknown,
                    (1.0 if realised is None else realised) if basis == "measured" else 0.0,
                )
        else:
            weighted_support += amount * strength
            support_weight += amount
            measured += measured_part
            if objective.kind in ORGANISATION_SERVING:
                organisation_measured += measured_part
        lines.append(
            BenefitLine(
                objective=objective.text,
                kind=objective.kind.value,
                value=objective.value,
                share=maybe_share(amount / total)
                if in_case and amount is not None and total and not parts.unquantified
                else None,
                basis=basis,  # type: ignore[arg-type]
                realised=maybe_share(realised),
                measured_value=round(measured_part, 2) if basis == "measured" else None,
            )
        )
    objectives = proposal.motive.objectives
    known = weighted_support / support_weight if support_weight else None
    if not objectives:
        support = 0.0
    elif known is None:
        support = worst_unknown
    else:
        support = (
            min(known, worst_unknown) if any(_amount(o) is None for o in objectives) else known
        )
    stated = sum(_amount(o) or 0.0 for o in objectives)
    measured_share = measured / stated if stated else 0.0
    organisation_measured_share = (
        min(
            organisation_measured / parts.organisation if parts.organisation else 1.0,
            worst_organisation_unknown,
        )
        if any(o.kind in ORGANISATION_SERVING for o in objectives)
        else None
    )
    metrics_measured = tuple(
        m.name for m in proposal.motive.success_metrics if _basis(m, kinds)[0] == "measured"
    )
    case = BenefitsCase(
        currency=proposal.motive.currency,
        quantified=not parts.unquantified
        and all(_amount(o) is not None for o in objectives if o.kind is ObjectiveKind.SERVICE),
        lines=tuple(lines),
        service_value=round(parts.service, 2),
        organisation_value=round(parts.organisation, 2),
        measured_share=share(measured_share),
        organisation_measured_share=maybe_share(organisation_measured_share),
        support=share(support),
        metrics_measured=metrics_measured,
        summary=_benefits_summary(proposal, parts, measured_share, metrics_measured),
    )
    return case, parts


def _benefits_summary(
    proposal: Proposal, parts: _MotiveParts, measured_share: float, metrics: tuple[str, ...]
) -> str:
    if not proposal.motive.objectives:
        return "No objectives are stated, so there is no benefits case."
    if parts.unit == "value":
        currency = proposal.motive.currency or ""
        stated = f"{currency} {parts.service + parts.organisation:,.0f} a year stated".strip()
    elif parts.unit == "weight":
        stated = "Objectives weighed by relative weight"
    else:
        stated = "No objective states what it is worth"
    text = f"{stated}; {measured_share:.0%} of the case is measured here, the rest is claimed."
    if parts.unquantified:
        text += (
            f" Unquantified organisation-serving objectives ({'; '.join(parts.unquantified)}) "
            "are taken to outweigh the rest."
        )
    if metrics:
        text += f" Measured so far: {', '.join(metrics)}."
    return text


def _motive(proposal: Proposal, parts: _MotiveParts) -> tuple[MotiveAnalysis, Derived, Derived]:
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
    analysis = MotiveAnalysis(
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


def _workforce(proposal: Proposal) -> WorkforceAnalysis:
    workforce = proposal.workforce
    if workforce is None:
        return WorkforceAnalysis(
            stated=False,
            roles_removed=None,
            roles_frozen=None,
            roles_redeployed=None,
            reduces_human_route=None,
            capacity_per_week=None,
            demand_per_week=None,
            capacity_ratio=None,
            summary="The workforce impact is not stated; it is judged as if posts were cut.",
        )
    route = workforce.remaining_route
    capacity = route.staffed_hours_per_week * route.contacts_per_hour if route else None
    demand = route.demand_per_week if route else None
    ratio = capacity / demand if capacity is not None and demand else None
    reduces = workforce.roles_removed + workforce.roles_frozen > 0
    summary = (
        f"{workforce.roles_removed:g} post(s) removed, {workforce.roles_frozen:g} frozen, "
        f"{workforce.roles_redeployed:g} redeployed."
    )
    if route is not None and demand:
        summary += (
            f" The remaining human route can take {capacity:,.0f} contacts a week against "
            f"{demand:,.0f} expected to need a person ({ratio:.0%})."
        )
    elif route is not None:
        summary += " No contacts are expected to need a person."
    elif reduces:
        summary += " The capacity of the human route that remains is not stated."
    return WorkforceAnalysis(
        stated=True,
        roles_removed=workforce.roles_removed,
        roles_frozen=workforce.roles_frozen,
        roles_redeployed=workforce.roles_redeployed,
        reduces_human_route=reduces,
        capacity_per_week=None if capacity is None else round(capacity, 2),
        demand_per_week=demand,
        capacity_ratio=maybe_share(ratio),
        summary=summary,
    )


def _automation(proposal: Proposal, pack: CriteriaPack) -> AutomationAnalysis:
    traits = proposal.traits
    indicators = tuple(
        ind.id
        for crit in pack.criteria
        for ind in crit.indicators
        if ind.applies_to is not None
        and ind.applies_to.traits
        and ind.applies_to.matches(proposal.category, traits)
    )
    gates = tuple(
        gate.id
        for gate in pack.gates
        if (
            gate.applies_to is not None
            and gate.applies_to.traits
            and gate.applies_to.matches(proposal.category, traits)
        )
        or (
            isinstance(gate, HumanEscalationGate)
            and not gate.categories
            and Trait.CUSTOMER_FACING in traits
        )
    )
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
    return AutomationAnalysis(
        traits=tuple(sorted(t.value for t in traits)),
        indicators=indicators,
        gates=gates,
        summary=summary,
    )


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


@dataclass(frozen=True)
class _Heard:
    """One consultation or one pilot's feedback, as counted for a group."""

    method: str
    participants: int
    at_least: bool
    favourable_share: float | None


def _heard(proposal: Proposal, group: StakeholderGroup) -> list[_Heard]:
    heard = [
        _Heard(
            c.method.value,
            count_of(c.participants),
            not isinstance(c.participants, int),
            c.favourable_share,
        )
        for c in proposal.stakeholder_input
        if c.group is group
    ]
    pilot = proposal.pilot
    feedback = None
    if pilot is not None:
        if group is StakeholderGroup.STAFF:
            feedback = pilot.staff_feedback
        elif group is StakeholderGroup.CUSTOMERS:
            feedback = pilot.customer_feedback
    if feedback is not None:
        heard.append(
            _Heard(
                "pilot-feedback",
                count_of(feedback.respondents),
                not isinstance(feedback.respondents, int),
                feedback.favourable_share,
            )
        )
    return heard


def _stakeholders(proposal: Proposal) -> tuple[StakeholderAnalysis, Derived, Derived]:
    groups, values = [], []
    for group in StakeholderGroup:
        heard = _heard(proposal, group)
        participants = sum(h.participants for h in heard)
        asked = [h for h in heard if h.favourable_share is not None and h.participants]
        asked_people = sum(h.participants for h in asked)
        in_favour = sum(h.participants * (h.favourable_share or 0.0) for h in asked)
        favourable = in_favour / asked_people if asked_people else None
        sample_weight = participants / (participants + SAMPLE_PRIOR)
        groups.append(
            GroupInput(
                group=group.value,
                consultations=len(heard),
                participants=participants,
                at_least=any(h.at_least for h in heard),
                opinion_recorded=asked_people,
                favourable_share=maybe_share(favourable),
                sample_weight=share(sample_weight),
                methods=tuple(sorted({h.method for h in heard})),
            )
        )
        # Opinion that was not recorded could have been anything: it counts
        # as not in favour, so recording it can only help.
        opinion = in_favour / participants if participants else 0.0
        if participants:
            unrecorded = participants - asked_people
            explanation = (
                f"{'at least ' if groups[-1].at_least else ''}{participants} {group.value} "
                f"heard (counts {sample_weight:.0%}), "
                + (
                    f"{favourable:.0%} of those asked in favour"
                    if favourable is not None
                    else "no opinion recorded"
                )
                + (
                    f"; {unrecorded} without a recorded opinion count as not in favour"
                    if unrecorded and favourable is not None
                    else ""
                )
            )
        else:
            pilot = proposal.pilot
            explanation = f"no consultation of {group.value} recorded"
            if group is StakeholderGroup.STAFF and pilot is not None and pilot.staff_users:
                explanation += (
                    f" ({pilot.staff_users} staff used it in the pilot, but their feedback "
                    "was not gathered)"
                )
        values.append(Derived(sample_weight * opinion, explanation))
    summary = " ".join(
        (
            f"{'At least ' if g.at_least else ''}{g.participants} {_words(g.group)} heard"
            + (
                f", {g.favourable_share:.0%} of those asked in favour."
                if g.favourable_share is not None
                else ", no opinion recorded."
            )
        )
        if g.participants
        else f"No {_words(g.group)} were consulted."
        for g in groups
    )
    return StakeholderAnalysis(groups=tuple(groups), summary=summary), values[0], values[1]


def _words(group: str) -> str:
    return group.replace("-", " ")
