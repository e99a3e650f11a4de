"""What the engine needs from a pack, laid out once per pack as plain values.

A pack is judged against many proposals. Everything that depends on the
pack alone (weights, labels, acceptable levels, which gates read which
indicators) is worked out here once, keyed by the pack's content hash, so
that an evaluation only walks flat tuples.
"""

from __future__ import annotations

from typing import NamedTuple

from techgate.model.criteria import (
    Applicability,
    CriteriaPack,
    Criterion,
    DerivedMeasure,
    Indicator,
    MinCriterionScoreGate,
    MinIndicatorScoreGate,
)
from techgate.model.proposal import Trait


class Row(NamedTuple):
    """One indicator as the engine reads it."""

    indicator: Indicator
    id: str
    title: str
    criterion: str
    weight: float
    trait_weights: tuple[tuple[Trait, float], ...]
    applies_to: Applicability | None
    not_applicable_text: str
    derived: DerivedMeasure | None
    derived_name: str | None
    levels: dict[int, str]
    acceptable: int
    evidence_required: bool


class Table(NamedTuple):
    """The pack as flat rows, in pack order."""

    top: int
    labels: tuple[str, ...]
    """Level labels, indexed by level."""
    criteria: tuple[tuple[Criterion, tuple[Row, ...]], ...]
    rows: tuple[Row, ...]
    floor_gates: tuple[tuple[int, tuple[str, ...]], ...]
    """(gate index, indicator ids whose level it reads) for every floor gate."""


_TABLES: dict[str, Table] = {}
_KEPT = 64


def pack_table(pack: CriteriaPack) -> Table:
    found = _TABLES.get(pack.sha256)
    if found is None:
        if len(_TABLES) >= _KEPT:
            _TABLES.clear()
        found = _TABLES[pack.sha256] = _build(pack)
    return found


def _build(pack: CriteriaPack) -> Table:
    acceptable = pack.acceptable_levels
    criteria = tuple(
        (
            crit,
            tuple(
                Row(
                    indicator=ind,
                    id=ind.id,
                    title=ind.title,
                    criterion=crit.id,
                    weight=ind.weight,
                    trait_weights=tuple(ind.trait_weights.items()),
                    applies_to=ind.applies_to,
                    not_applicable_text=(
                        f"applies only to {ind.applies_to.describe()}" if ind.applies_to else ""
                    ),
                    derived=ind.derived,
                    derived_name=None if ind.derived is None else ind.derived.value,
                    levels=ind.levels,
                    acceptable=acceptable[ind.id],
                    evidence_required=ind.evidence_required,
                )
                for ind in crit.indicators
            ),
        )
        for crit in pack.criteria
    )
    floors: list[tuple[int, tuple[str, ...]]] = []
    for index, gate in enumerate(pack.gates):
        if isinstance(gate, MinIndicatorScoreGate):
            floors.append((index, (gate.indicator,)))
        elif isinstance(gate, MinCriterionScoreGate):
            criterion = next(c for c in pack.criteria if c.id == gate.criterion)
            floors.append((index, tuple(i.id for i in criterion.indicators)))
    return Table(
        top=pack.scale.maximum,
        labels=tuple(level.label for level in pack.scale.levels),
        criteria=criteria,
        rows=tuple(row for _, rows in criteria for row in rows),
        floor_gates=tuple(floors),
    )
