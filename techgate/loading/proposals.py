"""Read proposals and check them against a pack."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from techgate.errors import InputProblem, InvalidInputError
from techgate.loading.packs import DEFAULT_PACK, load_pack, refer_to
from techgate.loading.validation import raise_if_any, validate_document
from techgate.loading.yaml_source import Document, read_yaml_file
from techgate.model.criteria import CriteriaPack
from techgate.model.problems import proposal_problems
from techgate.model.proposal import Assessment, Category, Evidence, Proposal


def read_proposal(
    source: str | Path | Mapping[str, Any] | Document,
) -> tuple[Proposal, Document]:
    """The proposal and the document it came from (for locating later problems)."""
    if isinstance(source, Document):
        document = source
    elif isinstance(source, Mapping):
        document = Document("<proposal>", dict(source))
    else:
        document = read_yaml_file(Path(source))
    proposal = validate_document(Proposal, document)
    raise_if_any(document, proposal_problems(proposal))
    return proposal, document


def check_against_pack(proposal: Proposal, pack: CriteriaPack, document: Document) -> None:
    """Raise, with lines, if the proposal scores what the pack does not have."""
    raise_if_any(document, proposal_problems(proposal, pack))


def pack_reference(
    proposal: Proposal, document: Document, override: str | None
) -> tuple[str, Path | None]:
    """Which pack to judge by: --criteria, else the proposal's own 'criteria', else the default."""
    if override:
        return override, None
    if proposal.criteria:
        base = Path(document.name).parent if document.name != "<proposal>" else None
        return proposal.criteria, base
    return DEFAULT_PACK, None


def load_for_evaluation(
    source: str | Path | Document, criteria: str | None = None
) -> tuple[Proposal, CriteriaPack, Document]:
    """Read a proposal, resolve its pack and check the two together.

    When the proposal's structure is invalid, the parts that are valid on
    their own (assessments, evidence) are still checked against the pack, so
    that a misspelt field and a misspelt indicator id are reported together.
    """
    document = source if isinstance(source, Document) else read_yaml_file(Path(source))
    try:
        proposal, document = read_proposal(document)
    except InvalidInputError as structural:
        raise InvalidInputError(
            sorted(
                [*structural.problems, *_salvaged_problems(document, criteria)],
                key=lambda p: (p.line or 0, p.column or 0),
            )
        ) from None
    reference, relative_to = pack_reference(proposal, document, criteria)
    try:
        pack = load_pack(reference, relative_to)
    except InvalidInputError as error:
        # A pack the proposal itself names is reported at its 'criteria:' line.
        raise (error if criteria else refer_to(error, document, ("criteria",))) from None
    check_against_pack(proposal, pack, document)
    return proposal, pack, document


def _salvaged_problems(document: Document, criteria: str | None) -> list[InputProblem]:
    """Cross-reference problems of a structurally invalid proposal, as far as they can be known."""
    data = document.data if isinstance(document.data, dict) else {}
    try:
        evidence = TypeAdapter(tuple[Evidence, ...]).validate_python(data.get("evidence", ()))
        assessments = TypeAdapter(tuple[Assessment, ...]).validate_python(
            data.get("assessments", ())
        )
        own = data.get("criteria")
        base = Path(document.name).parent if document.name != "<proposal>" else None
        pack = load_pack(
            criteria or (own if isinstance(own, str) else DEFAULT_PACK), None if criteria else base
        )
    except (ValidationError, InvalidInputError):
        return []  # those parts are broken too; the structural problems cover them
    # Only the parts the cross-reference rules read are needed; the category
    # is a placeholder that no rule about assessments or evidence reads.
    parts: dict[str, Any] = {
        "evidence": evidence,
        "assessments": assessments,
        "category": Category.OTHER,
    }
    partial = Proposal.model_construct(**parts)
    return [
        document.problem(p.path, p.message, p.hint)
        for p in proposal_problems(partial, pack)
        if p.path[:1] in {("assessments",), ("evidence",)}
    ]
