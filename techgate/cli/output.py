"""Writing files and printing: the only place techgate touches the terminal or output files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from techgate.errors import single_problem


def resolve_output(path: Path, stem: str, suffix: str) -> Path:
    """The file to write: the path itself, or <stem><suffix> inside it if it is a directory."""
    if path.is_dir():
        return path / f"{stem}{suffix}"
    if not path.parent.is_dir():
        raise single_problem(
            str(path),
            "the folder to write into does not exist",
            "create it first, or choose another path",
        )
    return path


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write content so that readers see either the old file or the whole new one, never a part."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
