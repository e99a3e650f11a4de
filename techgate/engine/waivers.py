"""Waivers in the engine: a failed gate a waiver accepts becomes 'waived', never 'passed'.

The caller chooses which waivers are in force (model.waiver.applies, at one
moment); the engine only pairs them with the gates. A waiver is used only
for a gate that failed: a gate that passed or does not apply is left as it
is and the record does not mention the waiver, so a record with an unused
waiver is byte for byte the record without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from techgate.model._base import replaced
from techgate.model.evaluation import GateResult, GateStatus, GateWaiver

if TYPE_CHECKING:
    # Waivers arrive built; an evaluation without them need not build their classes.
    from techgate.model.waiver import Waiver


def waived_gates(
    gates: tuple[GateResult, ...], waivers: Iterable[Waiver], proposal_id: str
) -> tuple[GateResult, ...]:
    """The gates, with each failed gate that a waiver for this proposal names marked waived."""
    chosen: dict[str, Waiver] = {}
    for waiver in waivers:
        if waiver.proposal_id != proposal_id:
            continue
        held = chosen.get(waiver.gate_id)
        # Two waivers of one gate: the one that runs longest, then the older, so the
        # record does not depend on the order they were handed in.
        if held is None or (-waiver.expires.toordinal(), waiver.id) < (
            -held.expires.toordinal(),
            held.id,
        ):
            chosen[waiver.gate_id] = waiver
    if not chosen:
        return gates
    return tuple(
        _waived(gate, chosen[gate.id])
        if gate.status is GateStatus.FAILED and gate.id in chosen
        else gate
        for gate in gates
    )


def _waived(gate: GateResult, waiver: Waiver) -> GateResult:
    block = GateWaiver.trusted(
        id=waiver.id,
        owner=waiver.owner,
        reason=waiver.reason,
        ticket=waiver.ticket,
        expires=waiver.expires,
        condition=waiver.condition,
        granted_by=waiver.granted_by,
    )
    # passed stays False: the gate failed; the waiver accepts the failure, it does not undo it.
    waived: GateResult = replaced(gate, status=GateStatus.WAIVED, waiver=block)
    return waived
