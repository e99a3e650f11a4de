"""The calibration corpus: scenarios a procurement panel would recognise.

Each file in tests/cases/calibration/ holds a story, the proposal as the
panel would have written it before rollout, and what the decision should be
and why: the decision, the reasons that must rank near the top, the reasons
that must not, the exact failed gates and whether it sits on a knife edge.
See docs/calibration.md for the scenarios and what to do when one moves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, read_yaml

import techgate
from techgate.model import CriteriaPack, Evaluation

CALIBRATION = CASES / "calibration"
FILES = sorted(CALIBRATION.glob("*.yaml"))
DEFAULT_TOP = 6
MIN_SCENARIOS = 15
# Situations the corpus must cover, each tagged under 'covers:' by some scenario.
REQUIRED_COVERS = {
    "generative-grounded",
    "generative-ungrounded",
    "voicebot-estimated-cuts",
    "agent-assist-measured",
    "low-risk-unchanged",
    "efficiency-programme",
    "omitted-route",
    "honest-no-route",
    "knife-edge",
}
DECISION_RANK = {"go": 0, "conditional": 1, "no-go": 2}


def scenario(path: Path) -> dict[str, Any]:
    data = read_yaml(path)
    assert isinstance(data, dict), f"{path.name}: a scenario is a mapping"
    return data


def judge(data: dict[str, Any], pack: CriteriaPack) -> Evaluation:
    return techgate.evaluate(techgate.load_proposal(data["proposal"]), pack)


def refs(record: Evaluation, top: int | None = None) -> list[str]:
    chosen = record.reasons if top is None else record.reasons[:top]
    return [f"{r.kind}:{r.ref}" for r in chosen]


def explain(record: Evaluation, top: int) -> str:
    """The record in a few lines, so that a failing case explains itself."""
    failed = sorted(g.id for g in record.gates if not g.passed)
    lines = [
        f"decision {record.decision.value}, score {record.score:g}, "
        f"confidence {record.confidence:g}, coverage {record.coverage:g}, "
        f"knife-edge {record.margin.knife_edge}",
        f"failed gates: {', '.join(failed) or 'none'}",
        f"top {top} reasons:",
        *(
            f"  {r.rank}. {r.kind}:{r.ref} ({r.direction}"
            + (f", {r.impact:+g}" if r.impact is not None else "")
            + ")"
            for r in record.reasons[:top]
        ),
    ]
    return "\n".join(lines)


def _param(path: Path) -> Any:
    xfail = scenario(path).get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=str(xfail))] if xfail else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in FILES])
def test_scenario_decides_right_for_the_right_reasons(
    path: Path, contact_centre: CriteriaPack
) -> None:
    data = scenario(path)
    expect = data["expect"]
    top = int(expect.get("top", DEFAULT_TOP))
    record = judge(data, contact_centre)
    why = explain(record, top)
    assert record.decision.value == expect["decision"], (
        f"{path.name}: expected {expect['decision']}\n{why}"
    )
    leading = refs(record, top)
    for ref in expect.get("reasons", []):
        assert ref in leading, f"{path.name}: {ref} should be among the top {top}\n{why}"
    for ref in expect.get("not_reasons", []):
        assert ref not in leading, f"{path.name}: {ref} should not be among the top {top}\n{why}"
    directions = {f"{r.kind}:{r.ref}": r.direction for r in record.reasons[:top]}
    for direction in ("for", "against"):
        for ref in expect.get(direction, []):
            assert directions.get(ref) == direction, (
                f"{path.name}: {ref} should be among the top {top}, arguing {direction}\n{why}"
            )
    if "failed_gates" in expect:
        failed = {g.id for g in record.gates if not g.passed}
        assert failed == set(expect["failed_gates"]), (
            f"{path.name}: failed gates {sorted(failed)}, "
            f"expected {sorted(expect['failed_gates'])}\n{why}"
        )
    if "knife_edge" in expect:
        assert record.margin.knife_edge is expect["knife_edge"], (
            f"{path.name}: knife-edge should be {expect['knife_edge']}; "
            f"{record.margin.summary}\n{why}"
        )


def test_every_scenario_is_complete() -> None:
    for path in FILES:
        data = scenario(path)
        assert str(data.get("story", "")).strip(), f"{path.name}: tell the story"
        assert data.get("covers") is None or isinstance(data["covers"], list), path.name
        expect = data.get("expect", {})
        assert expect.get("decision") in DECISION_RANK, f"{path.name}: expect.decision"
        assert expect.get("reasons"), f"{path.name}: name the reasons that must lead"
        listed = ("reasons", "not_reasons", "for", "against")
        for ref in [ref for key in listed for ref in expect.get(key, [])]:
            kind, _, name = ref.partition(":")
            assert kind in {"gate", "score", "indicator", "confidence", "coverage", "evidence"}, (
                f"{path.name}: {ref} is not kind:ref"
            )
            assert name, f"{path.name}: {ref} names no ref"


def test_corpus_is_large_enough_and_covers_every_required_situation() -> None:
    assert len(FILES) >= MIN_SCENARIOS, f"only {len(FILES)} scenarios"
    covered: set[str] = set()
    for path in FILES:
        covered |= set(scenario(path).get("covers") or [])
    assert covered >= REQUIRED_COVERS, f"not covered: {sorted(REQUIRED_COVERS - covered)}"


def test_leaving_the_route_out_is_no_better_than_saying_there_is_none(
    contact_centre: CriteriaPack,
) -> None:
    """A scenario that omits its route names its twin that states 'available: false'."""
    loaded = [(path, scenario(path)) for path in FILES]
    pairs = [(path, data) for path, data in loaded if "omitted-route" in (data.get("covers") or [])]
    assert pairs, "no scenario omits the route to a person"
    for path, data in pairs:
        twin_path = CALIBRATION / f"{data['twin']}.yaml"
        twin = scenario(twin_path)
        assert "honest-no-route" in (twin.get("covers") or []), twin_path.name
        assert "human_escalation" not in data["proposal"], f"{path.name} must omit the route"
        assert twin["proposal"]["human_escalation"]["available"] is False, twin_path.name
        rest = {k: v for k, v in twin["proposal"].items() if k not in ("id", "human_escalation")}
        mine = {k: v for k, v in data["proposal"].items() if k != "id"}
        assert mine == rest, f"{path.name} must differ from its twin only by the route"
        omitted, honest = judge(data, contact_centre), judge(twin, contact_centre)
        assert DECISION_RANK[omitted.decision.value] >= DECISION_RANK[honest.decision.value], (
            f"omitting the route gives {omitted.decision.value}, "
            f"saying there is none gives {honest.decision.value}"
        )
        assert omitted.score <= honest.score
        assert omitted.confidence <= honest.confidence
        honest_failed = {g.id for g in honest.gates if not g.passed}
        omitted_failed = {g.id for g in omitted.gates if not g.passed}
        assert honest_failed <= omitted_failed, sorted(honest_failed - omitted_failed)
