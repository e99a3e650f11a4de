"""Decision records read back as they were written (issue 7, class 20).

'evaluate --json' then 'report --json' must give the same bytes for every
record evaluate can write: large ones, and text with characters YAML would
have folded (NEL, the Unicode line and paragraph separators, emoji written
as surrogate pairs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from techgate.cli import cli

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from crowd import crowd_proposal  # noqa: E402


def round_trip(tmp_path: Path, proposal: Path) -> tuple[bytes, bytes]:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    result = CliRunner().invoke(cli, ["evaluate", str(proposal), "--json", str(first)])
    assert result.exit_code in (0, 3, 4), result.stderr
    result = CliRunner().invoke(cli, ["report", str(first), "--json", str(second)])
    assert result.exit_code in (0, 3, 4), result.stderr
    return first.read_bytes(), second.read_bytes()


def test_a_record_of_several_mebibytes_reads_back(tmp_path: Path) -> None:
    source = tmp_path / "crowd.yaml"
    with source.open("w", encoding="utf-8") as handle:
        YAML().dump(crowd_proposal(450), handle)
    written, again = round_trip(tmp_path, source)
    assert len(written) > 1024 * 1024
    assert written == again


@pytest.mark.parametrize("text", ["a\x85b", "a\u2028b\u2029c", "smile \U0001f600", "tab\there"])
def test_unusual_characters_read_back_unchanged(tmp_path: Path, text: str) -> None:
    data = YAML().load((ROOT / "examples" / "callback-queue.yaml").read_text(encoding="utf-8"))
    data["title"] = f"Callback {text}"
    data["vendor"] = text
    source = tmp_path / "p.yaml"
    with source.open("w", encoding="utf-8") as handle:
        YAML().dump(data, handle)
    written, again = round_trip(tmp_path, source)
    # YAML itself reads NEL in a proposal as a line break (folded to a space);
    # whatever the proposal said, the record reads back byte for byte.
    assert json.loads(written)["proposal"]["vendor"] in (text, text.replace("\x85", " "))
    assert written == again


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('"score": ', '"score": NaN, "x": ', 1), "NaN is not a number"),
        (lambda t: t.replace('"score": ', '"score": Infinity, "x": ', 1), "Infinity"),
        (
            lambda t: t.replace('{\n  "decision"', '{\n  "decision": "go",\n  "decision"', 1),
            "duplicate",
        ),
        (lambda t: t[:-30], "not valid JSON"),
        (lambda t: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["nan", "infinity", "duplicate-key", "truncated", "deep"],
)
def test_a_damaged_record_is_exit_2_located(tmp_path: Path, edit: object, message: str) -> None:
    record = tmp_path / "r.json"
    example = ROOT / "examples" / "callback-queue.yaml"
    assert CliRunner().invoke(cli, ["evaluate", str(example), "--json", str(record)]).exit_code == 0
    record.write_text(edit(record.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    result = CliRunner().invoke(cli, ["report", str(record), "--md", str(tmp_path / "o.md")])
    assert result.exit_code == 2, result.output
    assert f"{record}:" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "o.md").exists()


def test_a_record_nested_as_deep_as_json_allows_is_exit_2(tmp_path: Path) -> None:
    record = tmp_path / "deep.json"
    record.write_text('{"decision": ' + "[" * 985 + '"\\ud800"' + "]" * 985 + "}")
    result = CliRunner().invoke(cli, ["report", str(record), "--md", str(tmp_path / "o.md")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and not (tmp_path / "o.md").exists()
