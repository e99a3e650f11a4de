"""The installed 'techgate' script, run as a user would, from another directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

SCRIPT = Path(sys.executable).parent / "techgate"
pytestmark = pytest.mark.slow


def script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.fail(f"console script not installed at {SCRIPT}; run the README's test command")
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_installed_script_evaluates_from_another_directory(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "crm-consolidation.yaml", tmp_path / "crm.yaml")
    result = script("evaluate", "crm.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["decision"] == "conditional"
    listing = script("criteria", "list", cwd=tmp_path)
    assert listing.returncode == 0 and "technology" in listing.stdout


def test_installed_script_reports_bad_input_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: [unclosed\n")
    result = script("evaluate", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yaml:2:1" in result.stderr and "Traceback" not in result.stderr


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom techgate.cli import cli\n"
        "cli.main(['--help'], standalone_mode=False)\n"
        "heavy = {'pydantic', 'weasyprint', 'ruamel', 'rich', 'jinja2'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_wheel_ships_packs_templates_and_the_proposal_template(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("techgate-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for pack in (ROOT / "criteria").glob("*.yaml"):
        assert f"techgate/_data/criteria/{pack.name}" in names
    for template in (ROOT / "templates").iterdir():
        assert f"techgate/_data/templates/{template.name}" in names
    assert "techgate/cli/proposal-template.yaml" in names
    # The register migrates itself on open: its migrations must travel with it.
    migrations = ROOT / "techgate" / "register" / "migrations"
    for source in [*migrations.glob("*.*"), *(migrations / "versions").glob("*.py")]:
        assert f"techgate/register/{source.relative_to(migrations.parent).as_posix()}" in names
    assert "techgate/register/migrations/versions/0001_register.py" in names
