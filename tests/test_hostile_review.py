"""Findings of the last adversarial pass over issue 7, one test each.

Records with values no UTF-8 or no sane record holds, packs named by a
proposal that cannot be parsed, control characters in every output,
Markdown structure from a record, and user templates that would allocate
without bound in C before any cap could look.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from techgate.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "callback-queue.yaml"


def record(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    assert CliRunner().invoke(cli, ["evaluate", str(EXAMPLE), "--json", str(path)]).exit_code == 0
    return path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace('"title": "', '"title": "\\ud800 ', 1),
            "proposal.title: holds a lone",
        ),
        (lambda t: t.replace('"score": 88.08', '"score": ' + "9" * 5000, 1), "5,000 digits"),
    ],
    ids=["lone-surrogate", "huge-integer"],
)
def test_a_record_with_values_no_record_holds_is_exit_2(
    tmp_path: Path, edit: object, expected: str
) -> None:
    path = record(tmp_path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    for option in ("--md", "--json", "--html"):
        result = CliRunner().invoke(cli, ["report", str(path), option, str(tmp_path / "out.x")])
        assert result.exit_code == 2, result.output
        assert expected in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "out.x").exists()


def test_a_named_pack_that_does_not_parse_is_summed_up_not_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "app.conf"
    secret.write_text("db:\n  password: *hunter2secret\n  token: !Secret sk_live_abc\n")
    source = tmp_path / "p.yaml"
    source.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("pack: contact-centre", "pack: ./app.conf"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["evaluate", str(source)])
    assert result.exit_code == 2
    assert f"{source}:9:1: pack: names a file that cannot be read" in result.stderr
    assert "hunter2" not in result.stderr and "sk_live" not in result.stderr
    # Named on the command line, the file's own problems are shown in full.
    result = CliRunner().invoke(cli, ["validate", str(secret)])
    assert result.exit_code == 2 and f"{secret}:2:" in result.stderr


HOSTILE = "Q\x1bc\x1b(0\x1b#8\x9b2J\u202e\u200bend"


def test_control_characters_never_reach_any_output_raw(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    yaml = YAML()
    pack = yaml.load((ROOT / "criteria" / "contact-centre.yaml").read_text(encoding="utf-8"))
    pack["criteria"][0]["title"] = HOSTILE
    pack_file = tmp_path / "pack.yaml"
    with pack_file.open("w", encoding="utf-8") as handle:
        yaml.dump(pack, handle)
    proposal = yaml.load(EXAMPLE.read_text(encoding="utf-8"))
    proposal["title"] = HOSTILE
    source = tmp_path / "p.yaml"
    with source.open("w", encoding="utf-8") as handle:
        yaml.dump(proposal, handle)
    outputs = [
        CliRunner().invoke(cli, ["criteria", "show", str(pack_file)]).output,
        CliRunner().invoke(cli, ["criteria", "show", str(pack_file), "--json"]).output,
        CliRunner().invoke(cli, ["evaluate", str(source), "-f", "markdown"]).output,
        CliRunner().invoke(cli, ["evaluate", str(source), "-f", "json"]).output,
        CliRunner().invoke(cli, ["evaluate", str(source), "-f", "text"]).output,
    ]
    for output in outputs:
        assert "end" in output
        for character in ("\x1b", "\x9b", "\u202e", "\u200b"):
            assert character not in output, (character, output[:200])


def test_markdown_structure_cannot_come_from_a_record(tmp_path: Path) -> None:
    cmarkgfm = pytest.importorskip("cmarkgfm")
    path = record(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["analyses"]["benefits"]["summary"] = "# Injected heading"
    data["analyses"]["workforce"]["summary"] = "1. injected list"
    data["analyses"]["motive"]["summary"] = "- injected item $x$"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "r.md"
    assert CliRunner().invoke(cli, ["report", str(path), "--md", str(out)]).exit_code == 0
    html = cmarkgfm.github_flavored_markdown_to_html(out.read_text(encoding="utf-8"))
    assert "<h1>Injected" not in html
    assert "<li>injected" not in html
    assert "Injected heading" in html and "injected list" in html


@pytest.mark.parametrize(
    "body",
    [
        '{{ "a".encode().ljust(2000000000) }}',
        '{{ ("a" * 10000).translate({97: "x" * 1000000}) }}',
        '{{ ("a " * 5000) | wordwrap(2, wrapstring="x" * 1000000) }}',
        "{{ range(10000) | list | tojson(indent=1000000) }}",
        "{{ ctx.evaluation.model_dump_json(indent=1000000) }}",
    ],
    ids=["bytes", "translate", "wordwrap", "tojson", "model-dump"],
)
def test_templates_cannot_allocate_in_c_past_the_caps(tmp_path: Path, body: str) -> None:
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "report.md.j2").write_text(f"# Report\n\n{body}\n")
    out = tmp_path / "r.md"
    result = CliRunner().invoke(
        cli, ["evaluate", str(EXAMPLE), "--templates", str(templates), "--md", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "report.md.j2:3" in result.stderr
    assert not out.exists()


def test_templates_must_be_a_folder() -> None:
    result = CliRunner().invoke(
        cli, ["evaluate", str(EXAMPLE), "--templates", "/dev/null", "--md", "/dev/null"]
    )
    assert result.exit_code == 2 and "is not a folder" in result.output + result.stderr
