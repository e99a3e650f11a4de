"""Engine behaviour written as data: tests/cases/engine-cases.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, baseline, merge, read_yaml

import techgate
from techgate.model import CriteriaPack, Proposal

CASE_LIST = read_yaml(CASES / "engine-cases.yaml")
LEVELS = {n: f"level {n}" for n in range(5)}


def minimal_pack(spec: dict[str, Any]) -> CriteriaPack:
    indicators = [
        {"id": f"i{n}", "title": f"Indicator {n}", "question": "?", "weight": w, "levels": LEVELS}
        for n, w in enumerate(spec["weights"], start=1)
    ]
    return CriteriaPack.model_validate(
        {
            "id": "mini",
            "title": "Minimal",
            "version": "1",
            "criteria": [{"id": "c", "title": "C", "question": "?", "indicators": indicators}],
            "policy": {
                "go_threshold": spec.get("go_threshold", 70),
                "conditional_threshold": spec.get("conditional_threshold", 50),
                "min_confidence": 0,
                "min_coverage": 0,
            },
        }
    )


def overlay_pack(overlay: dict[str, Any], tmp_path: Path) -> CriteriaPack:
    from ruamel.yaml import YAML

    document = {
        "id": "tailored",
        "title": "Tailored",
        "version": "1",
        "extends": "contact-centre",
        **overlay,
    }
    path = tmp_path / "tailored.yaml"
    with path.open("w") as handle:
        YAML(typ="safe", pure=True).dump(document, handle)
    return techgate.load_criteria(path)


def build(
    case: dict[str, Any], contact_centre: CriteriaPack, tmp_path: Path
) -> tuple[Proposal, CriteriaPack]:
    data = merge(baseline(), case.get("patch", {}))
    if "pack" in case:
        pack = minimal_pack(case["pack"])
        scores: dict[str, Any] = {}
    else:
        pack = overlay_pack(case["overlay"], tmp_path) if "overlay" in case else contact_centre
        scores = dict(data["assessments"][0]["scores"])
    for key, value in case.get("scores", {}).items():
        if value is None:
            scores.pop(key, None)
        else:
            scores[key] = value
    data["assessments"] = [{"assessor": "A", "scores": scores}, *case.get("extra_assessors", [])]
    return techgate.load_proposal(data), pack


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_case(case: dict[str, Any], contact_centre: CriteriaPack, tmp_path: Path) -> None:
    proposal, pack = build(case, contact_centre, tmp_path)
    record = techgate.evaluate(proposal, pack)
    expect = case["expect"]
    assert record.decision.value == expect["decision"]
    failed = {g.id for g in record.gates if not g.passed}
    if "failed_gates" in expect:
        assert failed == set(expect["failed_gates"])
    if "condition_sources" in expect:
        assert {c.source for c in record.conditions} == set(expect["condition_sources"])
    if "gaps" in expect:
        assert {g.indicator for g in record.gaps} == set(expect["gaps"])
    if "score" in expect:
        assert record.score == expect["score"]
    if "disagreements" in expect:
        assert set(record.disagreements) == set(expect["disagreements"])
    indicators = {i.id: i for c in record.criteria for i in c.indicators}
    for indicator_id, score in expect.get("indicator_scores", {}).items():
        assert indicators[indicator_id].score == score
    for indicator_id in expect.get("not_applicable", []):
        assert indicators[indicator_id].status.value == "not-applicable"
    if "unchanged" in expect:
        assert set(record.unchanged) == set(expect["unchanged"])
        # Unchanged indicators are never reasons for or against.
        assert not {r.ref for r in record.reasons} & set(expect["unchanged"])
    if "lenient_gates" in expect:
        assert {g.id for g in record.gates if g.lenient} == set(expect["lenient_gates"])
    not_applicable_gates = {g.id for g in record.gates if g.status.value == "not-applicable"}
    assert set(expect.get("not_applicable_gates", [])) <= not_applicable_gates
    # Whatever the case, these always hold.
    if record.decision.value == "go":
        assert not failed and not record.conditions
    else:
        assert record.conditions, "a decision short of go must say what would change it"
