"""Input over a limit (size, nesting, number of values, alias bombs) is refused through the
command line with exit code 2, the file and line named, no traceback and nothing written.

How fast the refusals are is measured by bench/bench_loading.py, never asserted here.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hostile import HOSTILE, Hostile
from hypothesis import given, settings
from hypothesis import strategies as st

import techgate
from techgate.cli import cli
from techgate.errors import InvalidInputError
from techgate.loading.yaml_source import MAX_DEPTH, MAX_VALUES, parse_yaml_text, read_yaml_file


def where(source: Path, hostile: Hostile) -> str:
    if hostile.line is None:
        return f"{source}: "
    return f"{source}:{hostile.line}:{hostile.column}: " if hostile.column else f"{source}:"


@pytest.fixture(scope="module", params=sorted(HOSTILE))
def hostile(request: pytest.FixtureRequest) -> tuple[str, Hostile]:
    return request.param, HOSTILE[request.param]()


def test_evaluate_refuses_and_writes_nothing(hostile: tuple[str, Hostile], tmp_path: Path) -> None:
    _, case = hostile
    source = tmp_path / "proposal.yaml"
    source.write_text(case.text, encoding="utf-8")
    outputs = tmp_path / "out"
    outputs.mkdir()
    result = CliRunner().invoke(
        cli,
        [
            *("evaluate", str(source), "-f", "json", "-o", str(outputs / "record.json")),
            *("--html", str(outputs), "--md", str(outputs)),
        ],
    )
    assert result.exit_code == 2, result.stderr
    assert case.message in result.stderr
    assert where(source, case) in result.stderr
    assert result.stderr.count(str(source)) == 1  # one problem: the read stops at the limit
    assert "Traceback" not in result.stderr + result.stdout
    assert "nothing was written" in result.stderr
    assert list(outputs.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "proposal.yaml"]


def test_validate_refuses_as_a_proposal_and_as_a_pack(
    hostile: tuple[str, Hostile], tmp_path: Path
) -> None:
    _, case = hostile
    source = tmp_path / "pack.yaml"
    source.write_text(case.text, encoding="utf-8")
    for args in (["validate", str(source)], ["criteria", "show", str(source)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.stderr)
        assert case.message in result.stderr and where(source, case) in result.stderr
        assert "Traceback" not in result.stderr + result.stdout


def test_a_good_proposal_judged_by_a_hostile_pack(
    hostile: tuple[str, Hostile], tmp_path: Path
) -> None:
    _, case = hostile
    pack = tmp_path / "pack.yaml"
    pack.write_text(case.text, encoding="utf-8")
    proposal = Path(__file__).resolve().parent.parent / "examples" / "callback-queue.yaml"
    result = CliRunner().invoke(cli, ["evaluate", str(proposal), "--criteria", str(pack)])
    assert result.exit_code == 2, result.stderr
    assert case.message in result.stderr and where(pack, case) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_library_raises_the_same_problem(hostile: tuple[str, Hostile], tmp_path: Path) -> None:
    _, case = hostile
    source = tmp_path / "proposal.yaml"
    source.write_text(case.text, encoding="utf-8")
    with pytest.raises(InvalidInputError) as raised:
        techgate.load_proposal(source)
    (problem,) = raised.value.problems
    assert case.message in str(problem)
    assert (problem.line, problem.column or None) == (case.line, case.column or None)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_before_it_is_read() -> None:
    with pytest.raises(InvalidInputError, match="not a regular file"):
        read_yaml_file(Path("/dev/zero"))
    result = CliRunner().invoke(cli, ["validate", "/dev/zero"])
    assert result.exit_code == 2 and "/dev/zero" in result.stderr
    assert "not a regular file" in result.stderr


@pytest.mark.parametrize("role", ["proposal", "criteria", "extends", "record"])
def test_a_pipe_is_refused_wherever_an_input_is_named(tmp_path: Path, role: str) -> None:
    import os

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    example = Path(__file__).resolve().parent.parent / "examples" / "callback-queue.yaml"
    if role == "proposal":
        args = ["evaluate", str(fifo)]
    elif role == "criteria":
        proposal = tmp_path / "p.yaml"
        text = example.read_text(encoding="utf-8")
        proposal.write_text(text.replace("pack: contact-centre", "pack: pipe.yaml"))
        args = ["evaluate", str(proposal)]
    elif role == "extends":
        pack = tmp_path / "over.yaml"
        pack.write_text("id: over\ntitle: Over\nversion: 1.0.0\nextends: pipe.yaml\n")
        args = ["evaluate", str(example), "--criteria", str(pack)]
    else:
        args = ["report", str(fifo), "--md", str(tmp_path / "out.md")]
    result = CliRunner().invoke(cli, args)  # a blocking open would hang here
    assert result.exit_code == 2, result.output
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.md").exists()


def test_the_value_limit_is_exact() -> None:
    # The root mapping and the list are two values.
    under = "v: [" + "1, " * (MAX_VALUES - 3) + "1]\n"
    assert len(parse_yaml_text(under, "under.yaml").data["v"]) == MAX_VALUES - 2
    over = "v: [" + "1, " * (MAX_VALUES - 2) + "1]\n"
    with pytest.raises(InvalidInputError, match=f"more than {MAX_VALUES:,} values"):
        parse_yaml_text(over, "over.yaml")


# Nesting of every shape: block mappings and lists, then flow ones inside.
BLOCK = st.lists(st.sampled_from(["map", "list"]), max_size=40)
FLOW = st.lists(st.sampled_from(["map", "list"]), max_size=40)


def nested(block: list[str], flow: list[str]) -> tuple[str, Any]:
    """A document 'v: ...' nesting block then flow collections, and the data it holds."""
    data: Any = "x"
    text = "x"
    for kind in reversed(flow):
        data, text = ({"k": data}, f"{{k: {text}}}") if kind == "map" else ([data], f"[{text}]")
    lines = [text]
    for kind in reversed(block):
        data = {"k": data} if kind == "map" else [data]
        lines = ["k:" if kind == "map" else "-"] + ["  " + line for line in lines]
    return "v:\n" + "".join(f"  {line}\n" for line in lines), {"v": data}


@settings(max_examples=150, deadline=None)
@given(BLOCK, FLOW)
def test_nesting_is_read_to_the_limit_and_refused_past_it(
    block: list[str], flow: list[str]
) -> None:
    text, data = nested(block, flow)
    depth = 1 + len(block) + len(flow)  # of the innermost 'x'; v's value is at depth 1
    if depth <= MAX_DEPTH:
        assert parse_yaml_text(text, "n.yaml").data == data
        return
    with pytest.raises(InvalidInputError) as raised:
        parse_yaml_text(text, "n.yaml")
    (problem,) = raised.value.problems
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message
    assert problem.line is not None and 1 <= problem.line <= text.count("\n")
    # The path named is exactly one level too deep.
    assert problem.field.count("[") + problem.field.count(".") == MAX_DEPTH


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 12), st.integers(1, 9))
def test_aliases_are_counted_as_what_they_repeat(fan_out: int, levels: int) -> None:
    names = [f"l{i}" for i in range(levels)]
    text = f"{names[0]}: &{names[0]} [" + ", ".join(["x"] * fan_out) + "]\n"
    for previous, name in pairwise(names):
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * fan_out) + "]\n"
    sizes = [1 + fan_out]
    for _ in names[1:]:
        sizes.append(1 + fan_out * sizes[-1])
    if 1 + sum(sizes) <= MAX_VALUES:
        data = parse_yaml_text(text, "a.yaml").data
        assert len(data) == levels
        return
    with pytest.raises(InvalidInputError) as raised:
        parse_yaml_text(text, "a.yaml")
    (problem,) = raised.value.problems
    assert "alias bomb" in problem.hint
    crossing = next(i for i in range(levels) if 1 + sum(sizes[: i + 1]) > MAX_VALUES)
    assert problem.line == crossing + 1
