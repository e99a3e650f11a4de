"""Properties of the judgement itself (hypothesis): omission never pays, motive
framing never pays, 'unchanged' is neutral, and the margin tells the truth."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from test_properties import PACK, answer, base_facts

import techgate
from techgate.model import CriteriaPack, Evaluation

# Assessor scores for every indicator an assessor may score (derived ones are facts).
ASSESSED = [i.id for c in PACK.criteria for i in c.indicators if i.derived is None]
GENERATIVE = {"grounded-answers", "release-testing", "abuse-resistance", "answer-accountability"}
CATEGORIES = [
    "chatbot",
    "ivr",
    "voicebot",
    "self-service",
    "crm",
    "callback",
    "generative-assistant",
    "agent-assist",
]
full_scores = st.fixed_dictionaries({key: answer for key in ASSESSED})
some_scores = st.dictionaries(st.sampled_from(ASSESSED), answer, min_size=10)


def facts(category: str, scores: dict[str, Any], generative: bool = False) -> dict[str, Any]:
    data = base_facts()
    data["category"] = category
    automation: dict[str, Any] = {}
    if category not in ("generative-assistant", "agent-assist"):
        automation["generates_answers"] = generative
    if category == "agent-assist":
        automation["human_reviews_output"] = True
    data["automation"] = automation
    data["assessments"] = [{"assessor": "A", "scores": scores}]
    return data


def judge(data: dict[str, Any], pack: CriteriaPack = PACK) -> Evaluation:
    return techgate.evaluate(techgate.load_proposal(data), pack)


def rank(record: Evaluation) -> int:
    return record.decision.rank


# --- Omission never pays ------------------------------------------------------
# Each fact: (what leaving it out does, the worst value an honest proposal
# could state instead). The decision without the fact must be no better.
Mutation = Callable[[dict[str, Any]], None]


def _drop(*path: str) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)

    return apply


def _set(value: Any, *path: str) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = copy.deepcopy(value)

    return apply


def _efficiency_value(value: float | None) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        for objective in data["motive"]["objectives"]:
            if objective["kind"] == "efficiency":
                objective.pop("value", None)
                if value is not None:
                    objective["value"] = value

    return apply


def _staff_opinion(share: float | None) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        for consultation in data["stakeholder_input"]:
            if consultation["group"] == "staff":
                consultation.pop("favourable_share", None)
                if share is not None:
                    consultation["favourable_share"] = share

    return apply


def _segments(drop: bool) -> Mutation:
    """The phone line is replaced; its users are left out, or stated as stranded."""

    def apply(data: dict[str, Any]) -> None:
        data["replaces"] = ["Phone line"]
        online, phone = data["segments"]
        if drop:
            data["segments"] = [online]
        else:
            phone.update(ability="none", alternative_remains=False)

    return apply


def _measured_target(target: float | None) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        for objective in data["motive"]["objectives"]:
            if objective["kind"] == "efficiency":
                objective.pop("target", None)
                if target is not None:
                    objective["target"] = target

    return apply


def _score(indicator: str, value: Any) -> Mutation:
    def apply(data: dict[str, Any]) -> None:
        scores = data["assessments"][0]["scores"]
        scores.pop(indicator, None)
        if value is not None:
            scores[indicator] = value

    return apply


CUT = {"roles_removed": 20, "roles_frozen": 0, "roles_redeployed": 0}
FACTS: dict[str, tuple[Mutation, Mutation]] = {
    "route to a person": (
        _drop("human_escalation"),
        _set({"available": False}, "human_escalation"),
    ),
    "minutes to a person": (
        _drop("human_escalation", "minutes_to_person"),
        _set(1440, "human_escalation", "minutes_to_person"),
    ),
    "steps to a person": (
        _drop("human_escalation", "steps_to_person"),
        _set(100, "human_escalation", "steps_to_person"),
    ),
    "segments": (
        _set([], "segments"),
        _set(
            [
                {
                    "name": "Everyone",
                    "share": 1.0,
                    "preferred_channel": "phone",
                    "ability": "none",
                    "alternative_remains": False,
                }
            ],
            "segments",
        ),
    ),
    "success metrics": (
        _set([], "motive", "success_metrics"),
        _set([{"name": "Handle time", "kind": "organisation"}], "motive", "success_metrics"),
    ),
    "objectives": (
        _set([], "motive", "objectives"),
        _set([{"text": "Cut cost", "kind": "efficiency", "value": 1e12}], "motive", "objectives"),
    ),
    "value of the efficiency objective": (_efficiency_value(None), _efficiency_value(1e12)),
    "workforce impact": (
        _drop("workforce"),
        _set(
            {
                "roles_removed": 1000,
                "roles_frozen": 0,
                "roles_redeployed": 0,
                "remaining_route": {
                    "staffed_hours_per_week": 0,
                    "contacts_per_hour": 1,
                    "demand_per_week": 1e6,
                },
            },
            "workforce",
        ),
    ),
    "remaining human route": (
        _set(CUT, "workforce"),
        _set(
            {
                **CUT,
                "remaining_route": {
                    "staffed_hours_per_week": 0,
                    "contacts_per_hour": 1,
                    "demand_per_week": 1e6,
                },
            },
            "workforce",
        ),
    ),
    "staff opinion": (_staff_opinion(None), _staff_opinion(0.0)),
    "a segment that loses its channel": (_segments(drop=True), _segments(drop=False)),
    "target of a measured objective": (_measured_target(None), _measured_target(1e12)),
    **{
        f"score of {key}": (_score(key, None), _score(key, 0))
        for key in ("availability", "security", "privacy", "grounded-answers", "machine-disclosure")
    },
}


@pytest.mark.parametrize("fact", sorted(FACTS))
@settings(max_examples=25)
@given(category=st.sampled_from(CATEGORIES), generative=st.booleans(), scores=some_scores)
def test_leaving_a_fact_out_is_never_better_than_its_worst_honest_value(
    fact: str, category: str, generative: bool, scores: dict[str, Any]
) -> None:
    omit, worst = FACTS[fact]
    data = facts(category, scores, generative)
    omitted, honest = copy.deepcopy(data), copy.deepcopy(data)
    omit(omitted)
    worst(honest)
    without, with_worst = judge(omitted), judge(honest)
    assert rank(without) >= rank(with_worst), (
        f"leaving out {fact} gave {without.decision.value}, "
        f"stating its worst gave {with_worst.decision.value}"
    )
    assert without.score <= with_worst.score + 1e-9


# --- Calling a benefit 'efficiency' never pays --------------------------------
objective = st.fixed_dictionaries(
    {
        "text": st.sampled_from(["Faster answers", "Lower cost", "Fewer errors", "More sales"]),
        "kind": st.sampled_from(["service", "efficiency", "revenue", "insight"]),
        "value": st.integers(0, 1_000_000),
    },
    optional={
        "baseline": st.just(0.0),
        "target": st.just(1.0),
        "measured": st.just(1.0),
        "evidence": st.just(["prod"]),
    },
)
objectives = st.lists(objective, min_size=1, max_size=5)
workforce = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "roles_removed": st.sampled_from([0, 5]),
            "roles_frozen": st.sampled_from([0, 3]),
            "roles_redeployed": st.just(0),
        }
    ),
)


@given(st.sampled_from(CATEGORIES), full_scores, objectives, workforce, st.data())
def test_moving_an_objective_from_service_to_efficiency_never_improves_the_decision(
    category: str,
    scores: dict[str, Any],
    goals: list[dict[str, Any]],
    staff: dict[str, Any] | None,
    data: st.DataObject,
) -> None:
    service = [n for n, g in enumerate(goals) if g["kind"] == "service"]
    if not service:
        goals = [*goals, {"text": "Faster answers", "kind": "service", "value": 100_000}]
        service = [len(goals) - 1]
    which = data.draw(st.sampled_from(service))
    if (
        staff
        and staff["roles_removed"] + staff["roles_frozen"]
        and not any(g["kind"] == "efficiency" and g["value"] for g in goals)
    ):
        # Posts cut must come with the saving they are cut for (a checked rule).
        goals = [*goals, {"text": "Lower cost", "kind": "efficiency", "value": 50_000}]
    before = facts(category, scores)
    before["motive"]["objectives"] = goals
    if staff is None:
        before.pop("workforce")
    else:
        before["workforce"] = staff
    after = copy.deepcopy(before)
    after["motive"]["objectives"][which]["kind"] = data.draw(
        st.sampled_from(["efficiency", "revenue"])
    )
    first, second = judge(before), judge(after)
    assert rank(second) >= rank(first)
    assert second.score <= first.score + 1e-9


# --- 'Unchanged' is neutral -----------------------------------------------------
UNCHANGEABLE = [
    i.id
    for c in PACK.criteria
    if len(c.indicators) > 1
    for i in c.indicators
    if i.allow_unchanged and i.derived is None and i.applies_to is None
]


def without_indicator(pack: CriteriaPack, indicator: str) -> CriteriaPack:
    data = pack.model_dump()
    for criterion in data["criteria"]:
        criterion["indicators"] = [i for i in criterion["indicators"] if i["id"] != indicator]
    return CriteriaPack.model_validate(data)


@given(st.sampled_from(CATEGORIES), full_scores, st.sampled_from(UNCHANGEABLE))
def test_marking_an_indicator_unchanged_never_moves_the_score(
    category: str, scores: dict[str, Any], indicator: str
) -> None:
    marked = {**scores, indicator: "unchanged"}
    record = judge(facts(category, marked))
    # The score is what the other indicators make of it, as if this one were not asked.
    others = {k: v for k, v in scores.items() if k != indicator}
    reference = judge(facts(category, others), without_indicator(PACK, indicator))
    assert abs(record.score - reference.score) <= 0.01
    assert indicator in record.unchanged
    assert indicator not in {r.ref for r in record.reasons}
    assert indicator not in {g.indicator for g in record.gaps}


# --- The margin tells the truth (checked against running the engine) -------------
def near_thresholds(low: int) -> st.SearchStrategy[dict[str, int]]:
    """Single-assessor levels from low to the top: scores near the go threshold."""
    return st.fixed_dictionaries(
        {key: st.integers(low, 4) for key in ASSESSED if key not in GENERATIVE}
    )


def evidenced(levels: dict[str, int]) -> dict[str, Any]:
    """Levels backed by production data, so evidence caps do not hide the thresholds."""
    return {key: {"score": level, "evidence": ["prod"]} for key, level in levels.items()}


@pytest.mark.parametrize(("category", "low"), [("crm", 2), ("self-service", 2), ("crm", 1)])
@settings(max_examples=30)
@given(data=st.data())
def test_margin_lists_exactly_the_one_level_changes_that_flip_the_decision(
    category: str, low: int, data: st.DataObject
) -> None:
    levels = data.draw(near_thresholds(low))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("techgate.engine.margin.LISTED_FLIPS", 1000)  # every flip, not the first
        record = judge(facts(category, evidenced(levels)))
    flips = {}
    for key, level in levels.items():
        for moved in (level - 1, level + 1):
            if 0 <= moved <= PACK.scale.maximum:
                other = judge(facts(category, evidenced({**levels, key: moved})))
                if other.decision is not record.decision:
                    flips[(key, moved > level)] = other.decision
    listed = {
        (f.ref, " up " in f.change): f.to
        for f in record.margin.flips
        if f.kind == "indicator" and f.ref in levels
    }
    assert listed == flips
    if flips:
        assert record.margin.knife_edge


PANEL = ("Ana", "Ben", "Cho")
Levels = dict[str, tuple[int, int, int]]


def panel(levels: Levels, cited: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "assessor": name,
            "scores": {
                key: {"score": answers[n], "evidence": [cited[key]]}
                for key, answers in levels.items()
            },
        }
        for n, name in enumerate(PANEL)
    ]


PANEL_KEYS = [key for key in ASSESSED if key not in GENERATIVE]


@settings(max_examples=25)
@given(
    levels=st.fixed_dictionaries(
        {
            key: st.tuples(st.integers(2, 4), st.integers(1, 4), st.integers(2, 4))
            for key in PANEL_KEYS
        }
    ),
    # Weak evidence on some answers brings confidence near its minimum, where
    # one answer's spread alone can move the decision.
    cited=st.fixed_dictionaries(
        {key: st.sampled_from(["prod", "demo", "claim"]) for key in PANEL_KEYS}
    ),
)
def test_margin_lists_exactly_the_single_answers_that_flip_the_decision(
    levels: Levels, cited: dict[str, str]
) -> None:
    data = facts("crm", {})
    data["assessments"] = panel(levels, cited)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("techgate.engine.margin.LISTED_FLIPS", 1000)
        record = judge(data)
    titles = {i.id: i.title for c in record.criteria for i in c.indicators}
    found = set()
    for key, answers in levels.items():
        for n, name in enumerate(PANEL):
            for moved in (answers[n] - 1, answers[n] + 1):
                if not 0 <= moved <= PACK.scale.maximum:
                    continue
                changed = dict(levels)
                changed[key] = (*answers[:n], moved, *answers[n + 1 :])  # type: ignore[assignment]
                other = facts("crm", {})
                other["assessments"] = panel(changed, cited)
                if judge(other).decision is not record.decision:
                    found.add(f"{name}'s answer on {titles[key]} from {answers[n]} to {moved}")
    listed = {f.change for f in record.margin.flips if f.kind == "assessor"}
    assert listed == found


# --- An unanswered indicator never raises confidence -----------------------------
# Confidence is coverage times how well the scored figures are supported. A
# gap takes weight from coverage; it must also count as unsupported, or
# leaving out a weakly evidenced answer would lift the average support by
# more than it costs in coverage (found by the what-if omission checks on
# the agent-assist example: 0.5559 -> 0.5675 before gaps counted).
any_answer = st.one_of(answer, st.sampled_from(["n/a", "unchanged"]))


@settings(max_examples=150)
@given(
    category=st.sampled_from(CATEGORIES),
    generative=st.booleans(),
    scores=full_scores,
    left_out=st.sampled_from(ASSESSED),
    stated=any_answer,
)
def test_leaving_an_indicator_unanswered_never_raises_confidence(
    category: str, generative: bool, scores: dict[str, Any], left_out: str, stated: Any
) -> None:
    honest = facts(category, {**scores, left_out: stated}, generative)
    omitted = facts(category, {k: v for k, v in scores.items() if k != left_out}, generative)
    try:
        with_answer = judge(honest)
    except techgate.InvalidInputError:
        return  # 'n/a' where the pack does not allow it: not an honest answer
    without = judge(omitted)
    assert without.confidence <= with_answer.confidence, (
        f"leaving {left_out} unanswered gave confidence {without.confidence}, "
        f"answering {stated!r} gave {with_answer.confidence}"
    )
    assert without.coverage <= with_answer.coverage
    assert rank(without) >= rank(with_answer)


@pytest.mark.parametrize("left_out", ["insight-return", "adapts-to-needs", "failure-fallback"])
def test_the_agent_assist_example_loses_confidence_when_an_unevidenced_answer_goes(
    left_out: str,
) -> None:
    # The case the what-if checks found: answers that cite no evidence, removed.
    path = Path(__file__).resolve().parent.parent / "examples" / "agent-assist-drafts.yaml"
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    before = judge(data)
    for assessment in data["assessments"]:
        assessment["scores"].pop(left_out, None)
    after = judge(data)
    (gap,) = [g for g in after.gaps if g.indicator == left_out]
    assert after.confidence < before.confidence
    assert after.coverage < before.coverage and after.score < before.score
    assert gap.criterion
