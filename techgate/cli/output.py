# os.path is used on purpose: its exists() and isdir() answer False for a
# name the system cannot look up (too long, a loop of links, no permission),
# where pathlib on Python 3.11 raises; readlink() is followed hop by hop.
# ruff: noqa: PTH100, PTH105, PTH110, PTH112, PTH113, PTH115, PTH118, PTH120
"""Writing files: the only place techgate creates or replaces output files.

Every command that writes goes through one plan: the destinations are
checked together before anything is rendered (no output may be an input,
no two outputs may be one file, only terminals, /dev/null and pipes are
written through; other special files are refused, never replaced), and the
files are then written all or nothing: each to a temporary beside it,
every original kept aside, and the temporaries renamed into place only when
all of them were written; if anything fails or a signal arrives part way,
the originals are put back.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import gc
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from techgate.errors import InvalidInputError, single_problem

if TYPE_CHECKING:
    from techgate.cli.options import DocumentRequest
    from techgate.errors import InputProblem
    from techgate.model.evaluation import Evaluation
    from techgate.vocabulary import DocumentFormat

# A temporary of ours is stale when the process that made it is gone and it
# is older than this (the age guards against a process id reused by
# another container sharing the folder).
STALE_AFTER_SECONDS = 60.0
# File names from records (proposal ids) must be plain names in one folder.
_SAFE_STEM = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Paths that name one of this process's own descriptors.
_OWN_DESCRIPTOR = re.compile(r"/dev/(?:fd/(\d+)|(stdout)|(stderr))|/proc/(self|\d+)/fd/(\d+)")
# Character devices written through: the null and full devices, and terminals.
_DEVICES_WRITTEN = {(1, 3), (1, 7)}  # /dev/null, /dev/full
_TERMINAL_MAJORS = {4, 5, *range(136, 144)}  # tty, console and ptmx, pseudo-terminals


def resolve_output(given: str | Path, stem: str, suffix: str) -> Path:
    """The file to write: the path itself, or <stem><suffix> inside it if it is a folder.

    A path typed with a trailing separator ('reports/') is a folder, made
    when the files are written; it never becomes a file of that name.
    """
    text = str(given)
    if not text:
        raise single_problem("(empty path)", "an output path is empty", "name a file or a folder")
    if text == "-":
        text = "/dev/stdout"  # the usual spelling of standard output
    path = Path(text)
    folder = text.endswith(("/", os.sep))
    if folder and os.path.lexists(path) and not os.path.isdir(path):
        raise single_problem(text, "is not a folder", "remove the trailing '/' to name a file")
    if folder or os.path.isdir(path):
        if not _SAFE_STEM.fullmatch(stem):
            # An edited record can carry any id; it must not steer the write.
            raise single_problem(
                text,
                f"the proposal id {stem!r} is not a safe file name",
                "name the output file itself instead of a folder",
            )
        return path / f"{stem}{suffix}"
    if descriptor_of(path) is None and not os.path.isdir(path.parent or "."):
        raise single_problem(
            str(path),
            "the folder to write into does not exist",
            "create it first, or end the path with '/' to name a folder to create",
        )
    return path


@dataclass(frozen=True)
class _Target:
    shown: Path  # as the user named it
    real: Path  # where the bytes go (symbolic links followed)
    descriptor: int | None  # one of ours (/dev/stdout ...): written into, never replaced
    through: bool  # a terminal, /dev/null or a pipe: written into, never replaced
    existing: os.stat_result | None  # the regular file it replaces


def descriptor_of(path: Path) -> int | None:
    """The descriptor number if the path, or a link on its way, names one of ours."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        found = _OWN_DESCRIPTOR.fullmatch(current)
        if found:
            number, out, err, pid, pid_number = found.groups()
            if out or err:
                return 1 if out else 2
            if number is not None:
                return int(number)
            if pid == "self" or int(pid) == os.getpid():
                return int(pid_number)
            return None
        try:
            link = os.readlink(current)
        except OSError:
            return None
        current = os.path.normpath(os.path.join(os.path.dirname(current), link))
    return None


def _identity(path: Path) -> tuple[object, ...]:
    try:
        info = path.stat()
    except OSError:
        return ("new", os.path.realpath(path))
    return ("file", info.st_dev, info.st_ino)


def input_paths(*given: str | Path | None) -> list[Path]:
    """The files (or every file in a folder) among the inputs a command was given."""
    found: list[Path] = []
    for item in given:
        if item is None or str(item) == "":
            continue
        path = Path(item)
        if os.path.isdir(path):
            with contextlib.suppress(OSError):
                found += [p for p in path.rglob("*") if os.path.isfile(p)]
        elif os.path.exists(path):
            found.append(path)
    return found


def check_destinations(outputs: Sequence[Path], inputs: Iterable[Path] = ()) -> None:
    """Refuse, before any work, outputs that are inputs, that share a file or that cannot be."""
    read = {_identity(p): p for p in inputs if os.path.exists(p)}
    seen: dict[tuple[object, ...], Path] = {}
    for path in outputs:
        target = _target(path)
        if target.descriptor is not None or target.through:
            continue  # a stream: two outputs may share a terminal or a pipe
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


def _target(path: Path) -> _Target:
    descriptor = descriptor_of(path)
    if descriptor is not None:
        return _Target(path, path, descriptor, True, None)
    try:
        info = path.stat()
    except FileNotFoundError:
        return _Target(path, Path(os.path.realpath(path)), None, False, None)
    except OSError as error:
        raise _os_problem(path, error) from None
    if stat.S_ISREG(info.st_mode):
        if not os.access(path, os.W_OK):
            raise single_problem(
                str(path), "is write-protected", "change its permissions, or choose another path"
            )
        return _Target(path, Path(os.path.realpath(path)), None, False, info)
    if stat.S_ISFIFO(info.st_mode):
        return _Target(path, path, None, True, None)
    if stat.S_ISCHR(info.st_mode):
        device = (os.major(info.st_rdev), os.minor(info.st_rdev))
        if device in _DEVICES_WRITTEN or device[0] in _TERMINAL_MAJORS:
            return _Target(path, path, None, True, None)
    raise single_problem(
        str(path),
        "is not a regular file, a terminal, /dev/null or a pipe",
        "techgate never replaces or writes into other devices, sockets or folders",
    )


def _os_problem(path: Path, error: OSError) -> InvalidInputError:
    reason = error.strerror or str(error)
    hint = {
        errno.EACCES: "check the folder's permissions, or choose another path",
        errno.EPERM: "check the folder's permissions, or choose another path",
        errno.EROFS: "the file system is read-only; choose another path",
        errno.ENOSPC: "free some space, or choose another disk",
        errno.ENAMETOOLONG: "choose a shorter name",
        errno.EPIPE: "the reader of the pipe went away",
    }.get(error.errno or 0, "choose another path")
    if error.errno == errno.ENXIO:
        hint = "nothing is reading from the pipe, or the device is not there"
    return single_problem(str(path), f"cannot write: {reason}", hint)


def write_files(files: Sequence[tuple[Path, bytes]], inputs: Iterable[Path] = ()) -> None:
    """Write every file or none: a failure, or a signal, leaves the destinations as they were.

    Regular files are written to temporaries and the files they replace are
    kept aside first; streams (terminals, pipes, /dev/null), which cannot be
    taken back, are written next; only then are the temporaries renamed into
    place. The inputs are checked again just before, in case an output
    appeared as a link to one since the plan was made.
    """
    check_destinations([path for path, _ in files], inputs)
    targets = [(_target(path), data) for path, data in files]
    created: list[Path] = []
    staged: list[tuple[_Target, Path]] = []
    kept: list[tuple[_Target, Path]] = []
    unrestored: set[int] = set()  # originals that could not be put back: keep their copies
    try:
        for target, data in targets:
            if not target.through:
                created += _make_folder(target)
                staged.append((target, _stage(target, data)))
        for target, _ in staged:
            if target.existing:
                kept.append((target, _keep_original(target)))
        for target, data in targets:
            if target.through:
                _write_through(target, data)
        _commit(staged, {id(target): backup for target, backup in kept}, unrestored)
    except BaseException:
        for _, temporary in staged:
            temporary.unlink(missing_ok=True)
        for target, backup in kept:
            if id(target) not in unrestored:
                backup.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    for _, backup in kept:
        backup.unlink(missing_ok=True)


def _make_folder(target: _Target) -> list[Path]:
    """Create the missing folders above a target; the ones made, outermost first."""
    missing: list[Path] = []
    folder = target.real.parent
    while not os.path.isdir(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            pass
        except OSError as error:
            raise _os_problem(target.shown, error) from None
    return list(reversed(missing))


def _temporary_name(name: str) -> str:
    # The creator's process id is in the name, so that a later run can tell
    # a temporary left by a killed process from one still being written.
    return f".{name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"


def _stage(target: _Target, data: bytes) -> Path:
    folder = target.real.parent
    _remove_stale(folder, target.real.name)
    try:
        descriptor, name = tempfile.mkstemp(
            dir=folder, prefix=f".{target.real.name}.{os.getpid()}-", suffix=".tmp"
        )
    except OSError as error:
        raise _os_problem(target.shown, error) from None
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        existing = target.existing
        temporary.chmod(stat.S_IMODE(existing.st_mode) if existing else _new_file_mode())
        if existing and (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
            # Replacing someone else's file (as root): it stays theirs.
            with contextlib.suppress(OSError):
                os.chown(temporary, existing.st_uid, existing.st_gid)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _os_problem(target.shown, error) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _keep_original(target: _Target) -> Path:
    """The file about to be replaced, kept beside it so that it can be put back."""
    backup = target.real.with_name(_temporary_name(target.real.name))
    try:
        os.link(target.real, backup)
    except OSError:
        # No hard links here (or not allowed to link another's file): a copy.
        try:
            shutil.copy2(target.real, backup)
        except OSError as error:
            backup.unlink(missing_ok=True)
            raise single_problem(
                str(target.shown),
                f"cannot keep a copy of the file it replaces: {error.strerror}",
                "techgate replaces a file only when it can put it back on a failure",
            ) from None
    return backup


def _commit(
    staged: list[tuple[_Target, Path]], kept: dict[int, Path], unrestored: set[int]
) -> None:
    """Rename each temporary into place; on any failure or signal, put back what was there."""
    done: list[_Target] = []
    try:
        for target, temporary in staged:
            done.append(target)
            os.replace(temporary, target.real)
    except BaseException as failure:
        for target in reversed(done):
            backup = kept.get(id(target))
            try:
                if backup is not None:
                    os.replace(backup, target.real)
                else:
                    target.real.unlink(missing_ok=True)
            except OSError:
                # Its kept copy is all there is: out of the way of the stale
                # temporaries' cleanup, under a name that says what it is.
                unrestored.add(id(target))
                if backup is not None:
                    with contextlib.suppress(OSError):
                        backup.rename(target.real.with_name(f"{target.real.name}.original"))
        if isinstance(failure, OSError):
            raise _os_problem(done[-1].shown, failure) from None
        raise


def _write_through(target: _Target, data: bytes) -> None:
    if target.descriptor is not None:
        _write_all(target, target.descriptor, data)
        return
    try:
        # Non-blocking open: a pipe nobody reads fails at once instead of hanging.
        descriptor = os.open(target.shown, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise _os_problem(target.shown, error) from None
    try:
        flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
        fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        _write_all(target, descriptor, data)
    finally:
        os.close(descriptor)


def _write_all(target: _Target, descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(descriptor, view) :]
    except OSError as error:
        raise _os_problem(target.shown, error) from None


def _new_file_mode() -> int:
    # What open() would give a new file: 0666 less the process's umask.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _remove_stale(folder: Path, name: str) -> None:
    """Remove temporaries of this file left by processes that were killed while writing."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)-[0-9a-z_]{{8}}\.tmp")
    cutoff = time.time() - STALE_AFTER_SECONDS
    for entry in _entries(folder):
        found = pattern.fullmatch(entry.name)
        if found and not _alive(int(found.group(1))):
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    Path(entry.path).unlink()


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            yield from entries
    except OSError:
        return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but not ours to signal
    return True


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write one file so that readers see either the old file or the whole new one."""
    write_files([(path, content.encode("utf-8") if isinstance(content, str) else content)])


def printable(text: str) -> str:
    """One line safe to print on a terminal: control characters shown as escapes."""
    from techgate.render.safe_text import printable_line

    return printable_line(text)


def document_paths(evaluation: Evaluation, request: DocumentRequest) -> dict[DocumentFormat, Path]:
    """Each requested document's file."""
    return {
        kind: resolve_output(path, evaluation.proposal.id, kind.suffix)
        for kind, path in request.paths.items()
    }


@functools.cache
def _freeze_heap_once() -> None:
    """Leave what the process holds so far out of the garbage collector's passes.

    WeasyPrint allocates heavily while it lays a report out, and each of the
    collector's older passes walks every object the process holds: the
    modules, pydantic's classes and the pack and record this command made.
    They live until the process ends, so walking them is waste: about 90 ms
    of a fresh 'evaluate --pdf' (docs/performance.md, start-up). Once per
    process, so a batch worker does it before its first document only.
    """
    gc.freeze()


def render_documents(
    evaluation: Evaluation,
    request: DocumentRequest,
    paths: dict[DocumentFormat, Path],
    previous: Evaluation | None = None,
) -> list[tuple[Path, bytes]]:
    """Every requested document, rendered (the HTML once); raises before anything is written.

    With previous, the reports add what changed since that record.
    """
    if not paths:
        return []  # nothing asked: the renderer (and Jinja) need not load
    from techgate import api

    # A command is a new process: compiling the report's template again would
    # cost it about 50 ms (see docs/performance.md, start-up).
    api.keep_compiled_templates()
    _freeze_heap_once()
    rendered = api.render(
        evaluation, paths, paper=request.paper, templates=request.templates, previous=previous
    )
    return [(path, rendered[kind]) for kind, path in paths.items()]


def show_notices(notices: Iterable[InputProblem]) -> None:
    """Tell the author what is not an error but should change (on stderr)."""
    import click

    for notice in notices:
        click.echo(f"warning: {printable(str(notice))}", err=True)


def write_documents(
    evaluation: Evaluation,
    request: DocumentRequest,
    inputs: Iterable[Path] = (),
    previous: Evaluation | None = None,
) -> list[Path]:
    """Check the destinations, render every requested document, then write them all or none."""
    inputs = list(inputs)
    paths = document_paths(evaluation, request)
    check_destinations(list(paths.values()), inputs)
    files = render_documents(evaluation, request, paths, previous)
    write_files(files, inputs)
    return [path for path, _ in files]
