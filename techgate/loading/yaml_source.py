"""Read a YAML file into plain data, remembering where every value was.

The file is read through ruamel's C parser (libyaml, from ruamel.yaml.clib)
one event at a time, and the plain data (dicts, lists, str, int, float, bool,
None, dates) is built here from the events. Building it here, rather than
letting a loader compose the whole document first, is what lets every limit
stop the read at the event that crosses it, with that event's line:

- more than MAX_FILE_BYTES is refused before anything is parsed;
- nesting deeper than MAX_DEPTH stops at the first too-deep value (libyaml
  never sees the rest, and ruamel's recursive composer, which crashes the
  interpreter on very deep nesting, is never used);
- more than MAX_VALUES values stops at the value that crosses the limit; an
  alias counts every value of what it repeats, so an alias bomb stops at the
  alias that would multiply it past the limit, without expanding anything.

libyaml lacks a little of YAML 1.2 (a colon inside a plain scalar in a flow
collection, as in ``{url: http://x}``; anchor names beyond letters and
digits). A file libyaml refuses is read again by ruamel's pure-Python parser,
about 20 times slower, with the same limits applied event by event; before
that, libyaml checks the limits on a copy of the file in which those
constructs are replaced character for character, so that a file over a limit
is refused at libyaml's speed whatever it contains.

Explicit tags are refused, except those that change nothing (``!!str`` on
text, ``!!map``, ``!!seq``, ``!!int 3``); so are duplicate keys and keys that
are not text or integers. Positions (line and column of every key and item)
are worked out by a second pass over the events only when a problem needs
them, so a valid file never pays for them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cache, cached_property
from importlib import import_module
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import implicit_resolvers
from ruamel.yaml.util import create_timestamp, timestamp_regexp

from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.model.problems import dotted

MAX_FILE_BYTES = 1024 * 1024
# A real proposal has a few hundred values, the largest packs a few thousand;
# the cap bounds the work for any file, and stops alias bombs, which are
# small on disk but expand exponentially when walked.
MAX_VALUES = 50_000
MAX_DEPTH = 32

DocPath = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data, and where each path in it stands."""

    name: str
    data: Any
    text: str | None = None
    """The source, kept so that positions can be worked out when a problem needs them."""

    @cached_property
    def positions(self) -> dict[DocPath, Position]:
        """Path to 1-based (line, column); computed on first use, from the source."""
        if self.text is None:
            return {}
        try:
            return _read(self.text, self.name, track_positions=True)[1] or {}
        except InvalidInputError:  # cannot happen: the text was read once without problems
            return {}

    def locate(self, path: DocPath) -> tuple[int | None, int | None]:
        """1-based line and column of the path, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found:
                return found
        # Nothing of the path was located (the file's top level is not a
        # mapping, say): the problem is the document's, which starts here.
        return 1, 1

    def problem(self, path: DocPath, message: str, hint: str = "") -> InputProblem:
        line, column = self.locate(path)
        return InputProblem(self.name, line, column, dotted(path), message, hint)


# The files the loaders have read, while a caller records them: commands
# refuse to write over any of them (a pack named by a proposal, a base pack
# named by 'extends' ...), whoever named it.
_READS: ContextVar[list[Path] | None] = ContextVar("techgate_reads", default=None)


@contextmanager
def recording_reads() -> Iterator[list[Path]]:
    """Collect the path of every file the loaders read inside the block."""
    reads: list[Path] = []
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)


def read_limited(path: Path, name: str, limit: int) -> bytes:
    """The bytes of a regular file of at most limit bytes; anything else is an InvalidInputError.

    Devices, pipes and sockets are refused before they are opened: a FIFO
    would block the open and /dev/zero never ends. The check is repeated on
    the open file, so a file swapped for a pipe in between is refused too.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise single_problem(
            name, "no such file", "check the path and the current directory"
        ) from None
    except OSError as error:
        raise single_problem(name, f"cannot be read: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise single_problem(name, "is a directory, not a file", "name a .yaml file inside it")
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(name)
    if info.st_size > limit:
        raise _too_large(name, f"file is {info.st_size:,} bytes", limit)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise single_problem(name, f"cannot be read: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _not_regular(name)
        try:
            raw = handle.read(limit + 1)
        except OSError as error:
            raise single_problem(name, f"cannot be read: {error.strerror}") from None
    if len(raw) > limit:
        raise _too_large(name, "file has more than that many bytes", limit)
    reads = _READS.get()
    if reads is not None:
        reads.append(path)
    return raw


def _not_regular(name: str) -> InvalidInputError:
    return single_problem(
        name,
        "is not a regular file (a device, a pipe or a socket)",
        "techgate reads inputs only from ordinary files",
    )


def read_yaml_file(
    path: Path, display_name: str | None = None, *, allow_tabs: bool = False
) -> Document:
    """Read and parse one YAML file; every failure is an InvalidInputError."""
    name = display_name or str(path)
    raw = read_limited(path, name, MAX_FILE_BYTES)
    return parse_yaml_bytes(raw, name, allow_tabs=allow_tabs)


def _too_large(name: str, found: str, limit: int = MAX_FILE_BYTES) -> InvalidInputError:
    return single_problem(
        name,
        f"{found}; techgate reads at most {limit:,}",
        "a proposal or pack this large is almost certainly the wrong file",
    )


def decode_utf8(raw: bytes, name: str) -> str:
    """The text of a file, or an InvalidInputError at the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        raise InvalidInputError(
            [
                InputProblem(
                    name,
                    line,
                    column,
                    "",
                    f"byte 0x{raw[error.start]:02x} is not UTF-8"
                    + (" (the file starts with a UTF-16 byte order mark)" if utf16 else ""),
                    "save the file as UTF-8",
                )
            ]
        ) from None


def parse_yaml_bytes(raw: bytes, name: str, *, allow_tabs: bool = False) -> Document:
    """Parse YAML bytes (UTF-8) into a Document."""
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(name, f"text is {len(raw):,} bytes")
    text = decode_utf8(raw, name)
    return parse_yaml_text(text, name, allow_tabs=allow_tabs)


def parse_yaml_text(text: str, name: str, *, allow_tabs: bool = False) -> Document:
    """Parse YAML text into a Document; JSON callers allow tabs (JSON permits them)."""
    if len(text) > MAX_FILE_BYTES:  # characters are at least a byte each
        raise _too_large(name, f"text is {len(text):,} characters")
    if not allow_tabs and "\t" in text:
        tab_problems = [
            InputProblem(
                name,
                number,
                line.index("\t") + 1,
                "",
                "tab used for indentation",
                "YAML indents with spaces only",
            )
            # split('\n'), not splitlines(): YAML counts only LF and CR as
            # line breaks, Python also FS, GS, RS, NEL and U+2028/9.
            for number, line in enumerate(text.split("\n"), start=1)
            if "\t" in line[: len(line) - len(line.lstrip(" \t"))]
        ]
        if tab_problems:
            raise InvalidInputError(tab_problems)
    data, positions = _read(text, name, track_positions=False)
    if data is None:
        blank = all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))
        raise single_problem(
            name,
            "file is empty" if blank else "the document holds no fields (it reads as null)",
            "run 'techgate init' for a starting template",
            line=1,
        )
    document = Document(name, data, text)
    if positions is not None:
        document.__dict__["positions"] = positions  # already known: seed the cache
    return document


def _yaml_hint(message: str) -> str:
    if "another document" in message:
        return "put one proposal or pack per file (no '---' separators)"
    if "mapping values are not allowed" in message:
        return "quote text that contains ': '"
    return "check indentation and quoting around this position"


# ---------------------------------------------------------------------------
# Events to plain data


class _Nothing:
    """No key is waiting for its value (the next scalar in a mapping is a key)."""


_NO_KEY: Any = _Nothing()
_MERGE: Any = type("_Merge", (), {"__repr__": lambda self: "'<<'"})()
_CORE = "tag:yaml.org,2002:"
# Tags that may stand on a scalar already of that type (!!int 3), changing nothing.
_REDUNDANT_TAGS = frozenset(_CORE + name for name in ("int", "float", "bool", "null"))


@cache
def _libyaml() -> Any:
    """libyaml's event parser (ruamel.yaml.clib's CParser), or None where it is not installed."""
    try:
        return import_module("_ruamel_yaml").CParser
    except ImportError:  # pragma: no cover - only where ruamel.yaml.clib cannot be installed
        return None


def _pure_events(text: str) -> Any:
    from ruamel.yaml import YAML

    return iter(YAML(typ="safe", pure=True).parse(text)).__next__


def _read(
    text: str, name: str, *, track_positions: bool
) -> tuple[Any, dict[DocPath, Position] | None]:
    """The data of a YAML text and its positions, if asked for or free; InvalidInputError if bad.

    libyaml reads the text, building as it goes. Where libyaml refuses the
    syntax, ruamel's pure-Python parser (about 20 times slower, but reading
    all of YAML 1.2) reads it again, since the refusal may be one of the few
    things libyaml does not support; its error, if any, is the one reported.
    That second read stops at every limit too, and runs only after libyaml
    has checked the limits on a copy of the text that it can read: a file
    over a limit is not read by the slow parser. Its read notes the positions
    too, which cost little beside it, so that a problem never needs another.
    """
    parser_class = _libyaml()
    if parser_class is not None:
        builder = _Builder(name, track_positions=track_positions)
        try:
            data = builder.run(parser_class(text).get_event)
            return data, builder.positions if track_positions else None
        except MarkedYAMLError:
            _refuse_if_over_limits(text, name, parser_class)
        except YAMLError as error:  # a character YAML does not allow: both parsers refuse it
            raise _not_yaml(error, text, name, offsets_in_bytes=True) from None
    builder = _Builder(name, track_positions=True)
    try:
        return builder.run(_pure_events(text)), builder.positions
    except YAMLError as error:
        raise _not_yaml(error, text, name, offsets_in_bytes=False) from None


def _refuse_if_over_limits(text: str, name: str, parser_class: Any) -> None:
    """Raise if libyaml, reading as much as it can of the text made readable to it, crosses a limit.

    The copy differs from the text only inside scalars and names, character
    for character, so its values, nesting, lines and columns are the text's;
    at worst it fails sooner, and the slow parser then decides.
    """
    readable = _readable_by_libyaml(text)
    if readable is None:
        return
    try:
        _Builder(name, track_positions=False, limits_only=True).run(
            parser_class(readable).get_event
        )
    except _OverLimitError as error:
        # Keys in the copy may differ from the file's; the line and column do not.
        raise InvalidInputError([replace(p, field="") for p in error.problems]) from None
    except (YAMLError, InvalidInputError):
        pass  # not over a limit as far as libyaml could read


# Inside a plain scalar, YAML 1.2 (and ruamel's parser) read as text a colon
# not followed by a space and a question mark, in flow collections too
# ('{url: http://x?q=1}', '[10:30]'); libyaml refuses both there. Each
# becomes ';', which both read as text. A colon after a quote or bracket is
# JSON's key colon ('{"a":1}'), which both read; a '?' between spaces or
# indicators is a key's mark.
_FLOW_TEXT = re.compile(r"(?<![\"'\]}]):(?=\S)|(?<=[^\s,\[\]{}])\?|\?(?=[^\s,\[\]{}])")
# What follows '&' or '*': an anchor or alias name, or text such as 'R&D'.
# YAML 1.2 names may hold any character but spaces and flow indicators;
# libyaml's only letters, digits, '_' and '-'.
_NAME = re.compile(r"(?<=[&*])[^\s,\[\]{}:'\"\\]+")
_LIBYAML_NAME = re.compile(r"[0-9A-Za-z_-]+\Z")
_NAME_LETTERS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _readable_by_libyaml(text: str) -> str | None:
    """The text with the YAML 1.2 libyaml refuses replaced by what it reads the same way.

    ':' and '?' inside plain scalars become ';', and each name libyaml would refuse
    becomes a distinct unused name of the same length; None if there are too
    many short names to rename.
    """
    text = _FLOW_TEXT.sub(";", text)
    taken = {m.group() for m in _NAME.finditer(text) if _LIBYAML_NAME.match(m.group())}
    renamed: dict[str, str] = {}
    counters: dict[int, int] = {}

    def rename(match: re.Match[str]) -> str:
        name = match.group()
        if _LIBYAML_NAME.match(name):
            return name
        if name not in renamed:
            size = len(name)
            while True:
                index = counters.get(size, 0)
                if index >= len(_NAME_LETTERS) ** size:
                    raise OverflowError
                counters[size] = index + 1
                letters = []
                for _ in range(size):
                    index, digit = divmod(index, len(_NAME_LETTERS))
                    letters.append(_NAME_LETTERS[digit])
                candidate = "".join(letters)
                if candidate not in taken:
                    break
            renamed[name] = candidate
            taken.add(candidate)
        return renamed[name]

    try:
        return _NAME.sub(rename, text)
    except OverflowError:
        return None


class _OverLimitError(InvalidInputError):
    """The document crosses MAX_VALUES or MAX_DEPTH."""


@cache
def _resolvers() -> dict[str, tuple[tuple[str, Any], ...]]:
    """YAML 1.2 implicit types by first character, as ruamel's safe loader resolves them."""
    table: dict[str, list[tuple[str, Any]]] = {}
    for versions, tag, regexp, firsts in implicit_resolvers:
        if (1, 2) in versions:
            for first in firsts:
                table.setdefault(first, []).append((tag.removeprefix(_CORE), regexp))
    return {first: tuple(entries) for first, entries in table.items()}


def _construct(kind: str, text: str) -> Any:
    """The value of a plain scalar that resolved to a core type (as ruamel's SafeConstructor)."""
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() == "true"
    if kind == "int":
        digits = text.replace("_", "")
        sign = -1 if digits[0] == "-" else 1
        digits = digits.lstrip("+-")
        for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
            if digits.startswith(prefix):
                return sign * int(digits[2:], base)
        return sign * int(digits)
    if kind == "float":
        digits = text.replace("_", "").lower()
        factor = -1.0 if digits[0] == "-" else 1.0
        digits = digits.lstrip("+-")
        if digits == ".inf":
            return factor * float("inf")
        if digits == ".nan":
            return float("nan")
        return factor * float(digits)
    if kind == "timestamp":
        match = timestamp_regexp.match(text)
        if match is None:  # the resolver's pattern is looser than the constructor's
            return text
        value = create_timestamp(**match.groupdict())
        if isinstance(value, dt.datetime):  # plain datetime, never a ruamel subclass
            return dt.datetime.fromisoformat(value.isoformat())
        return dt.date(value.year, value.month, value.day)
    if kind == "merge":
        return _MERGE
    return text  # 'value' (=) and 'yaml' (! & *) read as the text written


def _kind(text: str) -> str:
    """The core type a plain scalar resolves to ('str' when none)."""
    for kind, regexp in _resolvers().get(text[:1], ()):
        if regexp.match(text):
            return str(kind)
    return "str"


def _plain(text: str) -> Any:
    kind = _kind(text)
    if kind == "str":
        return text
    try:
        return _construct(kind, text)
    except (ValueError, OverflowError):  # '+_' matches the int pattern; 2026-13-45 a date's
        return text


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _not_yaml(
    error: YAMLError, text: str, name: str, *, offsets_in_bytes: bool
) -> InvalidInputError:
    """A parser's refusal, located in the file."""
    if isinstance(error, MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        return InvalidInputError(
            [
                InputProblem(
                    name,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    "",
                    f"not valid YAML: {message}",
                    _yaml_hint(message),
                )
            ]
        )
    if isinstance(error, ReaderError) and isinstance(error.position, int):
        index = error.position
        if offsets_in_bytes:  # libyaml counts bytes of UTF-8, ruamel's reader characters
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        line = text.count("\n", 0, index)
        column = index - (text.rfind("\n", 0, index) + 1)
        code = ord(error.character) if isinstance(error.character, str) else error.character
        what = f"character #x{code:04x}" if isinstance(code, int) else "a character"
        return InvalidInputError(
            [
                InputProblem(
                    name,
                    line + 1,
                    column + 1,
                    "",
                    f"not valid YAML: {what} is not allowed ({error.reason})",
                    "remove control characters; YAML allows printable text only",
                )
            ]
        )
    return single_problem(name, f"not valid YAML: {error}")


class _Frame:
    """An open mapping or sequence."""

    __slots__ = ("anchor", "container", "is_map", "key", "key_mark", "merged", "start")

    def __init__(self, container: Any, is_map: bool, anchor: str | None, start: int) -> None:
        self.container = container
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_mark: Any = None  # the parser's mark of the key waiting for its value
        self.anchor = anchor
        self.start = start  # values counted before this collection
        self.merged: dict[Any, Any] | None = None


class _Builder:
    """Builds plain data from parser events, enforcing every limit as the events arrive."""

    def __init__(self, name: str, *, track_positions: bool, limits_only: bool = False) -> None:
        self.name = name
        self.track_positions = track_positions
        self.limits_only = limits_only  # tags, keys and duplicates unchecked
        self.positions: dict[DocPath, Position] = {(): (1, 1)}
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, values it holds)
        self.heights: dict[int, int] = {}
        self.plain_values: dict[str, Any] = {}

    # -- errors -------------------------------------------------------------

    def path(self) -> DocPath:
        """Where the next value goes: the keys and indexes of the open collections."""
        parts: list[str | int] = []
        for frame in self.stack:
            if frame.is_map:
                if frame.key is not _NO_KEY:
                    parts.append(frame.key if frame.key is not _MERGE else "<<")
            else:
                parts.append(len(frame.container))
        return tuple(parts)

    def fail(
        self, mark: Any, message: str, hint: str, path: DocPath | None = None
    ) -> InvalidInputError:
        """The problem at mark; a value in a mapping is placed at its key, as positions are."""
        top = self.stack[-1] if self.stack else None
        if path is None and top is not None and top.is_map and top.key is not _NO_KEY:
            mark = top.key_mark
        line, column = mark.line + 1, mark.column + 1
        where = self.path() if path is None else path
        return InvalidInputError(
            [InputProblem(self.name, line, column, dotted(where), message, hint)]
        )

    def run(self, next_event: Any) -> Any:
        """The document's data (None for an empty one), from its events."""
        stack = self.stack
        track = self.track_positions
        positions = self.positions
        anchors = self.anchors
        plain_values = self.plain_values  # files repeat words and numbers: resolve each once
        paths: list[DocPath] = [()]  # path of each open collection (tracking only)
        top: _Frame | None = None
        count = 0
        documents = 0
        root: Any = None
        while True:
            event = next_event()
            kind = event.__class__
            if kind is ScalarEvent:
                if event.implicit[0]:
                    value = plain_values.get(event.value, _NO_KEY)
                    if value is _NO_KEY:
                        value = plain_values[event.value] = _plain(event.value)
                elif event.tag is None:
                    value = event.value
                else:
                    value = self._tagged(event)
                mark = event.start_mark
                if top is not None and top.is_map and top.key is _NO_KEY:
                    if value.__class__ is str and value not in top.container:
                        top.key = value  # the common case of _set_key
                        top.key_mark = mark
                    else:
                        self._set_key(top, value, mark)
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1)
                    continue
                count += 1
                if count > MAX_VALUES:
                    raise self._too_many(mark, alias=False)
                if len(stack) > MAX_DEPTH:
                    raise self._too_deep(mark)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
                if track and top is not None:
                    positions[self._child(top, paths[-1])] = self._where(top, mark)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                is_map = kind is MappingStartEvent
                mark = event.start_mark
                if top is not None and top.is_map and top.key is _NO_KEY:
                    raise self.fail(
                        mark,
                        f"a key must be text, not {'a mapping' if is_map else 'a list'}",
                        "keys are plain words such as 'title'",
                    )
                if (
                    event.tag is not None
                    and event.tag != _CORE + ("map" if is_map else "seq")
                    and not self.limits_only
                ):
                    raise self._tag_refused(event)
                count += 1
                if count > MAX_VALUES:
                    raise self._too_many(mark, alias=False)
                if len(stack) > MAX_DEPTH:
                    raise self._too_deep(mark)
                if track and top is not None:
                    child = self._child(top, paths[-1])
                    positions[child] = self._where(top, mark)
                    paths.append(child)
                top = _Frame({} if is_map else [], is_map, event.anchor, count)
                stack.append(top)
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                value = frame.container
                if frame.merged:
                    value = {**frame.merged, **value}
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, count - frame.start + 1)
                top = stack[-1] if stack else None
                if top is None:
                    root = value
                    continue
                if track:
                    paths.pop()
            elif kind is AliasEvent:
                mark = event.start_mark
                value = self._alias(event, top, count)
                if top is not None and top.is_map and top.key is _NO_KEY:
                    self._set_key(top, value, mark)
                    continue
                count += anchors[event.anchor][1]
                if track and top is not None:
                    positions[self._child(top, paths[-1])] = self._where(top, mark)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        event.start_mark,
                        "not valid YAML: expected a single document in the stream "
                        "but found another document",
                        _yaml_hint("another document"),
                        (),
                    )
                continue
            elif kind is StreamEndEvent:
                return root
            else:
                continue  # stream start, document end
            # A complete value: put it where it belongs.
            if top is None:
                root = value
            elif not top.is_map:
                top.container.append(value)
            elif top.key is _MERGE:
                self._merge(top, value)
                top.key = _NO_KEY
            else:
                top.container[top.key] = value
                top.key = _NO_KEY

    # -- pieces of the loop ---------------------------------------------------

    def _tagged(self, event: Any) -> Any:
        """A scalar with an explicit tag: accepted only where the tag changes nothing."""
        tag = event.tag
        text = event.value
        if tag == _CORE + "str" or self.limits_only:
            return text
        if tag in _REDUNDANT_TAGS and _kind(text) == tag.removeprefix(_CORE):
            return _plain(text)
        raise self._tag_refused(event)

    def _tag_refused(self, event: Any) -> InvalidInputError:
        return self.fail(
            event.start_mark,
            f"YAML tag {_tag_name(event.tag)!r} is not allowed",
            "remove the tag; techgate reads plain values only",
        )

    def _set_key(self, frame: _Frame, key: Any, mark: Any) -> None:
        if self.limits_only:
            frame.key = key if isinstance(key, str | int) else str(key)
            frame.key_mark = mark
            return
        if key is not _MERGE and (not isinstance(key, str | int) or isinstance(key, bool)):
            raise self.fail(
                mark,
                f"key {key!r} is not text",
                "keys are plain words such as 'title'",
                (*self.path(), str(key)),
            )
        if key in frame.container or (key is _MERGE and frame.merged is not None):
            raise self.fail(
                mark,
                f"duplicate key {'<<' if key is _MERGE else key!r}",
                "each key may appear once in a mapping",
                (*self.path(), "<<" if key is _MERGE else key),
            )
        frame.key = key
        frame.key_mark = mark

    def _merge(self, frame: _Frame, value: Any) -> None:
        """'<<: *base' or a list of them: keys written in the mapping win, then the first listed."""
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(source, dict) for source in sources):
            raise self.fail(
                frame.key_mark,
                "'<<' merges mappings only",
                "give '<<' an alias of a mapping, or a list of them",
                (*self.path(), "<<"),
            )
        merged: dict[Any, Any] = {}
        for source in reversed(sources):
            merged.update(source)
        frame.merged = merged

    def _alias(self, event: Any, top: _Frame | None, count: int) -> Any:
        name = event.anchor
        if name not in self.anchors:
            if any(frame.anchor == name for frame in self.stack):
                message = f"alias *{name} is used inside the value it names"
            else:
                message = f"not valid YAML: found undefined alias {name!r}"
            raise self.fail(event.start_mark, message, "define the anchor (&name) before using it")
        value, size = self.anchors[name]
        keyed = top is not None and top.is_map and top.key is _NO_KEY
        if keyed:
            return value
        if count + size > MAX_VALUES:
            raise self._too_many(event.start_mark, alias=True)
        if len(self.stack) + self._height(value) > MAX_DEPTH:
            raise self._too_deep(event.start_mark)
        return value

    def _height(self, value: Any) -> int:
        """How many levels a value nests below itself (aliases share, so remember by identity)."""
        if not isinstance(value, dict | list):
            return 0
        known = self.heights.get(id(value))
        if known is None:
            children = value.values() if isinstance(value, dict) else value
            known = 1 + max((self._height(child) for child in children), default=-1)
            self.heights[id(value)] = known
        return known

    def _too_many(self, mark: Any, *, alias: bool) -> InvalidInputError:
        return _OverLimitError(
            self.fail(
                mark,
                f"document holds more than {MAX_VALUES:,} values",
                "anchors and aliases that multiply (an alias bomb) are refused"
                if alias
                else "a proposal or pack holds a few thousand values; is this the right file?",
            ).problems
        )

    def _too_deep(self, mark: Any) -> InvalidInputError:
        return _OverLimitError(
            self.fail(
                mark,
                f"nested more than {MAX_DEPTH} levels deep",
                "techgate documents are a few levels deep",
            ).problems
        )

    @staticmethod
    def _child(top: _Frame, path: DocPath) -> DocPath:
        if top.is_map:
            return (*path, "<<" if top.key is _MERGE else top.key)
        return (*path, len(top.container))

    @staticmethod
    def _where(top: _Frame, mark: Any) -> Position:
        if top.is_map:
            mark = top.key_mark
        return (mark.line + 1, mark.column + 1)
