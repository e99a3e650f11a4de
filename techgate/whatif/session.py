"""A what-if session: changes applied one after another, undone and redone; pure values.

Each step holds the inputs it made and the record the engine gave for them,
so undoing is going back to a value already made: undoing every change gives
back the original record itself, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from techgate.engine import evaluate, evaluate_checked
from techgate.errors import InputProblem, InvalidInputError
from techgate.model.criteria import CriteriaPack
from techgate.model.evaluation import Evaluation, GateStatus
from techgate.model.problems import dotted, proposal_problems
from techgate.model.proposal import Proposal
from techgate.model.whatif import (
    WHATIF_SCHEMA_VERSION,
    Change,
    ChangeKind,
    ChangeRequest,
    Standing,
    WhatIf,
)
from techgate.whatif.changes import Applied, apply_answer, apply_score, apply_weight
from techgate.whatif.facts import apply_fact
from techgate.whatif.requests import problem

_Handler = Callable[[ChangeRequest, Proposal, CriteriaPack, Evaluation], Applied]
_HANDLERS: dict[ChangeKind, _Handler] = {
    ChangeKind.WEIGHT: lambda request, proposal, pack, _: apply_weight(request, proposal, pack),
    ChangeKind.SCORE: apply_score,
    ChangeKind.ANSWER: lambda request, proposal, pack, _: apply_answer(request, proposal, pack),
    ChangeKind.FACT: lambda request, proposal, pack, _: apply_fact(request, proposal, pack),
}


@dataclass(frozen=True)
class Step:
    """One change applied, and what it made."""

    change: Change
    proposal: Proposal
    pack: CriteriaPack
    record: Evaluation


@dataclass(frozen=True)
class WhatIfSession:
    """The original inputs and record, the changes applied, and those undone (to redo)."""

    proposal: Proposal
    """The proposal as it was read."""
    pack: CriteriaPack
    """The pack as it was chosen."""
    record: Evaluation
    """The decision record of the two, before any change."""
    done: tuple[Step, ...] = ()
    """The changes in force, oldest first."""
    undone: tuple[Step, ...] = ()
    """Changes undone and not yet replaced, the most recently undone last."""

    @classmethod
    def start(cls, proposal: Proposal, pack: CriteriaPack) -> WhatIfSession:
        """A session over a proposal and pack; they are checked together first."""
        return cls(proposal, pack, evaluate(proposal, pack))

    @property
    def current(self) -> Step | None:
        return self.done[-1] if self.done else None

    @property
    def current_proposal(self) -> Proposal:
        return self.done[-1].proposal if self.done else self.proposal

    @property
    def current_pack(self) -> CriteriaPack:
        return self.done[-1].pack if self.done else self.pack

    @property
    def current_record(self) -> Evaluation:
        """The record with every change in force."""
        return self.done[-1].record if self.done else self.record

    @property
    def changes(self) -> tuple[Change, ...]:
        """The changes in force, in the order they were applied."""
        return tuple(step.change for step in self.done)

    def apply(self, request: ChangeRequest) -> WhatIfSession:
        """The session with one more change; what was undone can no longer be redone.

        InvalidInputError, naming the option, when the change cannot be made or
        leaves the proposal or pack inconsistent (every check is run again).
        """
        proposal, pack, record = self.current_proposal, self.current_pack, self.current_record
        applied = _HANDLERS[request.kind](request, proposal, pack, record)
        problems = _problems(request, applied, pack)
        if problems:
            raise InvalidInputError(problems)
        after = evaluate_checked(applied.proposal, applied.pack)
        step = Step(applied.change, applied.proposal, applied.pack, after)
        return replace(self, done=(*self.done, step), undone=())

    def apply_all(self, requests: Iterable[ChangeRequest]) -> WhatIfSession:
        """Every change in order; a change that cannot be made is left out and the rest
        still tried, so that every problem is told at once (then nothing is applied)."""
        session = self
        problems: list[InputProblem] = []
        for request in requests:
            try:
                session = session.apply(request)
            except InvalidInputError as error:
                problems.extend(error.problems)
        if problems:
            raise InvalidInputError(problems)
        return session

    def undo(self) -> WhatIfSession:
        """The session without its latest change (the same session when there is none)."""
        if not self.done:
            return self
        return replace(self, done=self.done[:-1], undone=(*self.undone, self.done[-1]))

    def redo(self) -> WhatIfSession:
        """The session with the change undone last put back (the same when there is none)."""
        if not self.undone:
            return self
        return replace(self, done=(*self.done, self.undone[-1]), undone=self.undone[:-1])

    def result(self) -> WhatIf:
        """The decision before and after the changes in force, and everything between."""
        from techgate.engine.diff import diff_records

        before, after = self.record, self.current_record
        diff = diff_records(before, after)
        return WhatIf.trusted(
            whatif_schema=WHATIF_SCHEMA_VERSION,
            proposal_id=before.proposal.id,
            proposal_title=before.proposal.title,
            changes=self.changes,
            before=standing(before),
            after=standing(after),
            direction=diff.direction,
            diff=diff,
            summary=_summary(self.changes, before, after),
        )


def _problems(request: ChangeRequest, applied: Applied, pack: CriteriaPack) -> list[InputProblem]:
    """Every check on the changed inputs; the inputs before passed them all."""
    found = []
    if applied.pack is not pack:
        found += list(applied.pack.problems)
    found += proposal_problems(applied.proposal, applied.pack)
    return [problem(request, f"{dotted(p.path)}: {p.message}", p.hint) for p in found]


def standing(record: Evaluation) -> Standing:
    """The headline figures of a record."""
    margin = record.margin
    return Standing.trusted(
        decision=record.decision,
        score=record.score,
        confidence=record.confidence,
        coverage=record.coverage,
        score_above=margin.score_above,
        score_below=margin.score_below,
        knife_edge=margin.knife_edge,
        binding=margin.binding,
        binding_gates=tuple(g.id for g in record.gates if g.id in margin.binding),
        failed_gates=tuple(g.id for g in record.gates if g.status is GateStatus.FAILED),
        margin=margin.summary,
    )


def _summary(changes: tuple[Change, ...], before: Evaluation, after: Evaluation) -> str:
    if not changes:
        return f"No change: the decision is {before.decision.value} (score {before.score:g})."
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    if before.decision is after.decision:
        moved = f"the decision stays {after.decision.value}"
    else:
        moved = f"the decision moves from {before.decision.value} to {after.decision.value}"
    return f"With {count}, {moved}; the score goes from {before.score:g} to {after.score:g}."


def whatif(proposal: Proposal, pack: CriteriaPack, requests: Iterable[ChangeRequest]) -> WhatIf:
    """The decision before and after the changes, applied in order."""
    return WhatIfSession.start(proposal, pack).apply_all(requests).result()
