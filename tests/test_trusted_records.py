"""The engine builds its records without validation ('trusted'); each one must be
exactly what validation would have built: same types, same JSON, byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, EXAMPLES, read_yaml
from hypothesis import given
from hypothesis import strategies as st
from test_judgement_properties import CATEGORIES, facts, full_scores, objectives

import techgate
from techgate.model import Evaluation

PACK = techgate.load_criteria("contact-centre")
CALIBRATION = sorted((CASES / "calibration").glob("*.yaml"))


def assert_revalidates(record: Evaluation) -> None:
    text = record.model_dump_json()
    again = Evaluation.model_validate_json(text)
    assert again.model_dump_json() == text
    assert again == record


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_record_is_what_validation_would_build(path: Path) -> None:
    assert_revalidates(techgate.evaluate(techgate.load_proposal(path), PACK))


@pytest.mark.parametrize("path", CALIBRATION, ids=lambda p: p.stem)
def test_every_calibration_record_is_what_validation_would_build(path: Path) -> None:
    proposal = techgate.load_proposal(read_yaml(path)["proposal"])
    assert_revalidates(techgate.evaluate(proposal, PACK))


@given(st.sampled_from(CATEGORIES), full_scores, objectives, st.booleans())
def test_generated_records_are_what_validation_would_build(
    category: str, scores: dict[str, Any], goals: list[dict[str, Any]], unchanged: bool
) -> None:
    data = facts(category, scores)
    data["motive"]["objectives"] = goals
    if unchanged:
        data["assessments"][0]["scores"]["customer-context"] = "unchanged"
    assert_revalidates(techgate.evaluate(techgate.load_proposal(data), PACK))


def test_a_copy_of_a_trusted_record_does_not_change_the_original() -> None:
    record = techgate.evaluate(techgate.load_proposal(EXAMPLES / "callback-queue.yaml"), PACK)
    criterion = record.criteria[0]
    changed = criterion.model_copy(update={"title": "Changed"})
    assert changed.title == "Changed" and criterion.title != "Changed"
    assert criterion.model_fields_set == set(type(criterion).model_fields)
    assert changed.model_fields_set is not criterion.model_fields_set
