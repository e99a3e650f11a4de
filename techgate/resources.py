"""Where techgate's own files (built-in packs, templates) are on this machine."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    """The folder of built-in 'criteria' or 'templates'.

    A wheel carries them inside the package (techgate/_data/...); a source
    checkout or editable install keeps them at the top of the repository.
    """
    installed = _PACKAGE / "_data" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / kind
