"""What keeps a fresh command fast (issue 11; docs/performance.md, start-up).

Each guard runs the command in a new interpreter and names what it must not
import, so that a later change cannot bring the cost back unnoticed. The
stand-ins and caches are checked in process as well: they may only save
time, never change an answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from conftest import EXAMPLES, ROOT
from jinja2.bccache import bc_magic

from techgate import api
from techgate.cli import COMMANDS, cli, plugins_off
from techgate.render import environment

JSON_EXAMPLE = EXAMPLES / "callback-queue.yaml"
PDF_EXAMPLE = EXAMPLES / "crm-consolidation.yaml"

# Runs techgate's entry point as the installed script does, then prints what
# the process imported and whether the heap was frozen.
RUN_MAIN = """
import gc, json, sys
from techgate.cli import main
sys.argv = ["techgate", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules),
                  "frozen": gc.get_freeze_count()}), file=sys.stderr)
"""


def fresh_run(*args: str, **env: str) -> tuple[str, dict[str, object]]:
    """stdout, and what the process reported (exit code, modules, frozen objects)."""
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", RUN_MAIN, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=120,
        check=False,
    )
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


def imported(report: dict[str, object], *prefixes: str) -> list[str]:
    modules = report["modules"]
    assert isinstance(modules, list)
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


# What 'evaluate -f json' never needs: templates, other commands' models, the
# register, numpy, WeasyPrint, pydantic's plugin search, other commands' modules.
NOT_FOR_JSON = (
    "jinja2",
    "markupsafe",
    "rich",
    "weasyprint",
    "numpy",
    "sqlalchemy",
    "importlib.metadata",
    "techgate.model.comparison",
    "techgate.model.diff",
    "techgate.model.price",
    "techgate.model.register",
    "techgate.model.waiver",
    "techgate.model.whatif",
    "techgate.model.webhooks",
    "techgate.register",
    "techgate.webhooks",
    "techgate.render.environment",
    "techgate.render.pdf_worker",
)


@pytest.mark.slow
def test_evaluate_json_imports_only_what_it_uses() -> None:
    out, report = fresh_run("evaluate", str(JSON_EXAMPLE), "-f", "json")
    assert report["code"] == 0 and json.loads(out)["decision"] == "go"
    assert imported(report, *NOT_FOR_JSON) == []
    other_commands = sorted(
        spec.split(":")[0] for name, spec in COMMANDS.items() if name != "evaluate"
    )
    assert imported(report, *other_commands) == []
    # No document was asked for, so nothing was frozen.
    assert report["frozen"] == 0


@pytest.mark.slow
def test_evaluate_pdf_builds_no_diff_or_register_models_and_freezes_the_heap(
    tmp_path: Path,
) -> None:
    pdf = tmp_path / "crm.pdf"
    _, report = fresh_run("evaluate", str(PDF_EXAMPLE), "--pdf", str(pdf), "-f", "json")
    assert report["code"] == 3 and pdf.read_bytes().startswith(b"%PDF-")
    assert imported(report, "techgate.model.diff", "techgate.model.register") == []
    assert imported(report, "importlib.metadata", "techgate.register") == []
    frozen = report["frozen"]
    assert isinstance(frozen, int) and frozen > 10_000


@pytest.mark.slow
def test_a_users_own_plugin_setting_is_kept_and_the_answer_is_the_same() -> None:
    ours, report = fresh_run("evaluate", str(JSON_EXAMPLE), "-f", "json")
    # Only one plugin named off: pydantic must look for the others, as it
    # would without techgate; the stand-in stays out of the way.
    theirs, kept = fresh_run(
        "evaluate", str(JSON_EXAMPLE), "-f", "json", PYDANTIC_DISABLE_PLUGINS="someone-elses"
    )
    assert kept["code"] == report["code"] == 0
    assert "importlib.metadata" in imported(kept, "importlib.metadata")
    assert imported(report, "importlib.metadata") == []
    assert theirs == ours


# -- the stand-in for pydantic's plugin loader, in process ---------------------------


@pytest.fixture
def no_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """pydantic's loader out of sys.modules for the test, put back afterwards."""
    real = sys.modules[plugins_off.LOADER]
    monkeypatch.delitem(sys.modules, plugins_off.LOADER)
    yield monkeypatch
    sys.modules[plugins_off.LOADER] = real


@pytest.mark.parametrize("value", ["__all__", "1", "true"])
def test_the_stand_in_answers_no_plugins_while_all_are_off(
    no_loader: pytest.MonkeyPatch, value: str
) -> None:
    no_loader.setenv("PYDANTIC_DISABLE_PLUGINS", value)
    plugins_off.skip_plugin_scan()
    stand_in = sys.modules[plugins_off.LOADER]
    assert stand_in.get_plugins() == ()
    assert sys.modules[plugins_off.LOADER] is stand_in  # nothing imported to say so


@pytest.mark.parametrize("value", [None, "", "false", "logfire", "__all__,x"])
def test_no_stand_in_unless_every_plugin_is_off(
    no_loader: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        no_loader.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    else:
        no_loader.setenv("PYDANTIC_DISABLE_PLUGINS", value)
    plugins_off.skip_plugin_scan()
    assert plugins_off.LOADER not in sys.modules


def test_the_stand_in_hands_over_to_the_real_loader(no_loader: pytest.MonkeyPatch) -> None:
    no_loader.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    plugins_off.skip_plugin_scan()
    stand_in = sys.modules[plugins_off.LOADER]
    # Anything else pydantic may ask of its loader comes from the real one.
    assert stand_in.PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
    real = sys.modules[plugins_off.LOADER]
    assert real is not stand_in and real.__file__ and real.__file__.endswith("_loader.py")
    with pytest.raises(AttributeError):
        _ = stand_in.__path__  # not a package, as the real loader is not


def test_plugins_switched_back_on_are_looked_for(no_loader: pytest.MonkeyPatch) -> None:
    no_loader.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")
    plugins_off.skip_plugin_scan()
    stand_in = sys.modules[plugins_off.LOADER]
    no_loader.setenv("PYDANTIC_DISABLE_PLUGINS", "")
    plugins = stand_in.get_plugins()
    real = sys.modules[plugins_off.LOADER]
    assert real is not stand_in
    assert list(plugins) == list(real.get_plugins())


# -- compiled templates kept between processes ----------------------------------------


@pytest.fixture
def fresh_environments() -> Iterator[None]:
    """Built-in environments made anew for the test, and again after it (without a cache)."""
    environment.html_environment.cache_clear()
    environment.markdown_environment.cache_clear()
    yield
    environment.html_environment.cache_clear()
    environment.markdown_environment.cache_clear()


def _reports() -> tuple[str, str]:
    record = api.evaluate(PDF_EXAMPLE)
    return environment.render_html(record), environment.render_markdown(record)


@pytest.mark.usefixtures("fresh_environments")
def test_reports_from_compiled_templates_are_the_same_bytes(tmp_path: Path) -> None:
    from_source = _reports()
    environment.html_environment.cache_clear()
    environment.markdown_environment.cache_clear()
    assert api.keep_compiled_templates(tmp_path)
    first = _reports()  # compiles, and keeps the code
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(kept) >= 2  # report.html.j2, report.md.j2 and what they include
    environment.html_environment.cache_clear()  # as a new process would: nothing in memory
    environment.markdown_environment.cache_clear()
    assert api.keep_compiled_templates(tmp_path)
    again = _reports()  # loads the kept code
    assert from_source == first == again
    assert sorted(p.name for p in tmp_path.iterdir()) == kept


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda good: b"",
    "garbage": lambda good: b"garbage",
    "half": lambda good: good[: len(good) // 2],
    # Jinja's header intact, then what no unpickler or marshal can read.
    "after-the-header": lambda good: bc_magic + b"\xff\x00not a pickle",
    "other-code": lambda good: good[:-40] + bytes(40),
}


@pytest.mark.usefixtures("fresh_environments")
@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_cache_entry_is_compiled_again(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    assert api.keep_compiled_templates(tmp_path)
    expected = _reports()
    for entry in tmp_path.iterdir():
        entry.write_bytes(damage(entry.read_bytes()))
    environment.html_environment.cache_clear()
    environment.markdown_environment.cache_clear()
    assert api.keep_compiled_templates(tmp_path)
    assert _reports() == expected


@pytest.mark.usefixtures("fresh_environments")
def test_a_folder_that_cannot_be_written_still_renders(tmp_path: Path) -> None:
    expected = _reports()
    environment.html_environment.cache_clear()
    environment.markdown_environment.cache_clear()
    missing = tmp_path / "no" / "such" / "folder"
    api.keep_compiled_templates(missing)
    assert _reports() == expected
    assert not missing.exists()


@pytest.mark.usefixtures("fresh_environments")
def test_user_templates_are_never_kept(tmp_path: Path) -> None:
    api.keep_compiled_templates(tmp_path / "cache")
    users = tmp_path / "templates"
    users.mkdir()
    assert environment.html_environment(users).bytecode_cache is None
    assert environment.markdown_environment(users).bytecode_cache is None
    assert environment.html_environment(None).bytecode_cache is not None


# -- commands imported when run --------------------------------------------------------


def test_every_command_is_listed_and_named_as_registered() -> None:
    context = click.Context(cli)
    assert cli.list_commands(context) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None and command.name == name


def test_an_unknown_command_is_refused_with_every_suggestion() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["evalute"])
    assert result.exit_code == 2
    assert "No such command 'evalute'" in result.output
    assert "'evaluate'" in result.output and "'validate'" in result.output
