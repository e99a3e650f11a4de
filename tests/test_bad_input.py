"""Every kind of bad input: a located message, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from techgate.cli import cli

GOOD = (EXAMPLES / "callback-queue.yaml").read_text()
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True)
)


def at(content: str, needle: str, occurrence: int = 1) -> str:
    """':N:' for the line of content holding needle, so cases follow the example."""
    found = [n for n, line in enumerate(content.splitlines(), start=1) if needle in line]
    assert len(found) >= occurrence, f"{needle!r} not in the case's content"
    return f":{found[occurrence - 1]}:"


def case(
    old: str, new: str, message: str, needle: str | None = None, occurrence: int = 1
) -> tuple[str, str, str]:
    """GOOD with old replaced by new, expected to be reported at the line holding needle."""
    content = GOOD.replace(old, new, 1)
    assert content != GOOD, old
    return content, message, at(content, needle or new.splitlines()[0].strip(), occurrence)


# name -> (file content, or bytes, or a callable making the path; text the message must contain;
#          where it must point, as 'file:line' or just 'file')
CASES: dict[str, tuple[object, str, str]] = {
    "malformed yaml": ("id: [oops\ntitle: x\n", "not valid YAML", ":2:6"),
    "tab indentation": ("id: x\nmotive:\n\tobjectives: []\n", "tab used for indentation", ":3:1"),
    "unknown key": (GOOD.replace("vendor:", "vendr:"), "did you mean 'vendor'?", ":5:1"),
    "wrong type": case(
        "participants: 18", "participants: many", "stakeholder_input[0].participants"
    ),
    "out-of-range score": case(
        "availability: {score: 4", "availability: {score: 9", "above the scale's top level 4"
    ),
    "negative score": case(
        "availability: {score: 4", "availability: {score: -1", "greater than or equal to 0"
    ),
    "unknown indicator": case("      accuracy: {", "      acuracy: {", "did you mean 'accuracy'?"),
    "derived indicator scored": case(
        "      readiness:",
        "      staff-consulted: 3\n      readiness:",
        "computed from the proposal's facts",
    ),
    "duplicate evidence id": case(
        "  - id: dpia", "  - id: pen-test", "duplicate evidence id 'pen-test'", occurrence=2
    ),
    "duplicate key": (
        GOOD.replace("vendor: QueueWise Ltd", "vendor: QueueWise Ltd\nvendor: Other"),
        "duplicate key",
        ":6:",
    ),
    "missing evidence": case("evidence: [dpia]", "evidence: [dpia2]", "cites evidence 'dpia2'"),
    "shares over one": case("share: 0.55", "share: 0.95", "more than 1", "segments:"),
    "empty file": ("", "file is empty", ""),
    "comments only": ("# nothing here\n", "file is empty", ""),
    "non-utf8": (b"id: caf\xe9\n", "is not UTF-8", ":1:8"),
    "list instead of mapping": ("- id: x\n", "expected a mapping of fields, got a list", ":1:1"),
    "list where a mapping belongs": case(
        "segments:\n",
        "segments:\n  - [ability, share]\n",
        "segments[0]: expected a mapping, got a list",
        "[ability, share]",
    ),
    "alias bomb": (BOMB, "alias bomb", ":5:28"),  # the alias that would pass 50,000 values
    "yaml tag": ("id: !!python/object:os.system x\n", "tag", ":1:"),
    "huge file": ("x: '" + "a" * 1_100_000 + "'\n", "techgate reads at most", ""),
    "bad date": (GOOD.replace("date: 2026-10-12", "date: 12/10/2026"), "date", ":8:"),
    "bad category": (GOOD.replace("category: callback", "category: fax"), "category", ":6:"),
    "unchanged where the pack forbids it": case(
        "availability: {score: 4", "availability: {score: unchanged", "cannot be 'unchanged'"
    ),
    "generation not stated": case(
        "  generates_answers: false",
        "  human_reviews_output: false",
        "composes its own answers",
        "category:",
    ),
    "value and weight mixed": case(
        "      value: 60000", "      weight: 2", "cannot be compared", "weight: 2"
    ),
    "value without a currency": case("  currency: EUR\n", "", "names no currency", "value: 240000"),
    "NaN as a measured value": case(
        "      measured: 2.6", "      measured: .nan", "a finite number", "measured: .nan"
    ),
    "infinite objective value": case(
        "      value: 60000", "      value: .inf", "a finite number", "value: .inf"
    ),
    "capacity with no throughput": case(
        "workforce:\n  roles_removed: 0",
        "workforce:\n  roles_removed: 2\n  remaining_route: {staffed_hours_per_week: 10, "
        "contacts_per_hour: 0, demand_per_week: 5}",
        "greater than 0",
        "remaining_route",
    ),
    "participants below zero": case(
        "participants: 18", "participants: {at_least: -3}", "greater than or equal to 0"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_reported_cleanly(name: str, tmp_path: Path) -> None:
    content, message, where = CASES[name]
    source = tmp_path / "proposal.yaml"
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(str(content), encoding="utf-8")
    out_file = tmp_path / "record.json"
    result = CliRunner().invoke(cli, ["evaluate", str(source), "-f", "json", "-o", str(out_file)])
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert f"{source}{where}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "nothing was written" in result.stderr
    assert not out_file.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proposal.yaml"]


def test_a_directory_and_a_missing_path(tmp_path: Path) -> None:
    for target, message in ((tmp_path, "is a directory"), (tmp_path / "gone.yaml", "no such file")):
        result = CliRunner().invoke(cli, ["evaluate", str(target)])
        assert result.exit_code == 2
        assert message in result.stderr and "Traceback" not in result.stderr


def test_bad_packs(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "id: broken\ntitle: B\nversion: '1'\ncriteria:\n"
        "  - id: c\n    title: C\n    question: q\n    weight: 0\n    indicators:\n"
        "      - {id: i, title: I, question: q, levels: {0: a, 1: b}}\n"
        "      - {id: i, title: I, question: q, weight: 1,"
        " levels: {0: a, 1: b, 2: c, 3: d, 4: e}}\n"
        "gates:\n  - {id: g, kind: min-criterion-score, title: G, severity: no-go, criterion: cc,"
        " min_score: 10, condition: x}\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    assert result.exit_code == 2
    assert f"{pack}:8:5: criteria[0].criteria" not in result.stderr
    assert f"{pack}:8:5: criteria[0].weight: input should be greater than 0" in result.stderr
    # Structure is fixed first; then the cross-references are checked.
    pack.write_text(pack.read_text().replace("weight: 0", "weight: 1"))
    result = CliRunner().invoke(cli, ["validate", str(pack)])
    assert result.exit_code == 2
    for text in (
        "levels must describe every scale level",
        "duplicate indicator id 'i'",
        "unknown criterion 'cc'",
        "did you mean 'c'?",
    ):
        assert text in result.stderr


def test_extends_loop_and_unknown_base(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nversion: '1'\nextends: ./b.yaml\n")
    (tmp_path / "b.yaml").write_text("id: b\ntitle: B\nversion: '1'\nextends: ./a.yaml\n")
    (tmp_path / "c.yaml").write_text(
        "id: c\ntitle: C\nversion: '1'\nextends: contact-centr\nweights: {criteria: {safty: 2}}\n"
    )
    loop = CliRunner().invoke(cli, ["criteria", "show", str(tmp_path / "a.yaml")])
    assert loop.exit_code == 2 and "loops back on itself" in loop.stderr
    unknown = CliRunner().invoke(cli, ["criteria", "show", str(tmp_path / "c.yaml")])
    assert unknown.exit_code == 2 and "did you mean 'contact-centre'?" in unknown.stderr


def test_overlay_errors_point_at_the_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "ours.yaml"
    overlay.write_text(
        "id: ours\ntitle: O\nversion: '1'\nextends: contact-centre\n"
        "weights:\n  criteria: {safty: 2}\npolicy: {conditional_threshold: 90}\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(overlay)])
    assert result.exit_code == 2
    assert f"{overlay}:6:" in result.stderr and "did you mean 'safety'?" in result.stderr


def test_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "record.json"

    def refuse(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    result = CliRunner().invoke(
        cli, ["evaluate", str(EXAMPLES / "callback-queue.yaml"), "-f", "json", "-o", str(target)]
    )
    assert result.exit_code == 2
    assert "disk full" in result.stderr and "Traceback" not in result.stderr
    assert str(target) in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_structural_and_cross_reference_problems_are_reported_together(tmp_path: Path) -> None:
    source = tmp_path / "proposal.yaml"
    source.write_text(
        GOOD.replace("vendor:", "vendr:")
        .replace("      accuracy: {", "      acuracy: {")
        .replace("evidence: [dpia]", "evidence: [dpia2]")
    )
    result = CliRunner().invoke(cli, ["validate", str(source)])
    assert result.exit_code == 2
    assert f"{source}:5:1: vendr: unknown field" in result.stderr
    line = at(source.read_text(), "acuracy: {")
    assert f"{source}{line}7: assessments[0].scores.acuracy" in result.stderr
    assert "did you mean 'dpia'?" in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(str(source))]
    assert lines == sorted(lines, key=lambda line: int(line.split(":")[1]))


OLD_FORMAT = Path(__file__).parent / "cases" / "old-format"


@pytest.mark.parametrize("name", ["chatbot-no-human-v1", "crm-consolidation-v1"])
def test_a_version_1_proposal_says_what_to_add_then_evaluates(name: str, tmp_path: Path) -> None:
    source = tmp_path / f"{name}.yaml"
    text = (OLD_FORMAT / f"{name}.yaml").read_text()
    source.write_text(text)
    result = CliRunner().invoke(cli, ["evaluate", str(source)])
    assert result.exit_code == 2
    assert f"{source}{at(text, 'category:')}" in result.stderr
    assert "composes its own answers" in result.stderr
    assert "generates_answers" in result.stderr  # the hint names what to add
    assert "Traceback" not in result.stderr
    # Adding the one fact it asks for is enough for the file to be judged.
    source.write_text(
        text.replace("\nmotive:", "\nautomation: {generates_answers: false}\nmotive:", 1)
    )
    judged = CliRunner().invoke(cli, ["evaluate", str(source), "-f", "json"])
    assert judged.exit_code in (0, 3, 4), judged.stderr


def test_a_value_no_union_member_takes_is_one_problem_at_its_field(tmp_path: Path) -> None:
    # participants is a number or {at_least: N}: both members' complaints are told as one
    # problem at the field, not one per member under names the file never uses.
    path = tmp_path / "p.yaml"
    path.write_text(GOOD.replace("participants: 18", "participants: many", 1))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    (problem,) = [line for line in result.stderr.splitlines() if "participants" in line]
    assert "stakeholder_input[0].participants: input should be a valid integer" in problem
    assert "or input should be a valid dictionary or instance of AtLeast; got 'many'" in problem
    assert "constrained-int" not in result.stderr and ".AtLeast" not in result.stderr
