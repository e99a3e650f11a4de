"""Issue 7, classes 2-5 and 10: odd YAML and files that are not what they are named as.

Each case edits the shipped example and expects exit 2, a problem at the
file and line that caused it, no traceback, and no echo of foreign content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from techgate.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "examples" / "callback-queue.yaml").read_text(encoding="utf-8")


def _edit(old: str, new: str) -> bytes:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new, 1).encode("utf-8")


CASES = {
    # 2. A merge key in a file with another problem.
    "merge key and an unknown field": (
        _edit("automation:\n", "automation:\n  <<: {knowledge_source: kb}\n  bogus: 1\n"),
        ":21:3: automation.bogus: unknown field 'bogus'",
    ),
    # 3. Values the YAML resolvers choke on.
    "impossible date": (_edit("date: 2026-10-12", "date: 2026-02-30"), ":8:1: date:"),
    "hour 25": (_edit("date: 2026-10-12", "date: 2026-10-12T25:00:00"), ":8:1: date:"),
    "5,000-digit number": (_edit("value: 240000", "value: " + "9" * 5000), "(5,000 "),
    "omap": (_edit("adds:\n", "adds: !!omap [a: 1]\nx:\n"), "YAML tag '!!omap' is not allowed"),
    "pairs": (_edit("adds:\n", "adds: !!pairs [a: 1]\nx:\n"), "YAML tag '!!pairs' is not allowed"),
    # 4. A set would make the record differ between runs.
    "set": (_edit("adds:\n", "adds: !!set {a, b}\nx:\n"), ":15:1: adds: YAML tag '!!set'"),
    # 5. Characters and encodings located at line and column.
    "NUL": (_edit("title: Virtual", "title: Vir\x00tual"), ":4:11:"),
    "escape character": (_edit("title: Virtual", "title: Vir\x1btual"), ":4:11:"),
    "UTF-16": (EXAMPLE.encode("utf-16"), ":1:1: (document): byte 0xff is not UTF-8 (the file"),
}


@pytest.mark.parametrize(("content", "expected"), CASES.values(), ids=CASES.keys())
def test_odd_yaml_is_exit_2_at_its_line(tmp_path: Path, content: bytes, expected: str) -> None:
    source = tmp_path / "p.yaml"
    source.write_bytes(content)
    result = CliRunner().invoke(cli, ["evaluate", str(source), "--json", f"{tmp_path}/out/"])
    assert result.exit_code == 2, result.output
    assert f"{source}{expected}" in result.stderr or expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
    assert all(len(line) < 400 for line in result.stderr.splitlines())


# 5 and 10. Packs named by a proposal or by 'extends': reported where named,
# never echoed.

FOREIGN = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:do-not-echo:/usr/sbin\n"


@pytest.mark.parametrize(
    ("role", "reference", "expected"),
    [
        ("criteria", "./foreign.txt", ":9:1: pack: names a file that is not a criteria pack"),
        ("criteria", "nope", ":9:1: pack: 'nope': no criteria pack has this id"),
        ("criteria", "missing.yaml", ":9:1: pack: '"),
        ("extends", "./foreign.txt", ":4:1: extends: names a file that is not a criteria pack"),
        ("extends", "nope", ":4:1: extends: 'nope': no criteria pack has this id"),
    ],
)
def test_a_pack_that_is_not_there_or_no_pack_is_reported_where_named(
    tmp_path: Path, role: str, reference: str, expected: str
) -> None:
    (tmp_path / "foreign.txt").write_text(FOREIGN)
    if role == "criteria":
        source = tmp_path / "p.yaml"
        source.write_bytes(_edit("pack: contact-centre", f"pack: {reference}"))
        args = ["evaluate", str(source)]
    else:
        source = tmp_path / "over.yaml"
        source.write_text(f"id: over\ntitle: Over\nversion: 1.0.0\nextends: {reference}\n")
        args = ["evaluate", str(ROOT / "examples" / "callback-queue.yaml"), "-c", str(source)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"{source}{expected}" in result.stderr, result.stderr
    assert "root:x" not in result.stderr and "do-not-echo" not in result.stderr


def test_a_foreign_file_given_as_the_pack_is_not_echoed(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.txt"
    foreign.write_text(FOREIGN)
    result = CliRunner().invoke(
        cli, ["evaluate", str(ROOT / "examples" / "callback-queue.yaml"), "-c", str(foreign)]
    )
    assert result.exit_code == 2
    assert f"{foreign}:1:1: (document): is not a criteria pack" in result.stderr
    assert "root:x" not in result.stderr and "do-not-echo" not in result.stderr


def test_a_foreign_file_that_is_not_yaml_is_located_but_not_quoted(tmp_path: Path) -> None:
    foreign = tmp_path / "shadow"
    foreign.write_text("root:$6$salt$hash:19000:0:99999:7:::\nkey: [unclosed secret-value\n")
    result = CliRunner().invoke(
        cli, ["evaluate", str(ROOT / "examples" / "callback-queue.yaml"), "-c", str(foreign)]
    )
    assert result.exit_code == 2
    assert f"{foreign}:" in result.stderr
    assert "secret-value" not in result.stderr and "$6$salt" not in result.stderr


# 9. An honest large pack is shown; only a real excess is refused, and not as an alias bomb.


def test_a_large_honest_pack_is_shown_and_an_excess_is_not_called_a_bomb(tmp_path: Path) -> None:
    import copy

    from ruamel.yaml import YAML

    yaml = YAML()
    data = yaml.load((ROOT / "criteria" / "contact-centre.yaml").read_text(encoding="utf-8"))
    criterion = data["criteria"][0]
    template = criterion["indicators"][0]
    criterion["indicators"] = [dict(copy.deepcopy(template), id=f"i{n}") for n in range(600)]
    data["criteria"], data["gates"] = [criterion], []
    pack = tmp_path / "large.yaml"
    with pack.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    result = CliRunner().invoke(cli, ["criteria", "show", str(pack)])
    assert result.exit_code == 0, result.stderr
    excess = tmp_path / "excess.yaml"
    excess.write_text("id: x\ncriteria: [" + "1, " * 60_000 + "1]\n")
    result = CliRunner().invoke(cli, ["criteria", "show", str(excess)])
    assert result.exit_code == 2
    assert "more than 50,000 values" in result.stderr and "alias bomb" not in result.stderr


def test_a_pack_with_a_typo_is_still_a_pack_and_gets_precise_problems(tmp_path: Path) -> None:
    pack = tmp_path / "typo.yaml"
    pack.write_text("id: p\ntitle: P\nversion: 1.0.0\ncritera: []\n")
    example = str(ROOT / "examples" / "callback-queue.yaml")
    result = CliRunner().invoke(cli, ["evaluate", example, "-c", str(pack)])
    assert result.exit_code == 2
    assert f"{pack}:4:1: critera: unknown field 'critera' (hint: did you mean" in result.stderr
    # A mapping sharing at most one key with a pack is some other file.
    other = tmp_path / "app.yaml"
    other.write_text("title: App\npassword: hunter2\ntoken: sk_live\n")
    result = CliRunner().invoke(cli, ["evaluate", example, "-c", str(other)])
    assert result.exit_code == 2 and "is not a criteria pack" in result.stderr
    assert "password" not in result.stderr and "hunter2" not in result.stderr
