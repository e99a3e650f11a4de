"""The benefits case: what the objectives are worth, and how much is measured here.

Objectives are weighed by their stated annual value (or weight). Where a
value is missing, the case is taken at its worst: an efficiency or revenue
objective of unknown size could outweigh everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from techgate.engine.aggregate import EVIDENCE_STRENGTH
from techgate.engine.numbers import maybe_share, share
from techgate.model.evaluation import BenefitLine, BenefitsCase
from techgate.model.proposal import EvidenceKind, Objective, ObjectiveKind, Proposal

ORGANISATION_SERVING = (ObjectiveKind.EFFICIENCY, ObjectiveKind.REVENUE)
# Evidence measured here, in this organisation, rather than claimed.
MEASURED_HERE = (EvidenceKind.PILOT, EvidenceKind.PRODUCTION_DATA)
# A benefit backed by pilot or production evidence but with no measured
# figure is no better supported than a reference site's word.
UNMEASURED_CAP = EVIDENCE_STRENGTH[EvidenceKind.REFERENCE_CUSTOMER]


@dataclass(frozen=True)
class MotiveParts:
    """The service share of the case, worked out once for the motive and its gate."""

    service_share: float | None  # None: no service, efficiency or revenue objective
    service: float
    organisation: float
    unquantified: tuple[str, ...]  # organisation-serving objectives with no value or weight
    unit: str  # "value" or "weight" or "count"


def _amount(objective: Objective) -> float | None:
    return objective.value if objective.value is not None else objective.weight


def motive_parts(proposal: Proposal) -> MotiveParts:
    """Service share of the whole benefits case, weighed by value.

    Objectives are weighed by their annual value (or weight). Everything that
    is not service (efficiency, revenue, compliance, insight) serves the
    organisation first, so relabelling a saving cannot make the case look
    service-led. An organisation-serving objective whose value is not stated
    could be worth any amount, so the case is taken at its worst: led by
    that objective. A service objective with no value counts for nothing.
    """
    objectives = list(proposal.motive.objectives)
    unit = (
        "value"
        if any(o.value is not None for o in objectives)
        else "weight"
        if any(o.weight is not None for o in objectives)
        else "count"
    )
    service = sum(_amount(o) or 0.0 for o in objectives if o.kind is ObjectiveKind.SERVICE)
    organisation_objectives = [o for o in objectives if o.kind is not ObjectiveKind.SERVICE]
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
    return MotiveParts(ratio, service, organisation, unquantified, unit)


def _basis(objective_or_metric: object, kinds: dict[str, EvidenceKind]) -> tuple[str, float]:
    """How a benefit is known (measured here, or claimed) and how strong that is, 0-1."""
    cited = [kinds[ref] for ref in getattr(objective_or_metric, "evidence", ()) if ref in kinds]
    strongest = max(cited, key=EVIDENCE_STRENGTH.__getitem__, default=None)
    # A measured figure shows an effect only against where it started and
    # where it was meant to get to; alone it is no measurement of a benefit.
    measured = all(
        getattr(objective_or_metric, name, None) is not None
        for name in ("baseline", "target", "measured")
    )
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


def benefits_case(proposal: Proposal) -> tuple[BenefitsCase, MotiveParts]:
    parts = motive_parts(proposal)
    kinds = {item.id: item.kind for item in proposal.evidence}
    total = parts.service + parts.organisation  # every objective's stated amount
    lines, measured, organisation_measured, organisation_stated = [], 0.0, 0.0, 0.0
    weighted_support, support_weight, worst_unknown = 0.0, 0.0, 1.0
    worst_organisation_unknown = worst_measured_unknown = 1.0
    for objective in proposal.motive.objectives:
        basis, strength = _basis(objective, kinds)
        amount = _amount(objective)
        realised = _realised(objective) if basis == "measured" else None
        # Measured means baseline, target and figure are all known (and differ),
        # so the realised share exists; were it ever missing, it counts as none.
        realised_share = realised if realised is not None else 0.0
        measured_part = (amount or 0.0) * realised_share if basis == "measured" else 0.0
        if amount is None:
            # Unknown size: at worst it outweighs everything else.
            worst_unknown = min(worst_unknown, strength)
            seen = realised_share if basis == "measured" else 0.0
            worst_measured_unknown = min(worst_measured_unknown, seen)
            if objective.kind in ORGANISATION_SERVING:
                worst_organisation_unknown = min(worst_organisation_unknown, seen)
        else:
            weighted_support += amount * strength
            support_weight += amount
            measured += measured_part
            if objective.kind in ORGANISATION_SERVING:
                organisation_measured += measured_part
                organisation_stated += amount
        lines.append(
            BenefitLine.trusted(
                objective=objective.text,
                kind=objective.kind.value,
                value=objective.value,
                share=maybe_share(amount / total)
                if amount is not None and total and not parts.unquantified
                else None,
                basis=basis,
                realised=maybe_share(realised),
                measured_value=round(measured_part, 2) if basis == "measured" else None,
            )
        )
    objectives = proposal.motive.objectives
    # worst_unknown stays 1 when every amount is known, so min() keeps the mean.
    known = weighted_support / support_weight if support_weight else 1.0
    support = min(known, worst_unknown) if objectives else 0.0
    measured_share = min(measured / total if total else 0.0, worst_measured_unknown)
    organisation_measured_share = (
        min(
            organisation_measured / organisation_stated if organisation_stated else 1.0,
            worst_organisation_unknown,
        )
        if any(o.kind in ORGANISATION_SERVING for o in objectives)
        else None
    )
    metrics_measured = tuple(
        m.name for m in proposal.motive.success_metrics if _basis(m, kinds)[0] == "measured"
    )
    case = BenefitsCase.trusted(
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
        summary=_benefits_summary(proposal, parts, total, measured_share, metrics_measured),
    )
    return case, parts


def _benefits_summary(
    proposal: Proposal,
    parts: MotiveParts,
    stated: float,
    measured_share: float,
    metrics: tuple[str, ...],
) -> str:
    if not proposal.motive.objectives:
        return "No objectives are stated, so there is no benefits case."
    if parts.unit == "value":
        currency = proposal.motive.currency or ""
        case = f"{currency} {stated:,.0f} a year stated".strip()
    elif parts.unit == "weight":
        case = "Objectives weighed by relative weight"
    else:
        case = "No objective states what it is worth"
    text = f"{case}; {measured_share:.0%} of the case is measured here, the rest is claimed."
    if parts.unquantified:
        text += (
            f" Unquantified organisation-serving objectives ({'; '.join(parts.unquantified)}) "
            "are taken to outweigh the rest."
        )
    if metrics:
        text += f" Measured so far: {', '.join(metrics)}."
    return text
