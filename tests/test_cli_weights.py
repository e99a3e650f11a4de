"""'techgate weights' through CliRunner: the overlay it writes, its output, its exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

from techgate.cli import ExitCode, cli
from techgate.loading import FolderPacks, load_pack

PAIRWISE = EXAMPLES / "procurement" / "weights-pairwise.yaml"
COMMITTED = EXAMPLES / "procurement" / "weights.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_committed_overlay_is_what_the_command_writes(tmp_path: Path) -> None:
    target = tmp_path / "weights.yaml"
    code, out, err = run("weights", str(PAIRWISE), "-o", str(target))
    assert code == 0, err
    assert target.read_bytes() == COMMITTED.read_bytes()
    assert f"wrote {target}" in err
    assert "Criteria" in out and "route-to-person" in out and "CR" in out


def test_the_overlay_loads_and_carries_the_weights() -> None:
    pack = load_pack(COMMITTED)
    base = load_pack("contact-centre")
    assert pack.id == "procurement-weights"
    assert pack.lineage == ("contact-centre",)
    weights = {c.id: c.weight for c in pack.criteria}
    assert max(weights, key=weights.__getitem__) == "safety"
    assert sum(weights.values()) == pytest.approx(1.0, abs=5e-4)
    suitability = next(c for c in pack.criteria if c.id == "suitability")
    indicator = {i.id: i.weight for i in suitability.indicators}
    assert max(indicator, key=indicator.__getitem__) == "route-to-person"
    # Scaled to the base pack's total, so trait weights keep their meaning.
    base_total = sum(
        i.weight for i in next(c for c in base.criteria if c.id == "suitability").indicators
    )
    assert sum(indicator.values()) == pytest.approx(base_total, abs=1e-3)
    # Indicators of criteria the panel did not judge keep the base weights.
    safety = next(c for c in pack.criteria if c.id == "safety")
    base_safety = next(c for c in base.criteria if c.id == "safety")
    assert [i.weight for i in safety.indicators] == [i.weight for i in base_safety.indicators]
    assert "sha256" in pack.description


@pytest.mark.parametrize("example", ["callback-queue", "voicebot-projected-savings"])
def test_evaluate_runs_with_the_overlay(example: str) -> None:
    code, out, err = run(
        "evaluate", str(EXAMPLES / f"{example}.yaml"), "-c", str(COMMITTED), "-f", "json"
    )
    record = json.loads(out)
    assert code == ExitCode.for_decision(record["decision"]), err
    assert record["provenance"]["pack_id"] == "procurement-weights"
    safety = next(c for c in record["criteria"] if c["id"] == "safety")
    assert safety["weight"] == pytest.approx(0.3368, abs=1e-4)


def test_json_result_is_deterministic_and_complete(tmp_path: Path) -> None:
    first = run("weights", str(PAIRWISE), "-f", "json")
    second = run("weights", str(PAIRWISE), "-f", "json")
    assert first == second
    code, out, _ = first
    result = json.loads(out)
    assert code == 0
    assert result["written"] is None
    assert result["method"]["random_index"]["values"][6] == 1.32
    criteria = result["comparisons"][0]
    assert criteria["comparison"] == "criteria"
    assert sum(criteria["priorities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert criteria["cr"] < 0.10 and criteria["consistent"] is True
    assert [m["name"] for m in criteria["members"]] == [
        "Dana Okafor (billing chat team leader)",
        "Imran Siddiqui (customer experience lead)",
    ]
    assert {"lambda_max", "ci", "ri", "cr", "least_consistent"} <= set(criteria)
    assert result["warnings"] == []


def test_nothing_is_written_without_output(tmp_path: Path) -> None:
    copy = tmp_path / "pairwise.yaml"
    shutil.copy(PAIRWISE, copy)
    code, _, err = run("weights", str(copy))
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairwise.yaml"]
    assert "wrote" not in err


def test_a_folder_receives_the_overlay_id(tmp_path: Path) -> None:
    code, _, err = run("weights", str(PAIRWISE), "-o", f"{tmp_path}/out/")
    assert code == 0, err
    assert (tmp_path / "out" / "procurement-weights.yaml").read_bytes() == COMMITTED.read_bytes()


INCONSISTENT = """\
pack: {pack}
overlay:
  id: shaky
  title: Shaky weights
  version: "0.1"
members:
  - name: Ann
    criteria:
      reliability over suitability: 9
      suitability over personalisation: 9
      personalisation over reliability: 9
      safety over reliability: 1
      safety over suitability: 1
      safety over personalisation: 1
      stakeholder-input over reliability: 1
      stakeholder-input over suitability: 1
      stakeholder-input over personalisation: 1
      stakeholder-input over safety: 1
      motive over reliability: 1
      motive over suitability: 1
      motive over personalisation: 1
      motive over safety: 1
      motive over stakeholder-input: 1
"""


def test_inconsistent_judgements_warn_and_still_write(tmp_path: Path) -> None:
    source = tmp_path / "shaky.yaml"
    source.write_text(INCONSISTENT.format(pack="contact-centre"), "utf-8")
    code, out, err = run("weights", str(source), "-o", str(tmp_path / "o.yaml"))
    assert code == 0, err
    assert "ABOVE 0.10" in out
    assert "least consistent" in out
    assert (tmp_path / "o.yaml").exists()
    code, out, _ = run("weights", str(source), "-f", "json")
    result = json.loads(out)
    assert len(result["warnings"]) == 2  # the panel's matrix and Ann's own (the same here)
    worst = result["comparisons"][0]["least_consistent"][0]
    assert worst["judgement"] in {
        "reliability over suitability",
        "suitability over personalisation",
        "personalisation over reliability",
    }
    assert worst["given"] == 9.0 and worst["consistent_value"] < 2


def test_strict_refuses_inconsistent_judgements_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "shaky.yaml"
    source.write_text(INCONSISTENT.format(pack="contact-centre"), "utf-8")
    target = tmp_path / "o.yaml"
    code, out, err = run("weights", str(source), "--strict", "-o", str(target))
    assert code == ExitCode.INVALID
    assert not target.exists()
    assert out == ""
    assert f"{source}:7:" in err and "members[0]" in err and "CR" in err
    assert "nothing was written" in err
    # Consistent judgements pass --strict.
    code, _, err = run("weights", str(PAIRWISE), "--strict", "-o", str(target))
    assert code == 0, err


def test_invalid_input_is_exit_2_with_lines_and_nothing_written(tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(
        INCONSISTENT.format(pack="contact-centre").replace(
            "motive over stakeholder-input: 1", "motive over stakeholder-input: 1/0"
        ),
        "utf-8",
    )
    target = tmp_path / "o.yaml"
    code, _, err = run("weights", str(source), "-o", str(target))
    assert code == ExitCode.INVALID
    assert f"{source}:23:" in err and "divides by zero" in err
    assert not target.exists()


def test_the_overlay_never_overwrites_an_input(tmp_path: Path) -> None:
    pack = tmp_path / "packs" / "base.yaml"
    pack.parent.mkdir()
    shutil.copy(ROOT / "criteria" / "contact-centre.yaml", pack)
    source = tmp_path / "shaky.yaml"
    source.write_text(INCONSISTENT.format(pack="packs/base.yaml"), "utf-8")
    before = pack.read_bytes(), source.read_bytes()
    for target in (source, pack):
        code, _, err = run("weights", str(source), "-o", str(target))
        assert code == ExitCode.INVALID
        assert "is an input of this run" in err
    assert (pack.read_bytes(), source.read_bytes()) == before


def test_a_pack_given_as_a_path_is_extended_relative_to_the_overlay(tmp_path: Path) -> None:
    pack = tmp_path / "packs" / "base.yaml"
    pack.parent.mkdir()
    shutil.copy(ROOT / "criteria" / "contact-centre.yaml", pack)
    source = tmp_path / "judgements" / "shaky.yaml"
    source.parent.mkdir()
    source.write_text(INCONSISTENT.format(pack="../packs/base.yaml"), "utf-8")
    target = tmp_path / "out" / "overlay.yaml"
    target.parent.mkdir()
    # A pack outside the judgements' folder is read only from an allowed folder.
    code, _, err = run("weights", str(source), "-o", str(target))
    assert code == ExitCode.INVALID and "outside the folders" in err
    code, _, err = run("weights", str(source), "-o", str(target), "--pack-dir", str(pack.parent))
    assert code == 0, err
    assert 'extends: "../packs/base.yaml"' in target.read_text("utf-8")
    assert load_pack(target, FolderPacks((pack.parent,))).lineage == ("contact-centre",)


def test_a_missing_pack_is_reported_at_the_pack_line(tmp_path: Path) -> None:
    source = tmp_path / "p.yaml"
    source.write_text(INCONSISTENT.format(pack="no-such-pack"), "utf-8")
    code, _, err = run("weights", str(source))
    assert code == ExitCode.INVALID
    assert f"{source}:1:" in err and "no criteria pack has this id" in err


def test_text_that_yaml_could_misread_survives_the_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "p.yaml"
    text = INCONSISTENT.format(pack="contact-centre").replace(
        "title: Shaky weights",
        'title: "yes: # not a comment \\u2028 é"\n  description: "null"',
    )
    source.write_text(text.replace("name: Ann", 'name: "Ann # \\u00e9"'), "utf-8")
    target = tmp_path / "o.yaml"
    code, _, err = run("weights", str(source), "-o", str(target))
    assert code == 0, err
    pack = load_pack(target)
    assert pack.title == "yes: # not a comment \u2028 é"
    assert pack.description.startswith("null Weights derived")


@pytest.mark.slow  # spawns the installed script: the overlay is written to descriptor 1
def test_the_overlay_alone_goes_to_standard_output_with_dash() -> None:
    import subprocess
    import sys

    script = Path(sys.executable).parent / "techgate"
    done = subprocess.run(
        [str(script), "weights", str(PAIRWISE), "-o", "-"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == COMMITTED.read_bytes()
