"""Writing files and printing: the only place techgate touches the terminal or output files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from techgate.errors import single_problem

if TYPE_CHECKING:
    from techgate.cli.options import DocumentRequest
    from techgate.model.evaluation import Evaluation


def resolve_output(given: str | Path, stem: str, suffix: str) -> Path:
    """The file to write: the path itself, or <stem><suffix> inside it if it is a folder.

    A path typed with a trailing separator ('reports/') is a folder, made if
    missing; it never becomes a file of that name.
    """
    text = str(given)
    path = Path(text)
    if text.endswith(("/", os.sep)) and not path.is_dir():
        if path.exists():
            raise single_problem(text, "is not a folder", "remove the trailing '/' to name a file")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise single_problem(
                text, f"cannot create the folder: {error.strerror}", "choose another path"
            ) from None
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


def write_documents(evaluation: Evaluation, request: DocumentRequest) -> list[Path]:
    """Render every requested document, then write them; a failed render writes nothing."""
    from techgate.render.documents import DocumentFormat, render_document

    resolved = {
        fmt: resolve_output(path, evaluation.proposal.id, fmt.suffix)
        for fmt, path in ((DocumentFormat(name), path) for name, path in request.paths.items())
    }
    rendered = {
        fmt: render_document(
            evaluation,
            fmt,
            paper=request.paper,  # type: ignore[arg-type]
            user_templates=request.templates,
        )
        for fmt in resolved
    }
    for fmt, content in rendered.items():
        write_atomic(resolved[fmt], content)
    return list(resolved.values())
