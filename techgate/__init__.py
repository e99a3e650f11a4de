"""techgate: decide whether an organisation should adopt a proposed technology, and say why.

The public API is small::

    import techgate
    pack = techgate.load_criteria("contact-centre")
    proposal = techgate.load_proposal("examples/callback-queue.yaml")
    record = techgate.evaluate(proposal, pack)
    print(record.decision, record.score, record.confidence)

Names are imported on first use so that 'techgate --help' stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techgate._version import __version__

if TYPE_CHECKING:
    from techgate.errors import InvalidInputError, PackNotFoundError, TechgateError
    from techgate.model import CriteriaPack, Decision, Evaluation, Proposal

__all__ = [
    "CriteriaPack",
    "Decision",
    "Evaluation",
    "InvalidInputError",
    "PackNotFoundError",
    "Proposal",
    "TechgateError",
    "__version__",
    "evaluate",
    "load_criteria",
    "load_proposal",
]

_LAZY = {
    "CriteriaPack": "techgate.model",
    "Decision": "techgate.model",
    "Evaluation": "techgate.model",
    "Proposal": "techgate.model",
    "InvalidInputError": "techgate.errors",
    "PackNotFoundError": "techgate.errors",
    "TechgateError": "techgate.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'techgate' has no attribute {name!r}")


def load_criteria(id_or_path: str | Path) -> CriteriaPack:
    """A criteria pack by built-in id ('contact-centre', 'technology') or by path."""
    from techgate.loading import load_pack

    return load_pack(id_or_path)


def load_proposal(path_or_mapping: str | Path | Mapping[str, Any]) -> Proposal:
    """A proposal from a YAML file or from an already-parsed mapping."""
    from techgate.loading import read_proposal

    return read_proposal(path_or_mapping)[0]


def evaluate(proposal: Proposal, pack: CriteriaPack | str | Path) -> Evaluation:
    """The decision record for the proposal, judged by the pack (or a pack's id or path)."""
    from techgate.engine import evaluate as run

    if isinstance(pack, str | Path):
        pack = load_criteria(pack)
    return run(proposal, pack)
