"""A criteria pack as readable tables."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from techgate.model.criteria import CriteriaPack, HumanEscalationGate
from techgate.render.safe_text import printable as shown


def pack_view(pack: CriteriaPack) -> RenderableType:
    header = Text()
    header.append(shown(pack.title), style="bold")
    header.append(f"  [{pack.id} {pack.version}]")
    if pack.lineage:
        header.append(f"  extends {' -> '.join(pack.lineage)}")
    if pack.description:
        header.append(f"\n{shown(pack.description)}")
    scale = ", ".join(f"{level.value} {shown(level.label)}" for level in pack.scale.levels)
    header.append(f"\nScale: {scale}")

    total = sum(c.weight for c in pack.criteria)
    criteria = Table(title="Criteria and indicators", title_justify="left")
    for column in ("Criterion / indicator", "Weight", "Share", "Notes"):
        criteria.add_column(column, overflow="fold")
    for criterion in pack.criteria:
        criteria.add_row(
            Text(shown(criterion.title), style="bold"),
            f"{criterion.weight:g}",
            f"{criterion.weight / total:.0%}",
            Text(shown(criterion.question)),
        )
        inner = sum(i.weight for i in criterion.indicators)
        for indicator in criterion.indicators:
            notes = [
                f"computed from {indicator.derived.value}" if indicator.derived else "",
                "evidence required" if indicator.evidence_required else "",
                "n/a allowed" if indicator.allow_na else "",
                "" if indicator.allow_unchanged or indicator.derived else "never unchanged",
                ""
                if indicator.acceptable_level is None
                else f"acceptable at level {indicator.acceptable_level}",
                f"applies to {indicator.applies_to.describe()}" if indicator.applies_to else "",
                ", ".join(
                    f"weight {w:g} when {t.value}" for t, w in indicator.trait_weights.items()
                ),
            ]
            criteria.add_row(
                Text(f"  {indicator.id}"),
                f"{indicator.weight:g}",
                f"{indicator.weight / inner:.0%}",
                Text("; ".join(n for n in notes if n)),
            )

    gates = Table(title="Gates", title_justify="left")
    for column in ("Gate", "Kind", "Severity", "Rule"):
        gates.add_column(column, overflow="fold")
    for gate in pack.gates:
        rule = gate.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"id", "title", "kind", "severity", "condition", "applies_to", "on_missing"},
        )
        words = [f"{k}={_value(v)}" for k, v in rule.items() if v != []]
        if gate.on_missing is not None:
            lenient = _RANK[gate.on_missing] < _RANK[gate.severity.value]
            words.append(
                f"when facts are missing: {gate.on_missing}"
                + (" (LENIENT: less than the worst honest answer)" if lenient else "")
            )
        if gate.applies_to is not None:
            words.append(f"applies to {gate.applies_to.describe()}")
        elif isinstance(gate, HumanEscalationGate) and not gate.categories:
            words.append("applies to customer-facing")
        gates.add_row(Text(gate.id), gate.kind, gate.severity.value, Text(shown(", ".join(words))))

    policy = pack.policy
    footer = Text(
        f"Decision: go at score ≥ {policy.go_threshold:g}, conditional ≥ "
        f"{policy.conditional_threshold:g}, else no-go; a go also needs confidence ≥ "
        f"{policy.min_confidence:g} and coverage ≥ {policy.min_coverage:.0%}. Assessors are "
        f"combined by {policy.aggregation.value}; a spread of {policy.disagreement_spread} levels "
        f"is flagged as disagreement. Level {pack.acceptable_level} is acceptable: above it an "
        "indicator argues for adoption, below it against. Unassessed indicators count as level "
        f"0; {policy.benefits_weight:.0%} of confidence rests on the benefits case."
    )
    return Group(header, criteria, gates, footer)


_RANK = {"pass": 0, "conditional": 1, "no-go": 2}


def _value(value: object) -> str:
    """A rule's value as a pack author would write it."""
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)
