"""Evaluate the pack's gates: rules that stop or condition adoption whatever the score."""

from __future__ import annotations

from dataclasses import dataclass

from techgate.model.criteria import (
    CriteriaPack,
    CustomerMetricsGate,
    Gate,
    HumanEscalationGate,
    MinCriterionScoreGate,
    MinIndicatorScoreGate,
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
)
from techgate.model.proposal import MetricKind, ObjectiveKind, Proposal


@dataclass(frozen=True)
class _Verdict:
    status: GateStatus | None  # None: the facts needed are missing
    reason: str


@dataclass(frozen=True)
class GateInputs:
    """What gates look at: the proposal, its analyses and the scores."""

    proposal: Proposal
    analyses: Analyses
    criteria: dict[str, CriterionResult]
    indicators: dict[str, IndicatorResult]


def evaluate_gates(pack: CriteriaPack, inputs: GateInputs) -> tuple[GateResult, ...]:
    return tuple(_result(gate, _verdict(gate, inputs)) for gate in pack.gates)


def _result(gate: Gate, verdict: _Verdict) -> GateResult:
    status, severity, reason = verdict.status, gate.severity, verdict.reason
    if status is None:
        if gate.on_missing == "pass":
            status = GateStatus.PASSED
            reason += "; the pack lets this gate pass when the facts are missing"
        else:
            status, severity = GateStatus.FAILED, Severity(gate.on_missing)
    failed = status is GateStatus.FAILED
    return GateResult(
        id=gate.id,
        title=gate.title,
        kind=gate.kind,
        status=status,
        passed=not failed,
        severity=severity,
        reason=reason,
        condition=gate.condition if failed else None,
    )


def _verdict(gate: Gate, inputs: GateInputs) -> _Verdict:
    match gate:
        case MinCriterionScoreGate():
            return _min_criterion(gate, inputs)
        case MinIndicatorScoreGate():
            return _min_indicator(gate, inputs)
        case ServiceMotiveGate():
            return _service_motive(gate, inputs.proposal)
        case CustomerMetricsGate():
            return _customer_metrics(gate, inputs.proposal)
        case SegmentCoverageGate():
            return _segment_coverage(gate, inputs.analyses)
        case HumanEscalationGate():
            return _human_escalation(gate, inputs.proposal)
        case StakeholderInputGate():
            return _stakeholder_input(gate, inputs.analyses)
    raise AssertionError(f"unhandled gate kind {gate.kind}")  # pragma: no cover


def _passed(ok: bool, reason: str) -> _Verdict:
    return _Verdict(GateStatus.PASSED if ok else GateStatus.FAILED, reason)


def _min_criterion(gate: MinCriterionScoreGate, inputs: GateInputs) -> _Verdict:
    result = inputs.criteria[gate.criterion]
    if result.score is None:
        return _Verdict(
            None,
            f"{result.title} was not scored, so its floor of {gate.min_score:g} cannot be checked",
        )
    return _passed(
        result.score >= gate.min_score,
        f"{result.title} scored {result.score:g} against a floor of {gate.min_score:g}",
    )


def _min_indicator(gate: MinIndicatorScoreGate, inputs: GateInputs) -> _Verdict:
    result = inputs.indicators[gate.indicator]
    if result.status.value == "not-applicable":
        return _Verdict(GateStatus.NOT_APPLICABLE, f"{result.title} does not apply")
    if result.score is None:
        return _Verdict(None, f"{result.title} was not scored ({result.explanation})")
    return _passed(
        result.score >= gate.min_score,
        f"{result.title} scored {result.score:g} against a floor of {gate.min_score:g}",
    )


def _service_motive(gate: ServiceMotiveGate, proposal: Proposal) -> _Verdict:
    kinds = [o.kind for o in proposal.motive.objectives]
    service = kinds.count(ObjectiveKind.SERVICE)
    organisation = kinds.count(ObjectiveKind.EFFICIENCY) + kinds.count(ObjectiveKind.REVENUE)
    if not service + organisation:
        return _Verdict(None, "no service, efficiency or revenue objective is stated")
    efficiency_share = organisation / (service + organisation)
    return _passed(
        efficiency_share <= gate.max_efficiency_share,
        f"{efficiency_share:.0%} of its service, efficiency and revenue objectives serve the "
        f"organisation (at most {gate.max_efficiency_share:.0%} allowed)",
    )


def _customer_metrics(gate: CustomerMetricsGate, proposal: Proposal) -> _Verdict:
    metrics = proposal.motive.success_metrics
    if not metrics:
        return _Verdict(None, "no success metrics are stated")
    customer = sum(m.kind is MetricKind.CUSTOMER for m in metrics)
    return _passed(
        customer >= gate.min_customer_metrics,
        f"{customer} of {len(metrics)} success metric(s) measure the customer's "
        f"experience ({gate.min_customer_metrics} needed)",
    )


def _segment_coverage(gate: SegmentCoverageGate, analyses: Analyses) -> _Verdict:
    coverage = analyses.segments
    if not coverage.described:
        return _Verdict(None, "no customer segments are described")
    stranded = ", ".join(coverage.stranded_segments) or "nobody"
    return _passed(
        coverage.stranded_share <= gate.max_stranded_share + 1e-9,
        f"left without a usable channel: {stranded} ({coverage.stranded_share:.0%} of customers; "
        f"at most {gate.max_stranded_share:.0%} allowed)",
    )


def _human_escalation(gate: HumanEscalationGate, proposal: Proposal) -> _Verdict:
    if proposal.category not in gate.categories:
        return _Verdict(
            GateStatus.NOT_APPLICABLE, f"does not apply to the category {proposal.category.value}"
        )
    route = proposal.human_escalation
    if route is None:
        return _Verdict(None, "the route from this automation to a person is not described")
    if not route.available:
        return _Verdict(GateStatus.FAILED, "customers cannot reach a person from it")
    shortfalls = []
    if gate.max_steps is not None:
        if route.steps_to_person is None:
            return _Verdict(None, "the number of steps to a person is not stated")
        if route.steps_to_person > gate.max_steps:
            shortfalls.append(f"{route.steps_to_person} steps (at most {gate.max_steps})")
    if gate.max_minutes is not None:
        if route.minutes_to_person is None:
            return _Verdict(None, "the time to reach a person is not stated")
        if route.minutes_to_person > gate.max_minutes:
            shortfalls.append(f"{route.minutes_to_person:g} minutes (at most {gate.max_minutes:g})")
    if shortfalls:
        return _Verdict(GateStatus.FAILED, "a person is too far away: " + ", ".join(shortfalls))
    return _Verdict(GateStatus.PASSED, "customers can reach a person within the limits")


def _stakeholder_input(gate: StakeholderInputGate, analyses: Analyses) -> _Verdict:
    groups = {g.group: g for g in analyses.stakeholders.groups}
    shortfalls, findings = [], []
    for wanted in gate.groups:
        group = groups[wanted.value]
        findings.append(f"{group.participants} {group.group}")
        if group.participants < gate.min_participants:
            shortfalls.append(
                f"{group.group}: {group.participants} consulted (at least {gate.min_participants})"
            )
        elif (
            gate.min_favourable_share is not None
            and group.favourable_share is not None
            and group.favourable_share < gate.min_favourable_share
        ):
            shortfalls.append(
                f"{group.group}: {group.favourable_share:.0%} favourable "
                f"(at least {gate.min_favourable_share:.0%})"
            )
    if shortfalls:
        return _Verdict(GateStatus.FAILED, "; ".join(shortfalls))
    return _Verdict(GateStatus.PASSED, "consulted: " + ", ".join(findings))
