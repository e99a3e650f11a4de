"""Read a YAML file into plain data, remembering where every value was.

ruamel.yaml is used because it reports positions and refuses duplicate keys;
its round-trip loader builds only plain containers and scalars (no arbitrary
objects), and explicit tags are refused here on top of that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.model.problems import dotted

MAX_FILE_BYTES = 1024 * 1024
# A real proposal has a few hundred nodes; the cap stops alias bombs, which
# are small on disk but expand exponentially when walked.
MAX_NODES = 50_000
MAX_DEPTH = 32

DocPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data, and where each path in it stands."""

    name: str
    data: Any
    text: str | None = None
    """The source, kept so that positions can be worked out when a problem needs them."""

    @cached_property
    def positions(self) -> dict[DocPath, tuple[int, int]]:
        """Path to 1-based (line, column); computed on first use, from the source."""
        if self.text is None:
            return {}
        try:
            return _parse_round_trip(self.text, self.name).positions
        except InvalidInputError:
            return {}

    def locate(self, path: DocPath) -> tuple[int | None, int | None]:
        """1-based line and column of the path, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found:
                return found
        return None, None

    def problem(self, path: DocPath, message: str, hint: str = "") -> InputProblem:
        line, column = self.locate(path)
        return InputProblem(self.name, line, column, dotted(path), message, hint)


def read_yaml_file(
    path: Path, display_name: str | None = None, *, allow_tabs: bool = False
) -> Document:
    """Read and parse one YAML file; every failure is an InvalidInputError."""
    name = display_name or str(path)
    if not path.exists():
        raise single_problem(name, "no such file", "check the path and the current directory")
    if path.is_dir():
        raise single_problem(name, "is a directory, not a file", "name a .yaml file inside it")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise single_problem(
            name,
            f"file is {size:,} bytes; techgate reads at most {MAX_FILE_BYTES:,}",
            "a proposal or pack this large is almost certainly the wrong file",
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise single_problem(name, f"cannot be read: {error.strerror}") from error
    return parse_yaml_bytes(raw, name, allow_tabs=allow_tabs)


def parse_yaml_bytes(raw: bytes, name: str, *, allow_tabs: bool = False) -> Document:
    """Parse YAML bytes (UTF-8) into a Document."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise InvalidInputError(
            [
                InputProblem(
                    name,
                    line,
                    column,
                    "",
                    f"byte 0x{raw[error.start]:02x} is not UTF-8",
                    "save the file as UTF-8",
                )
            ]
        ) from error
    return parse_yaml_text(text, name, allow_tabs=allow_tabs)


def parse_yaml_text(text: str, name: str, *, allow_tabs: bool = False) -> Document:
    """Parse YAML text into a Document; JSON callers allow tabs (JSON permits them)."""
    tab_problems = (
        []
        if allow_tabs
        else [
            InputProblem(
                name,
                number,
                line.index("\t") + 1,
                "",
                "tab used for indentation",
                "YAML indents with spaces only",
            )
            for number, line in enumerate(text.splitlines(), start=1)
            if "\t" in line[: len(line) - len(line.lstrip(" \t"))]
        ]
    )
    if tab_problems:
        raise InvalidInputError(tab_problems)
    # Fast path: the safe loader (C-accelerated by ruamel.yaml.clib) builds
    # the data without positions, several times faster than the round-trip
    # parser. Anything it dislikes, and every later problem, is located by
    # the round-trip parse, which runs only then.
    from ruamel.yaml.error import YAMLError

    try:
        tree = _safe_yaml().load(text)
    except YAMLError:
        return _parse_round_trip(text, name)
    if tree is None:
        raise single_problem(name, "file is empty", "run 'techgate init' for a starting template")
    try:
        data = _Walker(name, track_positions=False).plain(tree, ())
    except InvalidInputError:
        return _parse_round_trip(text, name)
    return Document(name, data, text)


@cache
def _safe_yaml() -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe")


def _parse_round_trip(text: str, name: str) -> Document:
    """Parse with positions; every failure is an InvalidInputError located in the file."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise InvalidInputError(
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
        ) from error
    except YAMLError as error:
        raise single_problem(name, f"not valid YAML: {error}") from error
    if tree is None:
        raise single_problem(name, "file is empty", "run 'techgate init' for a starting template")
    walker = _Walker(name, track_positions=True)
    document = Document(name, walker.plain(tree, ()), text)
    document.__dict__["positions"] = walker.positions  # already known: seed the cache
    return document


def _yaml_hint(message: str) -> str:
    if "duplicate key" in message:
        return "each key may appear once in a mapping"
    if "another document" in message:
        return "put one proposal or pack per file (no '---' separators)"
    if "mapping values are not allowed" in message:
        return "quote text that contains ': '"
    return "check indentation and quoting around this position"


class _Walker:
    """Turns ruamel's round-trip nodes into plain dicts, lists and scalars."""

    def __init__(self, name: str, *, track_positions: bool) -> None:
        self.name = name
        self.track_positions = track_positions
        self.positions: dict[DocPath, tuple[int, int]] = {(): (1, 1)}
        self.nodes = 0

    def fail(self, path: DocPath, message: str, hint: str) -> InvalidInputError:
        line, column = self.positions.get(path, (None, None))
        return InvalidInputError(
            [InputProblem(self.name, line, column, dotted(path), message, hint)]
        )

    def plain(self, node: Any, path: DocPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(
                (),
                f"document expands to more than {MAX_NODES:,} values",
                "anchors and aliases that multiply (an alias bomb) are refused",
            )
        if len(path) > MAX_DEPTH:
            raise self.fail(
                path,
                f"nested more than {MAX_DEPTH} levels deep",
                "techgate documents are a few levels deep",
            )
        tag = getattr(getattr(node, "tag", None), "value", None)
        if tag is not None:
            raise self.fail(
                path,
                f"YAML tag {tag!r} is not allowed",
                "remove the tag; techgate reads plain values only",
            )
        if isinstance(node, dict):
            return self._mapping(node, path)
        if isinstance(node, list):
            return self._sequence(node, path)
        return _scalar(node)

    def _sequence(self, node: Any, path: DocPath) -> list[Any]:
        items = []
        for index, item in enumerate(node):
            if self.track_positions:
                line, column = node.lc.item(index)
                self.positions[(*path, index)] = (line + 1, column + 1)
            items.append(self.plain(item, (*path, index)))
        return items

    def _mapping(self, node: Any, path: DocPath) -> dict[str | int, Any]:
        result: dict[str | int, Any] = {}
        for key, value in node.items():
            line, column = node.lc.key(key) if self.track_positions else (-1, -1)
            if not isinstance(key, str | int) or isinstance(key, bool):
                self.positions[(*path, str(key))] = (line + 1, column + 1)
                raise self.fail(
                    (*path, str(key)),
                    f"key {key!r} is not text",
                    "keys are plain words such as 'title'",
                )
            # Keys such as score levels (0: ...) are ints; store them as
            # written so pydantic sees what the user wrote.
            child = (*path, key)
            if self.track_positions:
                self.positions[child] = (line + 1, column + 1)
            result[key] = self.plain(value, child)
        return result


def _scalar(node: Any) -> Any:
    # ruamel wraps scalars in subclasses (ScalarFloat, LiteralScalarString);
    # unwrap to builtins so records and hashes never depend on ruamel types.
    if node is None or isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, dt.datetime):
        return dt.datetime.fromisoformat(node.isoformat())
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    return node
