"""Evaluate the pack's gates: rules that stop or condition adoption whatever the score.

A gate that lacks a fact judges it at the worst value an honest proposal
could state, so leaving the fact out never does better than stating it.
The pack may still be laxer with 'on_missing', explicitly; the result then
carries 'lenient' and every output shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from techgate.engine.analyses import UNDESCRIBED
from techgate.model.criteria import (
    CriteriaPack,
    CustomerMetricsGate,
    Gate,
    HumanCapacityGate,
    HumanEscalationGate,
    MinCriterionScoreGate,
    MinIndicatorScoreGate,
    RoleRemovalEvidenceGate,
    SegmentCoverageGate,
    ServiceMotiveGate,
    Severity,
    StakeholderInputGate,
)
from techgate.model.evaluation import (
    Analyses,
    CriterionResult,
    GateResult,
    GateStatus,
    IndicatorResult,
    IndicatorStatus,
)
from techgate.model.proposal import MetricKind, Proposal, Trait

_OUTCOME_RANK = {"pass": 0, "conditional": 1, "no-go": 2}


class _Verdict(NamedTuple):
    status: GateStatus
    reason: str
    missing: tuple[str, ...] = ()  # facts judged at their worst


@dataclass(frozen=True)
class GateInputs:
    """What gates look at: the proposal, its analyses and the scores."""

    proposal: Proposal
    traits: frozenset[Trait]
    analyses: Analyses
    criteria: dict[str, CriterionResult]
    indicators: dict[str, IndicatorResult]


def evaluate_gates(pack: CriteriaPack, inputs: GateInputs) -> tuple[GateResult, ...]:
    return tuple(_result(gate, _judge(gate, inputs)) for gate in pack.gates)


def gate_applies(gate: Gate, inputs: GateInputs) -> bool:
    category, traits = inputs.proposal.category, inputs.traits
    if gate.applies_to is not None and not gate.applies_to.matches(category, traits):
        return False
    if isinstance(gate, HumanEscalationGate):
        return category in gate.categories if gate.categories else Trait.CUSTOMER_FACING in traits
    return True


def _judge(gate: Gate, inputs: GateInputs) -> _Verdict:
    if not gate_applies(gate, inputs):
        rule = gate.applies_to.describe() if gate.applies_to else "customer-facing automation"
        if isinstance(gate, HumanEscalationGate) and gate.categories:
            rule = "category " + " or ".join(c.value for c in gate.categories)
        return _Verdict(GateStatus.NOT_APPLICABLE, f"applies only to {rule}")
    return _verdict(gate, inputs)


def _result(gate: Gate, verdict: _Verdict) -> GateResult:
    status, severity, reason = verdict.status, gate.severity, verdict.reason
    lenient = False
    if verdict.missing:
        honest = severity.value if status is GateStatus.FAILED else "pass"
        chosen = gate.on_missing or honest
        lenient = _OUTCOME_RANK[chosen] < _OUTCOME_RANK[honest]
        if chosen == "pass":
            status = GateStatus.PASSED
        else:
            status, severity = GateStatus.FAILED, Severity(chosen)
        if lenient:
            reason += (
                f"; the pack lets this gate {'pass' if chosen == 'pass' else 'be ' + chosen} "
                "when facts are missing, more leniently than the worst honest answer"
            )
    failed = status is GateStatus.FAILED
    condition = None
    if failed:
        condition = gate.condition
        if verdict.missing:
            condition = f"State {_listed(verdict.missing)}. {condition}"
    return GateResult.trusted(
        id=gate.id,
        title=gate.title,
        kind=gate.kind,
        status=status,
        passed=not failed,
        severity=severity,
        reason=reason,
        condition=condition,
        missing_facts=verdict.missing,
        lenient=lenient,
        waiver=None,
    )


def _listed(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _verdict(gate: Gate, inputs: GateInputs) -> _Verdict:
    match gate:
        case MinCriterionScoreGate():
            return _min_criterion(gate, inputs)
        case MinIndicatorScoreGate():
            return _min_indicator(gate, inputs)
        case ServiceMotiveGate():
            return _service_motive(gate, inputs)
        case CustomerMetricsGate():
            return _customer_metrics(gate, inputs.proposal)
        case SegmentCoverageGate():
            return _segment_coverage(gate, inputs.analyses)
        case HumanEscalationGate():
            return _human_escalation(gate, inputs.proposal)
        case StakeholderInputGate():
            return _stakeholder_input(gate, inputs.analyses)
        case RoleRemovalEvidenceGate():
            return _role_removal(gate, inputs.analyses)
        case HumanCapacityGate():
            return _human_capacity(gate, inputs.analyses)
    raise AssertionError(f"unhandled gate kind {gate.kind}")  # pragma: no cover


def _passed(ok: bool, reason: str, missing: tuple[str, ...] = ()) -> _Verdict:
    return _Verdict(GateStatus.PASSED if ok else GateStatus.FAILED, reason, missing)


def _min_criterion(gate: MinCriterionScoreGate, inputs: GateInputs) -> _Verdict:
    result = inputs.criteria[gate.criterion]
    if result.score is None:
        return _Verdict(
            GateStatus.NOT_APPLICABLE,
            f"nothing in {result.title} applies or changes, so its floor does not apply",
        )
    gaps = tuple(i.title for i in result.indicators if i.status is IndicatorStatus.GAP)
    return _passed(
        result.score >= gate.min_score,
        f"{result.title} scored {result.score:g} against a floor of {gate.min_score:g}"
        + (f" (not assessed, counted at level 0: {', '.join(gaps)})" if gaps else ""),
        tuple(f"an assessment of {title}" for title in gaps),
    )


def _min_indicator(gate: MinIndicatorScoreGate, inputs: GateInputs) -> _Verdict:
    result = inputs.indicators[gate.indicator]
    if result.status is IndicatorStatus.NOT_APPLICABLE:
        return _Verdict(GateStatus.NOT_APPLICABLE, f"{result.title} does not apply")
    if result.status is IndicatorStatus.UNCHANGED:
        return _Verdict(GateStatus.NOT_APPLICABLE, f"{result.title} is left as it is")
    if result.score is None:
        return _passed(
            gate.min_score <= 0,
            f"{result.title} was not assessed ({result.explanation})",
            (f"an assessment of {result.title}",),
        )
    return _passed(
        result.score >= gate.min_score,
        f"{result.title} scored {result.score:g} against a floor of {gate.min_score:g}",
    )


def _service_motive(gate: ServiceMotiveGate, inputs: GateInputs) -> _Verdict:
    motive = inputs.analyses.motive
    benefits = inputs.analyses.benefits
    if motive.service_share is None:
        return _passed(
            False,
            "no service, efficiency or revenue objective is stated",
            ("the objectives and what each is worth",),
        )
    missing = (
        tuple(
            f"the value of '{line.objective}'"
            for line in benefits.lines
            if line.kind in ("efficiency", "revenue") and line.share is None
        )
        if not benefits.quantified
        else ()
    )
    organisation_share = 1 - motive.service_share
    return _passed(
        organisation_share <= gate.max_efficiency_share + 1e-9,
        f"{organisation_share:.0%} of the service, efficiency and revenue case serves the "
        f"organisation (at most {gate.max_efficiency_share:.0%} allowed)"
        + ("; objectives of unstated value count at their worst" if missing else ""),
        missing,
    )


def _customer_metrics(gate: CustomerMetricsGate, proposal: Proposal) -> _Verdict:
    metrics = proposal.motive.success_metrics
    if not metrics:
        return _passed(False, "no success metrics are stated", ("success metrics",))
    customer = sum(m.kind is MetricKind.CUSTOMER for m in metrics)
    return _passed(
        customer >= gate.min_customer_metrics,
        f"{customer} of {len(metrics)} success metric(s) measure the customer's "
        f"experience ({gate.min_customer_metrics} needed)",
    )


def _segment_coverage(gate: SegmentCoverageGate, analyses: Analyses) -> _Verdict:
    coverage = analyses.segments
    if not coverage.described:
        return _passed(
            False,
            "no customer segments are described, so nobody can say who loses a channel",
            ("the customer segments and whether each can use it",),
        )
    stranded = ", ".join(coverage.stranded_segments) or "nobody"
    ok = coverage.stranded_share <= gate.max_stranded_share + 1e-9
    undescribed = any(n.startswith(UNDESCRIBED) for n in coverage.stranded_segments)
    return _passed(
        ok,
        f"left without a usable channel: {stranded} ({coverage.stranded_share:.0%} of customers; "
        f"at most {gate.max_stranded_share:.0%} allowed)",
        ("segments that describe every customer",) if undescribed else (),
    )


def _human_escalation(gate: HumanEscalationGate, proposal: Proposal) -> _Verdict:
    route = proposal.human_escalation
    if route is None:
        return _passed(
            False,
            "the route from this automation to a person is not described",
            ("the route to a person (human_escalation)",),
        )
    if not route.available:
        return _passed(False, "customers cannot reach a person from it")
    shortfalls: list[str] = []
    missing: list[str] = []
    if gate.max_steps is not None:
        if route.steps_to_person is None:
            missing.append("the steps to a person")
        elif route.steps_to_person > gate.max_steps:
            shortfalls.append(f"{route.steps_to_person} steps (at most {gate.max_steps})")
    if gate.max_minutes is not None:
        if route.minutes_to_person is None:
            missing.append("the minutes to a person")
        elif route.minutes_to_person > gate.max_minutes:
            shortfalls.append(f"{route.minutes_to_person:g} minutes (at most {gate.max_minutes:g})")
    if missing:
        shortfalls.append("not stated: " + ", ".join(missing))
    if shortfalls:
        return _passed(False, "a person is too far away: " + "; ".join(shortfalls), tuple(missing))
    return _passed(True, "customers can reach a person within the limits")


def _stakeholder_input(gate: StakeholderInputGate, analyses: Analyses) -> _Verdict:
    groups = {g.group: g for g in analyses.stakeholders.groups}
    shortfalls, findings = [], []
    for wanted in gate.groups:
        group = groups[wanted.value]
        name = group.group.replace("-", " ")
        counted = group.opinion_recorded if gate.opinion_required else group.participants
        findings.append(f"{counted} {name}")
        if counted < gate.min_participants:
            what = "with a recorded opinion" if gate.opinion_required else "consulted"
            shortfalls.append(f"{name}: {counted} {what} (at least {gate.min_participants})")
        elif gate.min_favourable_share is not None and (
            group.favourable_share is None or group.favourable_share < gate.min_favourable_share
        ):
            found = (
                "no opinion recorded"
                if group.favourable_share is None
                else f"{group.favourable_share:.0%} favourable"
            )
            shortfalls.append(f"{name}: {found} (at least {gate.min_favourable_share:.0%})")
    if shortfalls:
        return _passed(False, "; ".join(shortfalls))
    return _passed(True, "heard: " + ", ".join(findings))


def _role_removal(gate: RoleRemovalEvidenceGate, analyses: Analyses) -> _Verdict:
    # The whole benefits case counts, not only its efficiency side: calling
    # a measured benefit 'efficiency' instead of 'service' must never make a
    # cut easier to pass (it already makes the motive gate harder).
    workforce, benefits = analyses.workforce, analyses.benefits
    if workforce.stated and (workforce.roles_removed or 0) + (workforce.roles_frozen or 0) == 0:
        return _passed(True, "no posts are removed or frozen")
    missing: tuple[str, ...] = ()
    cut = "posts are removed or frozen"
    if workforce.reduces_human_route is None:
        missing = ("the workforce impact (workforce.roles_removed)",)
        cut = "posts may be cut (the workforce impact is not stated)"
    measured = benefits.measured_share
    ok = measured >= gate.min_measured_share - 1e-9
    return _passed(
        ok,
        f"{cut}; {measured:.0%} of the benefits case is measured here (at least "
        f"{gate.min_measured_share:.0%} needed), the rest is estimated or claimed",
        missing,
    )


def _human_capacity(gate: HumanCapacityGate, analyses: Analyses) -> _Verdict:
    workforce = analyses.workforce
    if workforce.reduces_human_route is False:
        return _passed(True, "no post is removed, frozen or moved off the human route")
    missing: list[str] = []
    if workforce.reduces_human_route is None:
        missing.append("the workforce impact (workforce.roles_removed)")
    if workforce.capacity_per_week is None:
        missing.append("the capacity of the remaining human route (workforce.remaining_route)")
        return _passed(
            False,
            "the human route may be reduced and the capacity that remains is not stated",
            tuple(missing),
        )
    ratio = workforce.capacity_ratio
    if ratio is None:  # no demand left for people
        return _passed(True, "no contacts are expected to need a person", tuple(missing))
    ok = ratio >= gate.min_capacity_ratio - 1e-9
    return _passed(
        ok,
        f"the remaining human route can take {ratio:.0%} of the contacts expected to need a "
        f"person (at least {gate.min_capacity_ratio:.0%})",
        tuple(missing),
    )
