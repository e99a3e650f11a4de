"""Fuzzing: mutated proposals and packs never crash techgate, and bad ones are located.

Each example mutates a valid proposal (or the pack it is judged by) at the
level of its data (a value swapped for a hostile one, a key dropped or
added, nesting deepened) or of its text (bytes inserted, lines cut or
doubled, YAML features and encodings a careless or hostile author might
use), then runs 'techgate evaluate' on it and asserts:

- the exit code is 0, 2, 3 or 4, never 1, and there is no traceback;
- on exit 2 every problem names the file, with a line where the file has
  lines to point at, and nothing was written.

The normal suite runs a fixed, derandomised set of examples in a few
seconds. Set TECHGATE_FUZZ=<examples> to explore with fresh random seeds:

    TECHGATE_FUZZ=2000 .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from techgate.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PACK = ROOT / "criteria" / "contact-centre.yaml"
EXPLORE = int(os.environ.get("TECHGATE_FUZZ", "0"))
FUZZ = settings(
    max_examples=EXPLORE or 40,
    derandomize=not EXPLORE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([float("nan"), float("inf"), -0.0, 1e308, 5e-324]),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x1b]0;title\x07",
            "\u202egnp.exe",
            "<script>alert(1)</script>",
            "{{ 7*7 }}",
            "../../etc/passwd",
            "/dev/zero",
            "a" * 5000,
            "2026-02-30",
            "25:00",
            "\ufeff",
            "\x85",
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)

YAML_SNIPPETS = [
    "&a [1, 2]\n",
    "*a\n",
    "<<: {x: 1}\n",
    "!!python/object:os.system ls\n",
    "!!set {a, b}\n",
    "!!omap [a: 1]\n",
    "!!binary aGk=\n",
    "---\n",
    "%YAML 1.1\n",
    "? complex\n: key\n",
    "\t",
    "\x00",
    "\x1b",
    "\r",
    "\ufeff",
    "[" * 200,
    "{" * 50,
    "'unclosed\n",
    '"\\x"\n',
    "key: value\n",
    "- item\n",
    "   ",
]


def _load(text: str) -> Any:
    return YAML(typ="rt").load(text)


def _dump(data: Any) -> str:
    stream = io.StringIO()
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.dump(data, stream)
    return stream.getvalue()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return data


@st.composite
def data_mutation(draw: st.DrawFn, text: str) -> bytes:
    data = _load(text)
    paths = _paths(data)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["value", "drop", "add", "nest"]))
        if action == "value":
            data = _set(data, path, draw(HOSTILE_VALUES))
        elif action == "drop" and path:
            parent = data
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        elif action == "add":
            parent = data
            for step in path:
                parent = parent[step]
            if isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(HOSTILE_VALUES)
            elif isinstance(parent, list):
                parent.append(draw(HOSTILE_VALUES))
        elif action == "nest":
            depth = draw(st.integers(1, 60))
            value: Any = 1
            for _ in range(depth):
                value = [value]
            data = _set(data, path, value)
    try:
        return _dump(data).encode("utf-8", "surrogatepass")
    except Exception:  # a mutation the dumper refuses: fall back to the text
        return text.encode("utf-8")


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["insert", "cut", "double", "indent", "truncate"]))
        if action == "insert":
            snippet = draw(st.one_of(st.sampled_from(YAML_SNIPPETS), st.text(max_size=10)))
            line = lines[index] if lines else ""
            at = draw(st.integers(0, len(line)))
            lines[index : index + 1] = [line[:at] + snippet + line[at:]]
        elif action == "cut" and lines:
            del lines[index]
        elif action == "double" and lines:
            lines.insert(index, lines[index])
        elif action == "indent" and lines:
            lines[index] = "  " * draw(st.integers(1, 3)) + lines[index]
        elif action == "truncate":
            lines = lines[:index]
    raw = "".join(lines).encode("utf-8", "surrogatepass")
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1", "bom"]))
    if encoding == "utf-16":
        return "".join(lines).encode("utf-16", "surrogatepass")
    if encoding == "latin-1":
        return raw.replace(b"\xc3\xa9", b"\xe9") + b"\xe9"
    if encoding == "bom":
        return b"\xef\xbb\xbf" + raw
    return raw


def mutated(text: str) -> st.SearchStrategy[bytes]:
    return st.one_of(data_mutation(text), text_mutation(text))


_LOCATED = re.compile(r":\d+:\d+: ")


def check_run(tmp_path: Path, args: list[str], mutated_file: Path) -> None:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    result = CliRunner().invoke(cli, [*args, "--json", f"{out}/"])
    output = result.output + result.stderr
    assert result.exit_code in (0, 2, 3, 4), output
    assert "Traceback" not in output and "unexpected error" not in output, output
    if result.exit_code == 2:
        assert list(out.iterdir()) == [], "written despite invalid input"
        problems = [
            line
            for line in result.stderr.splitlines()
            if line and not line.startswith("techgate: ")
        ]
        assert problems, result.stderr
        for line in problems:
            assert line.startswith(str(mutated_file)) or "contact-centre" in line, line
            assert _LOCATED.search(line), f"no line:column in {line!r}"


@pytest.mark.parametrize("example", EXAMPLES[:4], ids=lambda p: p.stem)
def test_mutated_proposals_never_crash_and_are_located(tmp_path: Path, example: Path) -> None:
    text = example.read_text(encoding="utf-8")

    @FUZZ
    @given(content=mutated(text))
    def run(content: bytes) -> None:
        target = tmp_path / "proposal.yaml"
        target.write_bytes(content)
        check_run(tmp_path, ["evaluate", str(target)], target)

    run()


def test_mutated_packs_never_crash_and_are_located(tmp_path: Path) -> None:
    text = PACK.read_text(encoding="utf-8")
    example = ROOT / "examples" / "callback-queue.yaml"

    @FUZZ
    @given(content=mutated(text))
    def run(content: bytes) -> None:
        target = tmp_path / "pack.yaml"
        target.write_bytes(content)
        check_run(tmp_path, ["evaluate", str(example), "--criteria", str(target)], target)

    run()
