"""The command line through click's CliRunner: every command, format and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_DECISIONS, EXAMPLES, ROOT

from techgate.cli import ExitCode, cli
from techgate.render import OutputFormat

EXIT_FOR = {"go": 0, "conditional": 3, "no-go": 4}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("example", sorted(EXAMPLE_DECISIONS))
def test_evaluate_exit_code_follows_the_decision_in_every_format(example: str) -> None:
    expected = EXIT_FOR[EXAMPLE_DECISIONS[example]]
    path = str(EXAMPLES / f"{example}.yaml")
    for output_format in OutputFormat:
        code, out, err = run("evaluate", path, "--format", output_format.value)
        assert code == expected, (output_format, err)
        assert out.strip(), output_format


def test_json_record_has_the_documented_keys() -> None:
    code, out, _ = run("evaluate", str(EXAMPLES / "crm-consolidation.yaml"), "-f", "json")
    record = json.loads(out)
    assert code == ExitCode.CONDITIONAL
    assert record["decision"] == "conditional"
    assert {
        "decision",
        "score",
        "confidence",
        "proposal",
        "criteria",
        "gates",
        "conditions",
        "provenance",
    } <= set(record)
    assert record["proposal"]["id"] == "crm-consolidation"
    assert {"id", "score", "weight"} <= set(record["criteria"][0])
    assert {"id", "passed", "severity", "reason"} <= set(record["gates"][0])
    assert len(record["provenance"]["proposal_sha256"]) == 64


def test_text_format_puts_decision_first_and_shows_failed_gates() -> None:
    code, out, _ = run("evaluate", str(EXAMPLES / "chatbot-no-human.yaml"), "--width", "120")
    assert code == ExitCode.NO_GO
    first_text = next(line for line in out.splitlines() if any(c.isalpha() for c in line))
    assert "DECISION: NO-GO" in first_text
    assert "Failed gates" in out and "A person can be reached" in out
    assert out.index("Conditions") < out.index("Criteria")


def test_text_format_lists_disagreements_for_the_panel_example() -> None:
    _, out, _ = run("evaluate", str(EXAMPLES / "self-service-portal-panel.yaml"), "--width", "140")
    assert "Assessor disagreements" in out
    assert "Credibility of its data" in out


def test_markdown_output_is_escaped() -> None:
    code, out, _ = run("evaluate", str(EXAMPLES / "callback-queue.yaml"), "-f", "markdown")
    assert code == 0
    assert out.startswith("# Virtual hold and scheduled callbacks")
    assert "**Decision: GO**" in out


@pytest.mark.parametrize("output_format", list(OutputFormat))
def test_output_file_is_written_and_directory_gets_the_proposal_id(
    tmp_path: Path, output_format: OutputFormat
) -> None:
    code, out, err = run(
        "evaluate",
        str(EXAMPLES / "callback-queue.yaml"),
        "-f",
        output_format.value,
        "-o",
        str(tmp_path),
    )
    written = tmp_path / f"callback-queue{output_format.suffix}"
    assert code == 0
    assert written.read_text().strip()
    assert out == ""
    assert "go: " in err and str(written) in err
    assert [p.name for p in tmp_path.iterdir()] == [written.name]


def test_output_into_a_missing_folder_is_invalid_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "record.json"
    code, _, err = run("evaluate", str(EXAMPLES / "callback-queue.yaml"), "-o", str(target))
    assert code == ExitCode.INVALID
    assert "folder to write into does not exist" in err
    assert not target.parent.exists()


def test_criteria_option_overrides_the_pack(tmp_path: Path) -> None:
    code, out, _ = run(
        "evaluate", str(EXAMPLES / "callback-queue.yaml"), "-c", "technology", "-f", "json"
    )
    # The callback example scores contact-centre indicators the general pack lacks.
    assert code == ExitCode.INVALID
    assert out == ""


def test_unknown_pack_suggests_the_nearest(tmp_path: Path) -> None:
    code, _, err = run("evaluate", str(EXAMPLES / "callback-queue.yaml"), "-c", "contact-center")
    assert code == ExitCode.INVALID
    assert "did you mean 'contact-centre'?" in err


def test_usage_errors_exit_2() -> None:
    assert run("evaluate")[0] == ExitCode.INVALID
    assert run("evaluate", "x.yaml", "--format", "pdf")[0] == ExitCode.INVALID
    assert run("no-such-command")[0] == ExitCode.INVALID


def test_unexpected_errors_exit_1_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import techgate.engine

    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(techgate.engine, "evaluate_checked", explode)
    code, out, err = run("evaluate", str(EXAMPLES / "callback-queue.yaml"))
    assert code == ExitCode.UNEXPECTED
    assert "unexpected error: RuntimeError: boom" in err
    assert "Traceback" not in err + out


def test_validate_accepts_examples_and_packs() -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    files += [str(p) for p in sorted((ROOT / "criteria").glob("*.yaml"))]
    code, out, err = run("validate", *files)
    assert code == 0, err
    assert out.count("ok: ") == len(files)


def test_validate_lists_every_problem_in_every_file(tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(
        (EXAMPLES / "callback-queue.yaml")
        .read_text()
        .replace("vendor:", "vendr:")
        .replace("share: 0.55", "share: 1.55")
    )
    second = tmp_path / "second.yaml"
    second.write_text(
        (EXAMPLES / "crm-consolidation.yaml")
        .read_text()
        .replace("customer-context: {score: 4", "customer-contxt: {score: 4")
    )
    code, out, err = run("validate", str(first), str(second), str(EXAMPLES / "callback-queue.yaml"))
    assert code == ExitCode.INVALID
    assert f"{first}:5:1: vendr: unknown field 'vendr' (hint: did you mean 'vendor'?)" in err
    assert f"{first}:" in err and "segments[0].share" in err
    assert f"{second}:" in err and "did you mean 'customer-context'?" in err
    assert "4 problems found" in err  # vendr is both unknown and a missing vendor
    assert "ok: " in out  # the valid file is still reported


def test_criteria_list_and_show() -> None:
    code, out, _ = run("criteria", "list")
    assert code == 0
    assert "contact-centre" in out and "technology" in out
    code, out, _ = run("criteria", "show", "contact-centre")
    assert code == 0
    for text in ("Reliability", "route-to-person", "human-route", "go at score"):
        assert text in out
    code, out, _ = run("criteria", "show", "technology", "--json")
    assert json.loads(out)["id"] == "technology"
    assert run("criteria", "show", "nope")[0] == ExitCode.INVALID


def test_criteria_show_resolves_an_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "ours.yaml"
    overlay.write_text(
        "id: ours\ntitle: Ours\nversion: '2'\nextends: contact-centre\n"
        "weights: {criteria: {motive: 5}}\npolicy: {go_threshold: 80}\n"
    )
    code, out, _ = run("criteria", "show", str(overlay), "--json")
    pack = json.loads(out)
    assert code == 0
    assert pack["lineage"] == ["contact-centre"]
    assert pack["policy"]["go_threshold"] == 80
    assert next(c for c in pack["criteria"] if c["id"] == "motive")["weight"] == 5


def test_init_writes_a_template_that_validates_and_evaluates(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    code, _, _ = run("init", str(target))
    assert code == 0
    text = target.read_text()
    assert text.startswith("# yaml-language-server: $schema=./techgate-proposal.schema.json")
    assert json.loads((tmp_path / "techgate-proposal.schema.json").read_text())["title"]
    assert run("validate", str(target))[0] == 0
    assert run("evaluate", str(target))[0] in (0, 3, 4)
    # A second init refuses to overwrite.
    code, _, err = run("init", str(target))
    assert code == ExitCode.INVALID and "already exists" in err
    assert run("init", str(target), "--force")[0] == 0


@pytest.mark.parametrize("kind", ["proposal", "criteria", "evaluation"])
def test_schema_matches_the_committed_copy(kind: str) -> None:
    code, out, _ = run("schema", kind)
    assert code == 0
    committed = ROOT / "docs" / "schema" / f"{kind}.schema.json"
    assert json.loads(out) == json.loads(committed.read_text()), (
        "regenerate: techgate schema KIND > docs/schema/KIND.schema.json"
    )
    assert json.loads(out)["$schema"] == "http://json-schema.org/draft-07/schema#"


def all_commands() -> list[tuple[str, ...]]:
    import click

    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        # Through click's own listing: the top group imports its commands only when asked.
        context = click.Context(group)
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            found.append((*prefix, name))
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))

    walk(cli, ())
    return found


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_help_and_is_documented(command: tuple[str, ...]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    assert "Usage:" in out and len(out.splitlines()) > 3
    docs = (ROOT / "docs" / "cli.md").read_text()
    assert f"## techgate {' '.join(command)}" in docs


def test_proposal_names_its_own_pack_by_relative_path(tmp_path: Path) -> None:
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "ours.yaml").write_text(
        "id: ours\ntitle: Ours\nversion: '1'\nextends: contact-centre\npolicy: {go_threshold: 95}\n"
    )
    proposal = tmp_path / "callback.yaml"
    proposal.write_text(
        (EXAMPLES / "callback-queue.yaml")
        .read_text()
        .replace("pack: contact-centre", "pack: packs/ours.yaml")
    )
    code, out, _ = run("evaluate", str(proposal), "-f", "json")
    record = json.loads(out)
    assert record["provenance"]["pack_id"] == "ours"
    assert record["provenance"]["pack_lineage"] == ["contact-centre"]
    assert code == ExitCode.CONDITIONAL  # 87 is a go by default, not under a 95 threshold


def test_readme_examples_table_matches_the_decisions() -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (go|conditional|no-go)\b", readme, flags=re.M))
    assert rows == EXAMPLE_DECISIONS


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = readme.split("Set up and run the tests:")[1].split("```sh\n")[1].split("\n```")[0]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command.strip() in [line.strip() for line in ci_lines]


def test_an_output_folder_named_with_a_slash_is_made_never_written_as_a_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "reports" / "2026"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(EXAMPLES / "callback-queue.yaml"),
            "--json",
            f"{folder}/",
            "-f",
            "markdown",
            "-o",
            f"{tmp_path / 'md'}/",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert (folder / "callback-queue.json").is_file()
    assert (tmp_path / "md" / "callback-queue.md").is_file()
    # A file where a folder is meant is refused, named, and left alone.
    blocker = tmp_path / "taken"
    blocker.write_text("keep me")
    refused = CliRunner().invoke(
        cli, ["evaluate", str(EXAMPLES / "callback-queue.yaml"), "--json", f"{blocker}/"]
    )
    assert refused.exit_code == 2
    assert f"{blocker}/: (document): is not a folder" in refused.stderr
    assert blocker.read_text() == "keep me"


def test_the_api_takes_a_pack_by_id_or_path() -> None:
    import techgate

    proposal = techgate.load_proposal(EXAMPLES / "callback-queue.yaml")
    by_object = techgate.evaluate(proposal, techgate.load_criteria("contact-centre"))
    by_id = techgate.evaluate(proposal, "contact-centre")
    by_path = techgate.evaluate(proposal, EXAMPLES.parent / "criteria" / "contact-centre.yaml")
    assert by_object.model_dump_json() == by_id.model_dump_json() == by_path.model_dump_json()
