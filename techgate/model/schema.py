"""JSON Schemas of techgate's documents, in draft-7 form so editors understand them."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from techgate.model.criteria import CriteriaPack, PackOverlay
from techgate.model.docstrings import all_models, field_docs
from techgate.model.evaluation import Evaluation
from techgate.model.proposal import Proposal
from techgate.vocabulary import SchemaKind

DRAFT_7 = "http://json-schema.org/draft-07/schema#"


_TITLES = {
    SchemaKind.PROPOSAL: "techgate proposal",
    SchemaKind.CRITERIA: "techgate criteria pack",
    SchemaKind.EVALUATION: "techgate decision record",
}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The schema, with '$defs' renamed to draft-7's 'definitions'."""
    template = "#/definitions/{model}"
    if kind is SchemaKind.PROPOSAL:
        schema = Proposal.model_json_schema(ref_template=template)
    elif kind is SchemaKind.EVALUATION:
        schema = Evaluation.model_json_schema(ref_template=template, mode="serialization")
    else:
        schema = TypeAdapter(CriteriaPack | PackOverlay).json_schema(ref_template=template)
    _describe(schema, kind)
    for definition in schema.get("$defs", {}).values():
        _describe(definition, None)
    definitions = schema.pop("$defs", {})
    result: dict[str, Any] = {"$schema": DRAFT_7, "title": _TITLES[kind], **schema}
    if definitions:
        result["definitions"] = definitions
    return result


_ROOTS = {SchemaKind.PROPOSAL: Proposal, SchemaKind.EVALUATION: Evaluation}


def _describe(schema: dict[str, Any], kind: SchemaKind | None) -> None:
    """Give each property of a model's schema its field docstring."""
    for member in schema.get("anyOf", ()):
        if isinstance(member, dict) and "properties" in member:
            _describe(member, None)
    model = _ROOTS.get(kind) if kind else all_models().get(schema.get("title", ""))
    if model is None:
        return
    docs = field_docs(model)
    for name, prop in schema.get("properties", {}).items():
        if name in docs and "description" not in prop:
            prop["description"] = docs[name]
