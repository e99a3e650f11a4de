"""The published JSON Schemas are valid draft-7 and describe the real documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, read_yaml
from jsonschema import Draft7Validator
from pydantic import BaseModel

import techgate
from techgate.model import criteria, evaluation, proposal
from techgate.model.docstrings import field_docs

SCHEMAS = ROOT / "docs" / "schema"


def validator(kind: str) -> Draft7Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def json_ready(data: object) -> object:
    # YAML dates are dates; JSON has strings. The schema speaks JSON.
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_and_their_records_match_the_schemas(path: Path) -> None:
    data = json_ready(read_yaml(path))
    assert not list(validator("proposal").iter_errors(data))
    record = techgate.evaluate(
        techgate.load_proposal(path), techgate.load_criteria("contact-centre")
    )
    assert not list(validator("evaluation").iter_errors(json.loads(record.model_dump_json())))


@pytest.mark.parametrize("path", sorted((ROOT / "criteria").glob("*.yaml")), ids=lambda p: p.stem)
def test_packs_match_the_criteria_schema(path: Path) -> None:
    data = json_ready(read_yaml(path))
    # JSON object keys are strings; YAML level keys are ints.
    for criterion in data["criteria"]:
        for indicator in criterion["indicators"]:
            indicator["levels"] = {str(k): v for k, v in indicator["levels"].items()}
    assert not list(validator("criteria").iter_errors(data))


def test_schema_rejects_what_techgate_rejects() -> None:
    data = json_ready(read_yaml(EXAMPLES / "callback-queue.yaml"))
    data["vendr"] = data.pop("vendor")
    messages = [e.message for e in validator("proposal").iter_errors(data)]
    assert any("vendr" in m for m in messages) and any("vendor" in m for m in messages)


def models() -> list[type[BaseModel]]:
    found = []
    for module in (criteria, proposal, evaluation):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


@pytest.mark.parametrize("model", models(), ids=lambda m: m.__name__)
def test_every_field_is_documented_and_models_are_frozen(model: type[BaseModel]) -> None:
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "forbid"
    docs = field_docs(model)
    undocumented = [name for name in model.model_fields if not docs.get(name)]
    assert not undocumented, f"{model.__name__}: {undocumented}"
