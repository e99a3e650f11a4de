"""What changed between two decision records: a pure function of the two records.

It lives with the engine because, like the comparison, it reasons about
records the engine made (what 'better' means for a decision, how a figure is
rounded); it reads nothing and needs neither proposal nor pack, so the
register can diff any two stored records, even of packs since removed.

Criteria, gates, indicators and assessors are matched by id (conditions by
their source). Records judged by different packs are compared the same way:
what only one side has is listed as added or removed, and the summary says
the packs differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from techgate.engine.numbers import points, share
from techgate.model._base import replaced
from techgate.model.diff import (
    DIFF_SCHEMA_VERSION,
    AnswerChange,
    ConditionChange,
    CriterionChange,
    Direction,
    GateChange,
    IndicatorAspect,
    IndicatorChange,
    IndicatorState,
    NumberChange,
    PackRelation,
    RecordDiff,
    RecordSide,
)
from techgate.model.evaluation import (
    AssessorScore,
    Condition,
    CriterionResult,
    Evaluation,
    GateResult,
    IndicatorResult,
)

__all__ = ["diff_records"]

T = TypeVar("T")


def diff_records(before: Evaluation, after: Evaluation) -> RecordDiff:
    """What changed from 'before' (the earlier record) to 'after' (the later one)."""
    rank_before, rank_after = before.decision.rank, after.decision.rank
    direction: Direction = (
        "same" if rank_before == rank_after else "better" if rank_after < rank_before else "worse"
    )
    relation = _pack_relation(before, after)
    criteria = tuple(_criteria(before, after))
    gates = tuple(_gates(before, after))
    indicators = tuple(_indicators(before, after))
    conditions = tuple(_conditions(before.conditions, after.conditions))
    score = _change(before.score, after.score, points)
    confidence = _change(before.confidence, after.confidence, share)
    coverage = _change(before.coverage, after.coverage, share)
    proposal_changed = before.provenance.proposal_sha256 != after.provenance.proposal_sha256
    nothing = (
        direction == "same"
        and not (criteria or gates or indicators)
        and all(c.state == "open" and c.before == c.after for c in conditions)
        and score.delta == confidence.delta == coverage.delta == 0
        and not proposal_changed
        and relation == "same"
    )
    diff = RecordDiff.trusted(
        diff_schema=DIFF_SCHEMA_VERSION,
        before=_side(before),
        after=_side(after),
        nothing_changed=nothing,
        same_proposal=before.proposal.id == after.proposal.id,
        decision_changed=direction != "same",
        direction=direction,
        score=score,
        confidence=confidence,
        coverage=coverage,
        proposal_changed=proposal_changed,
        pack_changed=relation != "same",
        pack_version_changed=before.pack.version != after.pack.version,
        pack_relation=relation,
        criteria=criteria,
        gates=gates,
        indicators=indicators,
        conditions=conditions,
        summary="",
    )
    # The summary reads the finished diff; the copy differs only there.
    changed: RecordDiff = replaced(diff, summary=summary(diff))
    return changed


def _side(record: Evaluation) -> RecordSide:
    return RecordSide.trusted(
        proposal_id=record.proposal.id,
        proposal_title=record.proposal.title,
        proposal_sha256=record.provenance.proposal_sha256,
        pack_id=record.pack.id,
        pack_version=record.pack.version,
        pack_sha256=record.provenance.pack_sha256,
        as_of=record.provenance.as_of,
        decision=record.decision,
    )


def _pack_relation(before: Evaluation, after: Evaluation) -> PackRelation:
    if before.provenance.pack_sha256 == after.provenance.pack_sha256:
        return "same"
    return "changed" if before.pack.id == after.pack.id else "different"


def _change(before: float, after: float, rounded: Callable[[float], float]) -> NumberChange:
    return NumberChange.trusted(before=before, after=after, delta=rounded(after - before))


def _paired(
    before: Iterable[T], after: Iterable[T], key: Callable[[T], str]
) -> Iterator[tuple[str, T | None, T | None]]:
    """Items matched by key: the later record's order first, then what only the earlier has."""
    earlier = {key(item): item for item in before}
    later = {key(item): item for item in after}
    for name, item in later.items():
        yield name, earlier.get(name), item
    for name, item in earlier.items():
        if name not in later:
            yield name, item, None


def _criteria(before: Evaluation, after: Evaluation) -> Iterator[CriterionChange]:
    def by_id(c: CriterionResult) -> str:
        return c.id

    for key, old, new in _paired(before.criteria, after.criteria, by_id):
        if (
            old is not None
            and new is not None
            and (old.score, old.weight_share) == (new.score, new.weight_share)
        ):
            continue
        either = new or old
        assert either is not None
        yield CriterionChange.trusted(
            id=key,
            title=either.title,
            score_before=old.score if old else None,
            score_after=new.score if new else None,
            weight_share_before=old.weight_share if old else None,
            weight_share_after=new.weight_share if new else None,
            presence="both" if old and new else "added" if new else "removed",
        )


def _gates(before: Evaluation, after: Evaluation) -> Iterator[GateChange]:
    def by_id(g: GateResult) -> str:
        return g.id

    for key, old, new in _paired(before.gates, after.gates, by_id):
        if old is not None and new is not None and old.status == new.status:
            continue
        either = new or old
        assert either is not None
        yield GateChange.trusted(
            id=key,
            title=either.title,
            severity=either.severity,
            before=old.status if old else None,
            after=new.status if new else None,
            reason_before=old.reason if old else None,
            reason_after=new.reason if new else None,
        )


def _indicator_rows(record: Evaluation) -> list[tuple[str, IndicatorResult]]:
    return [(c.id, i) for c in record.criteria for i in c.indicators]


def _state(indicator: IndicatorResult) -> IndicatorState:
    moderation = indicator.moderation
    return IndicatorState.trusted(
        status=indicator.status,
        score=indicator.score,
        evidence_strength=indicator.evidence_strength,
        evidence_missing=indicator.evidence_missing,
        evidence=tuple(sorted({e for a in indicator.assessors for e in a.evidence})),
        moderated=None
        if moderation is None
        else (moderation.score if moderation.answer == "level" else moderation.answer),
    )


def _indicators(before: Evaluation, after: Evaluation) -> Iterator[IndicatorChange]:
    def by_id(row: tuple[str, IndicatorResult]) -> str:
        return row[1].id

    for key, old, new in _paired(_indicator_rows(before), _indicator_rows(after), by_id):
        old_state = _state(old[1]) if old else None
        new_state = _state(new[1]) if new else None
        answers = tuple(_answers(old[1] if old else None, new[1] if new else None))
        changed = _aspects(old_state, new_state, answers)
        if not changed:
            continue
        either = new or old
        assert either is not None
        criterion, indicator = either
        yield IndicatorChange.trusted(
            id=key,
            title=indicator.title,
            criterion=criterion,
            changed=changed,
            before=old_state,
            after=new_state,
            answers=answers,
        )


def _aspects(
    old: IndicatorState | None, new: IndicatorState | None, answers: tuple[AnswerChange, ...]
) -> tuple[IndicatorAspect, ...]:
    if old is None:
        return ("added",)
    if new is None:
        return ("removed",)
    found: list[IndicatorAspect] = []
    if old.status != new.status:
        found.append("status")
    if old.score != new.score:
        found.append("score")
    if answers:
        found.append("answers")
    if (old.evidence, old.evidence_strength, old.evidence_missing) != (
        new.evidence,
        new.evidence_strength,
        new.evidence_missing,
    ):
        found.append("evidence")
    if old.moderated != new.moderated:
        found.append("moderation")
    return tuple(found)


def _answers(old: IndicatorResult | None, new: IndicatorResult | None) -> Iterator[AnswerChange]:
    """Each assessor whose answer (level, kind, evidence or note) differs, sorted by name."""
    earlier = {a.assessor: a for a in (old.assessors if old else ())}
    later = {a.assessor: a for a in (new.assessors if new else ())}
    for name in sorted(earlier.keys() | later.keys()):
        first, then = earlier.get(name), later.get(name)
        if not _same_answer(first, then):
            yield AnswerChange.trusted(assessor=name, before=first, after=then)


def _same_answer(first: AssessorScore | None, then: AssessorScore | None) -> bool:
    if first is None or then is None:
        return first is then
    return (first.score, first.answer, first.evidence, first.note) == (
        then.score,
        then.answer,
        then.evidence,
        then.note,
    )


def _conditions(
    before: Iterable[Condition], after: Iterable[Condition]
) -> Iterator[ConditionChange]:
    # A source names one condition in a record (a gate, the score, a cap).
    def by_source(condition: Condition) -> str:
        return condition.source

    # _paired gives the later record's order, then the met ones.
    for source, old, new in _paired(before, after, by_source):
        yield ConditionChange.trusted(
            source=source,
            state="open" if old and new else "new" if new else "met",
            before=old.text if old else None,
            after=new.text if new else None,
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def summary(diff: RecordDiff) -> str:
    """The diff in a few sentences, decision first."""
    if diff.nothing_changed:
        return "Nothing changed: the same proposal judged by the same pack, with the same result."
    first, then = diff.before, diff.after
    sentences = []
    if diff.decision_changed:
        word = "improved" if diff.direction == "better" else "worsened"
        sentences.append(
            f"The decision {word} from {first.decision.value} to {then.decision.value}."
        )
    else:
        sentences.append(f"The decision stayed {then.decision.value}.")
    sentences.append(
        f"Score {_moved(diff.score)}, confidence {_moved(diff.confidence)}, "
        f"coverage {_moved(diff.coverage)}."
    )
    counts = []
    if diff.gates:
        counts.append(f"{_count(len(diff.gates), 'gate')} changed status")
    if diff.indicators:
        counts.append(f"{_count(len(diff.indicators), 'indicator')} changed")
    met = sum(c.state == "met" for c in diff.conditions)
    still = sum(c.state == "open" for c in diff.conditions)
    new = sum(c.state == "new" for c in diff.conditions)
    if diff.conditions:
        counts.append(f"conditions: {met} met, {still} still open, {new} new")
    if counts:
        sentences.append("; ".join(counts).capitalize() + ".")
    if not diff.same_proposal:
        sentences.append(
            f"These are records of two proposals ({first.proposal_id} and {then.proposal_id})."
        )
    elif diff.proposal_changed:
        sentences.append("The proposal changed.")
    else:
        sentences.append("The proposal is the same.")
    if diff.pack_relation == "different":
        sentences.append(
            f"They were judged by different packs ({first.pack_id} {first.pack_version} and "
            f"{then.pack_id} {then.pack_version}): criteria, gates and indicators are compared "
            "where their ids match."
        )
    elif diff.pack_relation == "changed":
        version = (
            f"version {first.pack_version} to {then.pack_version}"
            if diff.pack_version_changed
            else f"version {then.pack_version}, other content"
        )
        sentences.append(f"The pack {then.pack_id} changed ({version}).")
    else:
        sentences.append("The pack is the same.")
    return " ".join(sentences)


def _moved(change: NumberChange) -> str:
    if change.delta == 0:
        return f"unchanged at {change.after:g}"
    return f"{change.before:g} → {change.after:g} ({change.delta:+g})"
