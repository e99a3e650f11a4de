"""The event-driven reader gives the data ruamel's safe loader gives, and the positions its
round-trip parser gives, on every shipped file and on generated ones."""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, EXAMPLES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from techgate.errors import InvalidInputError
from techgate.loading.yaml_source import (
    DocPath,
    parse_yaml_text,
    read_yaml_file,
)

SHIPPED = sorted(EXAMPLES.glob("*.yaml")) + sorted((ROOT / "criteria").glob("*.yaml"))
SHIPPED += sorted(CASES.rglob("*.yaml"))


def safe_data(text: str) -> Any:
    """What ruamel's safe loader reads, as plain builtins."""
    return plain(YAML(typ="safe", pure=True).load(text))


def plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return dt.datetime.fromisoformat(value.isoformat())
    return value


def round_trip_positions(text: str) -> dict[DocPath, tuple[int, int]]:
    """Every key's and item's 1-based line and column, as ruamel's round-trip parser has them."""
    positions: dict[DocPath, tuple[int, int]] = {(): (1, 1)}

    def walk(node: Any, path: DocPath) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                line, column = node.lc.key(key)
                positions[(*path, key)] = (line + 1, column + 1)
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                line, column = node.lc.item(index)
                positions[(*path, index)] = (line + 1, column + 1)
                walk(item, (*path, index))

    walk(YAML(typ="rt", pure=True).load(text), ())
    return positions


def same(a: Any, b: Any) -> bool:
    """Equality in which NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_files_read_as_ruamel_reads_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    document = read_yaml_file(path)
    assert same(document.data, safe_data(text))
    assert document.positions == round_trip_positions(text)


# Plain data such as proposals hold; keys as techgate allows them (text, or integer levels).
# Without NEL, LS and PS, which libyaml counts as line breaks and ruamel's parser does not.
TEXT = st.characters(exclude_characters="\x85\u2028\u2029")
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.dates()
    | st.text(TEXT, max_size=30)
)
KEYS = st.text(TEXT, min_size=1, max_size=12) | st.integers(0, 10)
DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def dump(data: Any, flow: bool | None) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.width = 60
    buffer = io.StringIO()
    yaml.dump({"root": data}, buffer)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DATA, st.sampled_from([False, True, None]))
def test_generated_documents_read_as_ruamel_reads_them(data: Any, flow: bool | None) -> None:
    text = dump(data, flow)
    try:
        expected = safe_data(text)
    except Exception:  # ruamel's dumper writes ':0' unquoted in flow, which it cannot read
        with pytest.raises(InvalidInputError):
            parse_yaml_text(text, "generated.yaml")
        return
    document = parse_yaml_text(text, "generated.yaml")
    assert same(document.data, expected)
    assert document.positions == round_trip_positions(text)


WORDS = st.sampled_from(
    ["0", "-0", "+5", "0o17", "017", "0x1F", "0b101", "1_000", "1.5", "-.5", "1e3", "1.5E-3",
     ".inf", "-.Inf", ".nan", "~", "null", "Null", "true", "False", "yes", "no", "on",
     "2026-10-12", "2026-10-12 10:00:00", "2026-10-12T10:00:00.5+02:00", "2026-1-2 3:04:05",
     "<<", "=", "1:20", "0.", "._5", "1__2", "-", "+_"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(WORDS | st.from_regex(r"\A[-+0-9.eExob_:a-fT ]{1,12}\Z"))
def test_plain_words_resolve_as_the_safe_loader_resolves_them(word: str) -> None:
    text = f"value: {word}\n"
    try:
        expected = safe_data(text)
    except Exception:  # ruamel refuses it or fails; techgate keeps it as text or refuses it too
        return
    if word.strip() in {"<<", "="}:
        return  # ruamel reads these as merge or value markers; techgate as the text
    try:
        got = parse_yaml_text(text, "word.yaml").data
    except InvalidInputError:
        return  # e.g. '1: 2' read as a nested mapping, refused where ruamel composes
    assert same(got, expected), (word, got, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!str 5\n", {"a": "5"}),
        ("a: !!int 5\n", {"a": 5}),
        ("a: !!map {b: 1}\n", {"a": {"b": 1}}),
        ("a: !!seq [1]\n", {"a": [1]}),
        ("b: &x {c: 1}\nd:\n  <<: *x\n  e: 2\n", {"b": {"c": 1}, "d": {"c": 1, "e": 2}}),
        ("b: &x {c: 1, e: 0}\nd: {e: 2, <<: *x}\n", {"b": {"c": 1, "e": 0}, "d": {"c": 1, "e": 2}}),
        ("a: &x {c: 1}\nb: &y {c: 2, d: 3}\nm: {<<: [*x, *y]}\n", None),
        ("a: &x [1, 2]\nb: *x\n", {"a": [1, 2], "b": [1, 2]}),
        ("a: 2026-13-45\n", {"a": "2026-13-45"}),
        ("%YAML 1.1\n---\na: yes\n", {"a": "yes"}),
        ("\ufeffa: 1\n", {"a": 1}),
        # YAML 1.2 that libyaml refuses: read by ruamel's own parser instead.
        ("a: [10:30, {url: http://x.org}]\n", {"a": ["10:30", {"url": "http://x.org"}]}),
        ("a: [x:, y]\n", {"a": ["x:", "y"]}),
        ('{"a":1, b: [c:d]}\n', {"a": 1, "b": ["c:d"]}),
    ],
)
def test_tags_merges_and_aliases(text: str, expected: Any) -> None:
    data = parse_yaml_text(text, "t.yaml").data
    assert same(data, expected if expected is not None else safe_data(text))


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        ("a: !!binary aGVsbG8=\n", "YAML tag '!!binary' is not allowed", (1, 1)),
        ("a: !!set {x, y}\n", "YAML tag '!!set' is not allowed", (1, 1)),
        ("a: !foo x\n", "YAML tag '!foo' is not allowed", (1, 1)),
        ("a: !!int x\n", "YAML tag '!!int' is not allowed", (1, 1)),
        ("a:\n  - !!python/object:os.system x\n", "'!!python/object:os.system'", (2, 5)),
        ("a: 1\na: 2\n", "duplicate key 'a'", (2, 1)),
        ("1.5: x\n", "key 1.5 is not text", (1, 1)),
        ("true: x\n", "key True is not text", (1, 1)),
        ("? [a]\n: b\n", "a key must be text, not a list", (1, 3)),
        ("a: *x\n", "found undefined alias 'x'", (1, 1)),
        ("a: &x [*x]\n", "alias *x is used inside the value it names", (1, 8)),
        ("a: {<<: [1]}\n", "'<<' merges mappings only", (1, 5)),
        ("a: {t: 10:30}\nb: 1\nb: 2\n", "duplicate key 'b'", (3, 1)),  # read by ruamel's parser
        ("a: 1\n<<: 2\n", "'<<' merges mappings only", (2, 1)),
        ("--- a\n--- b\n", "found another document", (2, 1)),
        ("a: \x07\n", "character #x0007 is not allowed", (1, 4)),
        ("é: 'é' \x01\n", "character #x0001 is not allowed", (1, 8)),
        ("id: [oops\ntitle: x\n", "not valid YAML", (2, 6)),
        ("a: b: c\n", "mapping values are not allowed", (1, 5)),
    ],
)
def test_refusals_name_the_line(text: str, message: str, where: tuple[int, int]) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_yaml_text(text, "t.yaml")
    (problem,) = raised.value.problems
    assert message in problem.message
    assert (problem.line, problem.column) == where, problem


# Pieces of YAML 1.2 that libyaml refuses (colons in flow scalars, anchor names with dots),
# among pieces it reads the same way.
SCALAR_PIECES = st.sampled_from(
    ["a", "a:b", "10:30", "http://x.org/p?q=1", "x:", "R&D", "5*3", "'a:b'", '"x*y: z"',
     '"a\\"b"', "'it''s'", "x::y", "1", "-1.5", "~", "a #b", "a?", "a?b", "a!b", "a%b", "a@b",
     "a|b", "a>b", "a-", "-a", "a'b", 'a"b', "a*", "a&", "[a]:1", '"a":1', "? a", "a ?b"]
)  # fmt: skip
NAMES = st.sampled_from(["a", "a.b", "a:b", "x-1", "é", "a/b"])


@st.composite
def flow_node(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 5 if depth < 3 else 1))
    if choice <= 1:
        return draw(SCALAR_PIECES)
    if choice == 2:
        return "[" + ", ".join(draw(st.lists(flow_node(depth + 1), max_size=3))) + "]"
    if choice == 3:
        pairs = draw(st.lists(st.tuples(SCALAR_PIECES, flow_node(depth + 1)), max_size=3))
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    if choice == 4:
        return f"&{draw(NAMES)} {draw(flow_node(depth + 1))}"
    return f"*{draw(NAMES)}"


def event_kinds(events: Any) -> list[str]:
    kinds: list[str] = []
    while not kinds or kinds[-1] != "StreamEndEvent":
        event = events()
        kinds.append(type(event).__name__ + ("&" if getattr(event, "anchor", None) else ""))
    return kinds


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), flow_node()), min_size=1, max_size=4))
def test_the_copy_libyaml_checks_has_the_structure_ruamel_reads(entries: list[Any]) -> None:
    from techgate.loading.yaml_source import _libyaml, _pure_events, _readable_by_libyaml

    text = "".join(f"{key}{i}: {value}\n" for i, (key, value) in enumerate(entries))
    try:
        expected = event_kinds(_pure_events(text))
    except Exception:
        return  # not YAML to ruamel either: the slow parser refuses it itself
    readable = _readable_by_libyaml(text)
    assert readable is not None and len(readable) == len(text)
    try:
        got = event_kinds(_libyaml()(readable).get_event)
    except Exception:
        return  # libyaml still refuses it: the slow parser reads it, limits applied as it goes
    assert got == expected, (text, readable)
