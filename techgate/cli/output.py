"""Writing files: the only place techgate creates or replaces output files.

Every command that writes goes through one plan: the destinations are
checked together before anything is rendered (no output may be an input, no
two outputs may be one file, special files are written through or refused,
never replaced), and the files are then written all or nothing: each to a
temporary beside it first, renamed into place only when every one of them
was written, and the originals restored if a rename fails part way.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from techgate.errors import single_problem

if TYPE_CHECKING:
    from techgate.cli.options import DocumentRequest
    from techgate.model.evaluation import Evaluation

# A temporary of ours that is older than this was left by a killed process:
# a live one exists only while bytes already rendered are being written.
STALE_AFTER_SECONDS = 60.0
# File names from records (proposal ids) must be plain names in one folder.
_SAFE_STEM = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def resolve_output(given: str | Path, stem: str, suffix: str) -> Path:
    """The file to write: the path itself, or <stem><suffix> inside it if it is a folder.

    A path typed with a trailing separator ('reports/') is a folder, made if
    missing; it never becomes a file of that name.
    """
    text = str(given)
    path = Path(text)
    if text.endswith(("/", os.sep)) and not _is_dir(path):
        if os.path.lexists(path):
            raise single_problem(text, "is not a folder", "remove the trailing '/' to name a file")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise single_problem(
                text, f"cannot create the folder: {error.strerror}", "choose another path"
            ) from None
    if _is_dir(path):
        if not _SAFE_STEM.match(stem) or stem in (".", ".."):
            # An edited record can carry any id; it must not steer the write.
            raise single_problem(
                text,
                f"the proposal id {stem!r} is not a safe file name",
                "name the output file itself instead of a folder",
            )
        return path / f"{stem}{suffix}"
    if not _is_dir(path.parent):
        raise single_problem(
            str(path),
            "the folder to write into does not exist",
            "create it first, or choose another path",
        )
    return path


def _is_dir(path: Path) -> bool:
    # A name the system cannot even look up (too long, a loop of links) is
    # not a folder; writing to it then fails with the system's own reason.
    try:
        return path.is_dir()
    except OSError:
        return False


@dataclass(frozen=True)
class _Target:
    shown: Path  # as the user named it
    real: Path  # where the bytes go (symbolic links followed)
    through: bool  # a character device or a pipe: written into, never replaced
    mode: int | None  # permissions of the regular file it replaces


def _identity(path: Path) -> tuple[object, ...]:
    try:
        info = path.stat()
    except OSError:
        return ("new", os.path.realpath(path))
    return ("file", info.st_dev, info.st_ino)


def check_destinations(outputs: Sequence[Path], inputs: Iterable[Path] = ()) -> None:
    """Refuse, before any work, outputs that are inputs, that share a file or that cannot be."""
    read = {_identity(p): p for p in inputs if p.exists()}
    seen: dict[tuple[object, ...], Path] = {}
    for path in outputs:
        key = _identity(path)
        if key in read:
            raise single_problem(
                str(path), f"is an input of this run ({read[key]})", "write somewhere else"
            )
        if key in seen:
            raise single_problem(
                str(path),
                f"is also where another output goes ({seen[key]})",
                "give each output its own path",
            )
        seen[key] = path
        _target(path)


def _target(path: Path) -> _Target:
    try:
        info = path.stat()
    except FileNotFoundError:
        return _Target(path, Path(os.path.realpath(path)), False, None)
    except OSError as error:
        raise _os_problem(path, error) from None
    if stat.S_ISREG(info.st_mode):
        return _Target(path, Path(os.path.realpath(path)), False, stat.S_IMODE(info.st_mode))
    if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
        return _Target(path, path, True, None)
    raise single_problem(
        str(path),
        "is not a regular file, a terminal or a pipe",
        "techgate never replaces devices, sockets or folders; choose a file",
    )


def _os_problem(path: Path, error: OSError) -> Exception:
    reason = error.strerror or str(error)
    hint = {
        errno.EACCES: "check the folder's permissions, or choose another path",
        errno.EROFS: "the file system is read-only; choose another path",
        errno.ENOSPC: "free some space, or choose another disk",
        errno.ENAMETOOLONG: "choose a shorter name",
        errno.ENXIO: "nothing is reading from the pipe",
    }.get(error.errno or 0, "choose another path")
    return single_problem(str(path), f"cannot write: {reason}", hint)


def write_files(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every file or none: a failure leaves the destinations as they were.

    Regular files are written to temporaries first; devices and pipes, which
    cannot be taken back, are written next; only then are the temporaries
    renamed into place.
    """
    targets = [(_target(path), data) for path, data in files]
    staged: list[tuple[_Target, Path]] = []
    try:
        for target, data in targets:
            if not target.through:
                staged.append((target, _stage(target, data)))
        for target, data in targets:
            if target.through:
                _write_through(target, data)
        _commit(staged)
    except BaseException:
        for _, temporary in staged:
            temporary.unlink(missing_ok=True)
        raise


def _stage(target: _Target, data: bytes) -> Path:
    folder = target.real.parent
    _remove_stale(folder, target.real.name)
    try:
        descriptor, name = tempfile.mkstemp(
            dir=folder, prefix=f".{target.real.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise _os_problem(target.shown, error) from None
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(target.mode if target.mode is not None else _new_file_mode())
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _os_problem(target.shown, error) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _commit(staged: list[tuple[_Target, Path]]) -> None:
    """Rename each temporary into place; on a failure, put back what was there."""
    done: list[tuple[_Target, Path | None]] = []
    try:
        for target, temporary in staged:
            backup = _keep_original(target)
            done.append((target, backup))
            temporary.replace(target.real)
    except OSError as error:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    # Where the rename never happened, the backup and the file
                    # are one inode, and rename() between them does nothing.
                    backup.replace(target.real)
                    backup.unlink(missing_ok=True)
                elif target.mode is None:
                    target.real.unlink(missing_ok=True)
        raise _os_problem(done[-1][0].shown if done else staged[0][0].shown, error) from None
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)


def _keep_original(target: _Target) -> Path | None:
    """A hard link to the file about to be replaced, so that it can be put back."""
    if target.mode is None:
        return None
    backup = target.real.with_name(f".{target.real.name}.{os.getpid()}.bak.tmp")
    try:
        backup.unlink(missing_ok=True)
        os.link(target.real, backup)
    except OSError:
        return None  # a file system without hard links: the rename stays atomic
    return backup


def _write_through(target: _Target, data: bytes) -> None:
    try:
        # Non-blocking open: a pipe nobody reads fails at once instead of hanging.
        descriptor = os.open(target.shown, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        raise _os_problem(target.shown, error) from None
    try:
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    except OSError as error:
        raise _os_problem(target.shown, error) from None
    finally:
        os.close(descriptor)


def _new_file_mode() -> int:
    # What open() would give a new file: 0666 less the process's umask.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _remove_stale(folder: Path, name: str) -> None:
    """Remove temporaries of this file left by a process that was killed while writing."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.[A-Za-z0-9_]+\.tmp$")
    cutoff = time.time() - STALE_AFTER_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if pattern.match(entry.name):
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    Path(entry.path).unlink()


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file so that readers see either the old file or the whole new one."""
    check_destinations([path])
    write_files([(path, content.encode("utf-8") if isinstance(content, str) else content)])


def input_paths(*given: str | Path | None) -> list[Path]:
    """The files (or every file in a folder) among the inputs a command was given."""
    found: list[Path] = []
    for item in given:
        if item is None:
            continue
        path = Path(item)
        if path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file()]
        elif path.exists():
            found.append(path)
    return found


# C0 and C1 control characters (ESC, BEL, CSI, line breaks ...) except tab,
# the line and paragraph separators, and the invisible characters that reorder or hide
# text on screen (bidi marks and overrides, zero-width space, BOM).
_CONTROLS = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ufeff]"
)


def printable(text: str) -> str:
    """Text safe to print on a terminal: control characters shown as escapes, not obeyed."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def document_paths(evaluation: Evaluation, request: DocumentRequest) -> dict[str, Path]:
    """Format name to the file each requested document goes to."""
    from techgate.render.documents import DocumentFormat

    return {
        name: resolve_output(path, evaluation.proposal.id, DocumentFormat(name).suffix)
        for name, path in request.paths.items()
    }


def render_documents(
    evaluation: Evaluation, request: DocumentRequest, paths: dict[str, Path]
) -> list[tuple[Path, bytes]]:
    """Every requested document, rendered; raises before anything is written."""
    from techgate.render.documents import DocumentFormat, render_document

    rendered = []
    for name, path in paths.items():
        content = render_document(
            evaluation,
            DocumentFormat(name),
            paper=request.paper,  # type: ignore[arg-type]
            user_templates=request.templates,
        )
        rendered.append((path, content.encode("utf-8") if isinstance(content, str) else content))
    return rendered


def write_documents(
    evaluation: Evaluation, request: DocumentRequest, inputs: Iterable[Path] = ()
) -> list[Path]:
    """Check the destinations, render every requested document, then write them all or none."""
    paths = document_paths(evaluation, request)
    check_destinations(list(paths.values()), inputs)
    files = render_documents(evaluation, request, paths)
    write_files(files)
    return [path for path, _ in files]
