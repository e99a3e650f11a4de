"""The library seam (techgate.api): one way in, checks once, HTML once, no stale hashes."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import techgate.engine
import techgate.loading.proposals
import techgate.render.environment
from techgate import api
from techgate.cli import cli
from techgate.errors import InvalidInputError
from techgate.loading import FolderPacks, PackRefusedError
from techgate.model.schema import json_schema
from techgate.render import render as render_format
from techgate.vocabulary import DocumentFormat, OutputFormat, Paper, SchemaKind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "callback-queue.yaml"
CLI_DIR = ROOT / "techgate" / "cli"
SERVICE_DIR = ROOT / "techgate" / "service"


# -- one way in ---------------------------------------------------------------


def test_a_path_text_and_mapping_give_the_same_record() -> None:
    from_path = api.evaluate(EXAMPLE)
    text = EXAMPLE.read_text(encoding="utf-8")
    from_text = api.evaluate(api.ProposalText(text, "body"))
    from_mapping = api.evaluate(api.load(EXAMPLE).proposal.model_dump(mode="json"))
    assert from_path == from_text == from_mapping
    assert from_path.provenance.proposal_sha256 == from_text.provenance.proposal_sha256


def test_every_check_runs_once_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = techgate.loading.proposals.proposal_problems

    def counted(*args: object) -> object:
        calls.append(len(args) > 1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(techgate.loading.proposals, "proposal_problems", counted)
    monkeypatch.setattr(techgate.engine, "proposal_problems", counted)
    api.evaluate(EXAMPLE)
    assert calls == [True]  # once, against the pack; never again in the engine


def test_html_is_built_once_for_html_and_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real = techgate.render.environment.render_html

    def counted(*args: object, **kwargs: object) -> str:
        made.append("html")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(techgate.render.environment, "render_html", counted)
    documents = api.render(api.evaluate(EXAMPLE), ["html", "pdf", "md", "json"])
    assert made == ["html"]
    assert list(documents) == [
        DocumentFormat.HTML,
        DocumentFormat.PDF,
        DocumentFormat.MARKDOWN,
        DocumentFormat.JSON,
    ]
    assert documents[DocumentFormat.PDF].startswith(b"%PDF-")


def test_no_command_runs_the_pipeline_itself() -> None:
    """Commands and the service call techgate.api; none imports the loaders, the engine, the
    register or the document renderer."""
    forbidden = (
        "techgate.engine",
        "techgate.loading",
        "techgate.register",
        "techgate.render.documents",
        "techgate.sheets",
    )
    offenders = []
    for module in sorted([*CLI_DIR.glob("*.py"), *SERVICE_DIR.glob("*.py")]):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{module.name}: {name}" for name in names if name.startswith(forbidden)]
    assert offenders == []


# -- no stale caches ------------------------------------------------------------


def test_a_changed_copy_of_a_pack_carries_its_own_hash() -> None:
    loaded = api.load(EXAMPLE)
    pack, proposal = loaded.pack, loaded.proposal
    assert pack.sha256 and pack.indicators()  # caches filled on the original
    heavier = pack.model_copy(
        update={
            "criteria": (
                pack.criteria[0].model_copy(update={"weight": 9.0}),
                *pack.criteria[1:],
            )
        }
    )
    before, after = api.evaluate(proposal, pack=pack), api.evaluate(proposal, pack=heavier)
    assert before.score != after.score
    assert before.provenance.pack_sha256 != after.provenance.pack_sha256
    assert after.provenance.pack_sha256 == heavier.model_copy().sha256


def test_a_changed_copy_is_validated() -> None:
    pack = api.load_pack("contact-centre")
    with pytest.raises(ValueError, match="less than or equal to 100"):
        pack.model_copy(update={"policy": pack.policy.model_copy(update={"go_threshold": 500})})


def test_pack_with_other_weights_and_policy() -> None:
    pack = api.load_pack("contact-centre")
    changed = api.pack_with(pack, criterion_weights={"safety": 6}, policy={"go_threshold": 80})
    assert next(c for c in changed.criteria if c.id == "safety").weight == 6
    assert changed.policy.go_threshold == 80
    assert changed.sha256 != pack.sha256 and changed.lineage == pack.lineage
    with pytest.raises(InvalidInputError) as error:
        api.pack_with(pack, criterion_weights={"safty": 2}, indicator_weights={"nope": 1})
    fields = [p.field for p in error.value.problems]
    assert fields == ["weights.criteria.safty", "weights.indicators.nope"]
    with pytest.raises(InvalidInputError):
        api.pack_with(pack, policy={"go_threshold": 40, "conditional_threshold": 60})


def test_proposal_with_one_answer_changed() -> None:
    proposal = api.load(EXAMPLE).proposal
    assessor = proposal.assessments[0].assessor
    indicator = next(iter(proposal.assessments[0].scores))
    lower = api.proposal_with_answer(proposal, assessor, indicator, 0)
    assert lower.sha256 != proposal.sha256
    assert lower.assessments[0].scores[indicator].score == 0
    # The rest of the answer (evidence, note) is kept.
    assert lower.assessments[0].scores[indicator].note == (
        proposal.assessments[0].scores[indicator].note
    )
    with pytest.raises(InvalidInputError, match="less than or equal to 10"):
        api.proposal_with_answer(proposal, assessor, indicator, 11)
    with pytest.raises(InvalidInputError, match="no assessor"):
        api.proposal_with_answer(proposal, "nobody", indicator, 1)
    removed = api.proposal_with_answer(proposal, assessor, indicator, None)
    assert indicator not in removed.assessments[0].scores


# -- the old name of 'pack' --------------------------------------------------------


def test_the_old_key_still_reads_with_a_located_notice(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(EXAMPLE.read_text().replace("pack: contact-centre", "criteria: contact-centre"))
    loaded = api.load(old)
    assert loaded.proposal.pack == "contact-centre"
    assert [(n.line, n.field) for n in loaded.notices] == [(9, "criteria")]
    result = CliRunner().invoke(cli, ["evaluate", str(old), "-f", "json"])
    assert result.exit_code == 0
    assert f"warning: {old}:9:1: criteria: 'criteria' is the old name" in result.stderr
    assert api.evaluate(old) == api.evaluate(EXAMPLE)


def test_both_keys_at_once_are_refused(tmp_path: Path) -> None:
    both = tmp_path / "both.yaml"
    both.write_text(EXAMPLE.read_text().replace("pack: contact-centre", "pack: a\ncriteria: b"))
    with pytest.raises(InvalidInputError, match="both are present"):
        api.load(both)


# -- pack sources: a file names only what the source offers ---------------------------

PACK = "id: ours\ntitle: Ours\nversion: '1'\nextends: contact-centre\n"


def _proposal_naming(folder: Path, reference: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "p.yaml"
    path.write_text(EXAMPLE.read_text().replace("pack: contact-centre", f"pack: {reference}"))
    return path


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        ("/etc/passwd", "absolute path"),
        ("{abs}", "absolute path"),
        ("../packs/ours.yaml", "outside the folders"),
        ("sub/../../packs/ours.yaml", "outside the folders"),
        ("link/ours.yaml", "outside the folders"),  # a link inside pointing outside
    ],
)
def test_a_proposal_cannot_name_a_pack_outside_the_allowed_folders(
    tmp_path: Path, reference: str, why: str
) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "ours.yaml").write_text(PACK)
    here = tmp_path / "proposals"
    (here / "sub").mkdir(parents=True)
    (here / "link").symlink_to(packs)
    reference = reference.format(abs=packs / "ours.yaml")
    proposal = _proposal_naming(here, reference)
    with pytest.raises(PackRefusedError) as error:
        api.load(proposal)
    # Refused before anything is read, and reported at the line that names it.
    assert why in str(error.value)
    result = CliRunner().invoke(cli, ["evaluate", str(proposal)])
    assert result.exit_code == 2
    assert f"{proposal}:9:1: pack: " in result.stderr and why in result.stderr
    # The operator may allow the folder; then the same reference works (bar absolute ones).
    if "outside" in why:
        allowed = CliRunner().invoke(
            cli, ["evaluate", str(proposal), "--pack-dir", str(packs), "-f", "json"]
        )
        assert allowed.exit_code == 0, allowed.stderr


def test_packs_beside_the_proposal_and_in_pack_dirs_by_id(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ours.yaml").write_text(PACK)
    beside = _proposal_naming(tmp_path, "sub/ours.yaml")
    assert api.load(beside).pack.id == "ours"
    by_id = _proposal_naming(tmp_path / "other", "ours")
    with pytest.raises(InvalidInputError, match="no criteria pack has this id"):
        api.load(by_id)
    assert api.load(by_id, pack_dirs=[tmp_path / "sub"]).pack.id == "ours"


def test_what_a_pack_extends_is_confined_too(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(PACK.replace("id: ours", "id: far"))
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "near.yaml").write_text(PACK.replace("contact-centre", "../outside.yaml"))
    proposal = _proposal_naming(folder, "near.yaml")
    with pytest.raises(InvalidInputError, match="outside the folders"):
        api.load(proposal)
    # The operator's own choice is read as given, but its 'extends' stays confined.
    with pytest.raises(InvalidInputError, match="outside the folders"):
        api.load(EXAMPLE, pack=folder / "near.yaml")
    assert api.load(EXAMPLE, pack=outside).pack.id == "far"


def test_a_folder_source_resolves_its_folders_once(tmp_path: Path) -> None:
    real, other = tmp_path / "real", tmp_path / "other"
    real.mkdir()
    other.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    source = FolderPacks((link,))
    (other / "x.yaml").write_text(PACK)
    link.unlink()
    link.symlink_to(other)  # moved after the source was made
    with pytest.raises(PackRefusedError):
        source.locate("link/x.yaml", tmp_path)


# -- one vocabulary -------------------------------------------------------------


def test_every_document_format_renders() -> None:
    record = api.evaluate(EXAMPLE)
    documents = api.render(record, DocumentFormat)
    assert set(documents) == set(DocumentFormat)
    assert all(documents[kind] for kind in DocumentFormat)
    assert all(kind.suffix and "/" in kind.media_type for kind in DocumentFormat)


def test_every_output_format_renders() -> None:
    record = api.evaluate(EXAMPLE)
    for kind in OutputFormat:
        assert record.proposal.id in render_format(record, kind)
        assert record.proposal.id in render_format(record, kind, source=Path("p.yaml"))
        assert kind.suffix.startswith(".") and "/" in kind.media_type
    # '-o FOLDER' names a file by its suffix: no two formats may write the same name.
    assert len({kind.suffix for kind in OutputFormat}) == len(OutputFormat)


def test_every_schema_kind_has_a_schema() -> None:
    for kind in SchemaKind:
        assert json_schema(kind)["$schema"].startswith("http://json-schema.org/")


def _choice(command: click.Command, name: str) -> list[str]:
    for parameter in command.params:
        if parameter.name == name:
            assert isinstance(parameter.type, click.Choice)
            return list(parameter.type.choices)  # type: ignore[arg-type]
    raise AssertionError(f"{command.name} has no {name}")


def test_command_line_choices_come_from_the_vocabulary() -> None:
    commands = cli.load_all()
    assert _choice(commands["evaluate"], "output_format") == [f.value for f in OutputFormat]
    # A comparison is not one proposal's gates: it offers every format but the CI ones.
    assert _choice(commands["compare"], "output_format") == [
        f.value for f in OutputFormat if not f.for_pipelines
    ]
    assert _choice(commands["evaluate"], "paper") == [p.value for p in Paper]
    assert _choice(commands["schema"], "kind") == [k.value for k in SchemaKind]
    options = {o for p in commands["evaluate"].params for o in getattr(p, "opts", [])}
    assert {f"--{kind.value}" for kind in DocumentFormat} <= options


def test_help_does_not_import_pydantic() -> None:
    import subprocess
    import sys

    code = (
        "import sys, techgate.cli\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        "import techgate.vocabulary\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
    )
    assert done.returncode == 0, done.stderr


def test_the_old_option_name_still_chooses_the_pack() -> None:
    for option in ("--pack", "--criteria", "-c"):
        result = CliRunner().invoke(
            cli, ["evaluate", str(EXAMPLE), option, "technology", "-f", "json"]
        )
        # The example scores contact-centre's indicators: judged by 'technology' it does not fit.
        assert result.exit_code == 2 and "pack 'technology' has no indicator" in result.stderr


def test_an_evaluation_without_sensitivity_does_not_import_numpy() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from techgate import api\n"
        f"api.render(api.evaluate({str(EXAMPLE)!r}), ['json', 'md'])\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
