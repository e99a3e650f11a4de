"""Read proposals and check them against a pack."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from techgate.loading.packs import DEFAULT_PACK
from techgate.loading.validation import raise_if_any, validate_document
from techgate.loading.yaml_source import Document, read_yaml_file
from techgate.model.criteria import CriteriaPack
from techgate.model.problems import proposal_problems
from techgate.model.proposal import Proposal


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
