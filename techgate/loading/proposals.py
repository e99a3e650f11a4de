"""Read proposals and check them against a pack, every check once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from techgate.errors import InputProblem, InvalidInputError
from techgate.loading.packs import DEFAULT_PACK, load_named_pack, load_pack, refer_to
from techgate.loading.sources import FolderPacks, PackSource
from techgate.loading.validation import raise_if_any, validate_document
from techgate.loading.yaml_source import Document, read_yaml_file
from techgate.model.criteria import CriteriaPack
from techgate.model.problems import proposal_problems
from techgate.model.proposal import OLD_PACK_KEY, Assessment, Category, Evidence, Proposal

PackChoice = str | Path | CriteriaPack | None
"""The operator's choice of pack: an id, a path, a pack already loaded, or None
for the proposal's own 'pack' (else the default pack)."""


@dataclass(frozen=True)
class Checked:
    """A proposal and its pack, every check run once, with what the author should hear."""

    proposal: Proposal
    pack: CriteriaPack
    document: Document
    """The proposal's source, for locating later problems."""
    notices: tuple[InputProblem, ...] = ()
    """Not errors: deprecated names and the like, located in the proposal."""


def read_proposal(
    source: str | Path | Mapping[str, Any] | Document,
) -> tuple[Proposal, Document]:
    """The proposal and the document it came from, checked on its own (without a pack)."""
    document = as_document(source)
    proposal = validate_document(Proposal, document)
    raise_if_any(document, proposal_problems(proposal))
    return proposal, document


def as_document(source: str | Path | Mapping[str, Any] | Document) -> Document:
    """A proposal source as a document: a file read with every limit, or a mapping as is."""
    if isinstance(source, Document):
        return source
    if isinstance(source, Mapping):
        return Document("<proposal>", dict(source))
    return read_yaml_file(Path(source))


def check_against_pack(proposal: Proposal, pack: CriteriaPack, document: Document) -> None:
    """Raise, with lines, if the proposal is inconsistent or scores what the pack does not have."""
    raise_if_any(document, proposal_problems(proposal, pack))


def pack_key(document: Document) -> str:
    """The key naming the pack in this document: 'pack', or its old name."""
    data = document.data
    return OLD_PACK_KEY if isinstance(data, dict) and OLD_PACK_KEY in data else "pack"


def folder_of(document: Document) -> Path | None:
    """The folder of the file the document came from; None for a mapping or text."""
    return None if document.name.startswith("<") else Path(document.name).parent


def default_source(document: Document, pack_dirs: Sequence[Path] = ()) -> PackSource:
    """Packs a proposal may name: built-in ones, its own folder and the folders allowed."""
    folder = folder_of(document)
    return FolderPacks(tuple(pack_dirs), near=() if folder is None else (folder,))


def load_for_evaluation(
    source: str | Path | Mapping[str, Any] | Document,
    pack: PackChoice = None,
    packs: PackSource | None = None,
    pack_dirs: Sequence[Path] = (),
) -> Checked:
    """Read a proposal, resolve its pack and check the two together, each check once.

    When the proposal's structure is invalid, the parts that are valid on
    their own (assessments, evidence) are still checked against the pack, so
    that a misspelt field and a misspelt indicator id are reported together.
    """
    document = as_document(source)
    packs = packs or default_source(document, pack_dirs)
    try:
        proposal = validate_document(Proposal, document)
    except InvalidInputError as structural:
        raise InvalidInputError(
            sorted(
                [*structural.problems, *_salvaged_problems(document, pack, packs)],
                key=lambda p: (p.line or 0, p.column or 0),
            )
        ) from None
    try:
        resolved = resolve_pack(proposal, document, pack, packs)
    except InvalidInputError as error:
        # The proposal's own problems are reported with the pack's.
        own = [document.problem(p.path, p.message, p.hint) for p in proposal_problems(proposal)]
        raise type(error)([*error.problems, *own]) from None
    check_against_pack(proposal, resolved, document)
    return Checked(proposal, resolved, document, _notices(document))


def resolve_pack(
    proposal: Proposal, document: Document, choice: PackChoice, packs: PackSource
) -> CriteriaPack:
    """The operator's pack, else the proposal's own (if the source offers it), else the default."""
    if isinstance(choice, CriteriaPack):
        # A pack built in code has not been through a file's checks.
        raise_if_any(Document(f"<pack {choice.id}>", None), list(choice.problems))
        return choice
    if choice is not None:
        return load_pack(choice, packs)
    try:
        return load_named_pack(proposal.pack or DEFAULT_PACK, folder_of(document), packs)
    except InvalidInputError as error:
        # A pack the proposal itself names is reported at the line that names it.
        raise refer_to(error, document, (pack_key(document),)) from None


def _notices(document: Document) -> tuple[InputProblem, ...]:
    if pack_key(document) == OLD_PACK_KEY:
        return (
            document.problem(
                (OLD_PACK_KEY,),
                "'criteria' is the old name of this field and will stop being read",
                "rename it to 'pack'",
            ),
        )
    return ()


def _salvaged_problems(
    document: Document, choice: PackChoice, packs: PackSource
) -> list[InputProblem]:
    """Cross-reference problems of a structurally invalid proposal, as far as they can be known."""
    data = document.data if isinstance(document.data, dict) else {}
    try:
        evidence = TypeAdapter(tuple[Evidence, ...]).validate_python(data.get("evidence", ()))
        assessments = TypeAdapter(tuple[Assessment, ...]).validate_python(
            data.get("assessments", ())
        )
        own = data.get("pack", data.get(OLD_PACK_KEY))
        if isinstance(choice, CriteriaPack):
            pack = choice
        elif choice is not None:
            pack = load_pack(choice, packs)
        else:
            named = own if isinstance(own, str) else DEFAULT_PACK
            pack = load_named_pack(named, folder_of(document), packs)
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
