"""The meeting journal: an append-only JSON Lines file, one event a line, chained by hash.

A line is the canonical JSON (keys sorted, no spaces, UTF-8) of
{"at", "by", "data", "kind", "prev", "seq"}; 'seq' counts lines from 1 and
'prev' is the SHA-256 of the line before (64 zeros for the first), so a line
changed, removed or put in breaks the chain at the line after it. Each line is
written whole, flushed and fsynced before the action it records returns:
after a crash the journal holds every event that was confirmed.

Several processes (assessors in their own terminals, the chair's screen) may
share one journal on a folder. Each append takes an exclusive flock on the
file, reads what the others appended since it last looked, checks its own
event against that fresh state, writes it and lets go; reads take a shared
lock. A line without its newline can therefore only be what a crash left:
it is ignored and said ('torn_line'), and the next append cuts it off before
writing.

Reading refuses what is not a regular file (a symbolic link, a pipe, a
device), a journal over MAX_JOURNAL bytes, a line over MAX_LINE bytes, bytes
that are not UTF-8, JSON nested deeper than MAX_DEPTH, duplicate keys and
numbers JSON cannot carry; every problem names its line.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.meeting.events import ENTRY, KIND_OF, Data
from techgate.meeting.state import EMPTY, AnyEntry, MeetingState, RuleError, fold

MAX_JOURNAL = 64 * 1024 * 1024
MAX_LINE = 256 * 1024
MAX_DEPTH = 32

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """A time as the journal writes it: UTC, microseconds, 'Z'."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    """JSON with keys sorted, no spaces, non-ASCII as UTF-8: one text for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


@dataclass(frozen=True)
class Replayed:
    """A journal's events folded into the meeting's state."""

    state: MeetingState
    """Where the meeting stands."""
    torn_line: int | None
    """The number of a last line a crash left unfinished (ignored), if any."""
    consumed: int
    """Bytes of the complete lines read."""


# Strings, or the brackets that open and close nesting outside them.
_NESTING = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')


def _too_deep(line: bytes) -> bool:
    if line.count(b"[") + line.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for match in _NESTING.finditer(line):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON can carry")


def parse_line(line: bytes, name: str, number: int) -> AnyEntry:
    """One journal line as its event; InvalidInputError naming the line when it is not one."""

    def problem(message: str, field: str = "", hint: str = "") -> InvalidInputError:
        return single_problem(name, message, hint, line=number, field=field)

    if len(line) > MAX_LINE:
        raise problem(f"is {len(line):,} bytes; a journal line holds at most {MAX_LINE:,}")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise problem(f"is not UTF-8 (byte {error.start + 1} of the line)") from None
    if _too_deep(line):
        raise problem(f"nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise problem(f"is not JSON: {error}") from None
    try:
        entry: AnyEntry = ENTRY.validate_python(value)
    except ValidationError as error:
        raise InvalidInputError(
            InputProblem(
                name,
                number,
                1,
                ".".join(str(part) for part in detail["loc"]),
                detail["msg"],
            )
            for detail in error.errors(include_url=False)
        ) from None
    if canonical(value).encode("utf-8") != line:
        raise problem(
            "is not written as techgate writes journal lines (keys sorted, no spaces): "
            "it was edited",
        )
    return entry


def replay(data: bytes, name: str, state: MeetingState = EMPTY, first_line: int = 1) -> Replayed:
    """Fold the journal's bytes (or the bytes after 'state') into the meeting's state.

    Pure: the same bytes always give the same state. A last line without its
    newline is a crash's leftover: ignored, and reported in torn_line.
    """
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or a torn line
    torn = first_line + len(lines) if tail else None
    consumed = len(data) - len(tail)
    for offset, line in enumerate(lines):
        number = first_line + offset
        entry = parse_line(line, name, number)
        try:
            state = fold(state, entry, line_hash(line))
        except RuleError as error:
            raise single_problem(name, str(error), line=number, field=entry.kind) from None
    return Replayed(state, torn, consumed)


def _open_problem(name: str, message: str) -> InvalidInputError:
    return single_problem(name, message, field="(journal)")


def _open_fd(path: Path, *, create: bool) -> int:
    flags = os.O_RDWR | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    if create:
        flags |= os.O_CREAT
    name = str(path)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _open_problem(
                name, "is a symbolic link; a journal must be a regular file"
            ) from None
        if error.errno == errno.ENOENT:
            raise _open_problem(name, "does not exist") from None
        if error.errno == errno.EISDIR:
            raise _open_problem(name, "is a folder, not a journal") from None
        if error.errno in (errno.ENXIO, errno.ENODEV):
            raise _open_problem(name, "is not a regular file") from None
        raise _open_problem(name, f"cannot be opened: {error.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _open_problem(name, "is not a regular file (a pipe, a device?); refused")
    # Blocking again: the file is regular, and reads of it never wait on a writer.
    os.set_blocking(fd, True)
    return fd


class Journal:
    """One process's handle on a meeting journal, shared safely with other processes."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.name = str(path)
        self._fd = fd
        self._state = EMPTY
        self._consumed = 0
        self.torn_line: int | None = None

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> Journal:
        """The journal at path, read and checked; with create, an empty one if none is there."""
        journal = cls(path, _open_fd(path, create=create))
        try:
            journal.refresh()
        except BaseException:
            journal.close()
            raise
        return journal

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> MeetingState:
        """The state as of the last read or append."""
        return self._state

    def refresh(self) -> MeetingState:
        """What the others appended since this process last looked, folded in."""
        with self._locked(fcntl.LOCK_SH):
            self._catch_up()
        return self._state

    def append(self, data: Data, by: str, at: dt.datetime) -> MeetingState:
        """Write one event after everything already in the journal; its state after.

        The event is checked against the journal as it is now (others may have
        appended): refused with InvalidInputError, and nothing written, when it
        is not valid or the meeting's rules do not allow it.
        """
        with self._locked(fcntl.LOCK_EX):
            self._catch_up()
            if self.torn_line is not None:
                # Only a crash leaves a line unfinished while no one holds the lock.
                os.ftruncate(self._fd, self._consumed)
            kind = KIND_OF[type(data)]
            value: dict[str, Any] = {
                "at": stamp(at),
                "by": by,
                "data": data.model_dump(mode="json"),
                "kind": kind,
                "prev": self._state.head,
                "seq": self._state.events + 1,
            }
            try:
                entry: AnyEntry = ENTRY.validate_python(value)
            except ValidationError as error:
                raise InvalidInputError(
                    InputProblem(
                        self.name,
                        None,
                        None,
                        ".".join(str(part) for part in detail["loc"]),
                        detail["msg"],
                    )
                    for detail in error.errors(include_url=False)
                ) from None
            line = canonical(value).encode("utf-8")
            if len(line) >= MAX_LINE:
                raise single_problem(
                    self.name, f"an event of {len(line):,} bytes is too large", field=kind
                )
            try:
                state = fold(self._state, entry, line_hash(line))
            except RuleError as error:
                raise single_problem(self.name, str(error), field=kind) from None
            _write_all(self._fd, line + b"\n")
            os.fsync(self._fd)
            self._state, self._consumed = state, self._consumed + len(line) + 1
            self.torn_line = None
        return self._state

    def _catch_up(self) -> None:
        self._check_same_file()
        size = os.fstat(self._fd).st_size
        if size > MAX_JOURNAL:
            raise _open_problem(
                self.name, f"is {size:,} bytes; a meeting journal holds at most {MAX_JOURNAL:,}"
            )
        if size < self._consumed:
            raise _open_problem(self.name, "is shorter than when it was last read: it was cut")
        fresh = os.pread(self._fd, size - self._consumed, self._consumed)
        replayed = replay(fresh, self.name, self._state, self._state.events + 1)
        self._state = replayed.state
        self._consumed += replayed.consumed
        self.torn_line = replayed.torn_line

    def _check_same_file(self) -> None:
        try:
            now = self.path.lstat()
        except OSError:
            raise _open_problem(self.name, "was removed while the meeting had it open") from None
        held = os.fstat(self._fd)
        if (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            raise _open_problem(
                self.name, "was replaced by another file while the meeting had it open"
            )

    @contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        if self._fd < 0:
            raise _open_problem(self.name, "is closed")
        fcntl.flock(self._fd, how)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_journal(path: Path) -> Replayed:
    """A journal read and checked once, for 'techgate meeting-journal' and tests."""
    fd = _open_fd(path, create=False)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        size = os.fstat(fd).st_size
        if size > MAX_JOURNAL:
            raise _open_problem(
                str(path), f"is {size:,} bytes; a meeting journal holds at most {MAX_JOURNAL:,}"
            )
        data = os.pread(fd, size, 0)
    finally:
        os.close(fd)
    return replay(data, str(path))
