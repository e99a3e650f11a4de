"""Output files: nothing an input names or a user mistypes loses, replaces or half-writes a file.

Issue 7, classes 12, 14-19: each test here failed on the code before the
output plan (techgate/cli/output.py) and passes with it.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from techgate.cli import cli
from techgate.cli.output import STALE_AFTER_SECONDS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "callback-queue.yaml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stderr


def copy_example(tmp_path: Path) -> Path:
    target = tmp_path / "in.yaml"
    target.write_bytes(EXAMPLE.read_bytes())
    return target


# 15. An output that is an input, or two outputs on one file.


def test_an_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    before = source.read_bytes()
    for option in ("--json", "--md", "--html"):
        code, err = run("evaluate", str(source), option, str(source))
        assert code == 2, option
        assert f"{source}: " in err and "is an input of this run" in err
    code, err = run("evaluate", str(source), "-f", "json", "-o", str(source))
    assert code == 2 and "input" in err
    assert source.read_bytes() == before


def test_the_input_reached_through_a_link_or_a_folder_is_still_the_input(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(source)
    before = source.read_bytes()
    assert run("evaluate", str(source), "--json", str(link))[0] == 2
    # A folder whose <id>.yaml-named output would be the input itself.
    folder = tmp_path / "reports"
    folder.mkdir()
    inside = folder / "callback-queue.md"
    inside.write_bytes(before)
    assert run("evaluate", str(inside), "--md", f"{folder}/")[0] == 2
    assert source.read_bytes() == before and inside.read_bytes() == before


def test_two_outputs_on_one_file_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out.x"
    code, err = run("evaluate", str(EXAMPLE), "--md", str(target), "--html", str(target))
    assert code == 2 and "another output" in err
    assert not target.exists()
    code, _ = run("evaluate", str(EXAMPLE), "--json", str(target), "-f", "json", "-o", str(target))
    assert code == 2
    assert list(tmp_path.iterdir()) == []


# 16. Permissions of a replaced file.


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "private.json"
    target.write_text("{}")
    target.chmod(0o600)
    assert run("evaluate", str(EXAMPLE), "--json", str(target))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["decision"] == "go"


def test_a_new_file_gets_the_usual_permissions_under_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert run("evaluate", str(EXAMPLE), "--json", str(tmp_path / "new.json"))[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


def test_a_link_to_a_file_stays_a_link_and_its_target_gets_the_content(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run("evaluate", str(EXAMPLE), "--json", str(link))[0] == 0
    assert link.is_symlink()
    assert json.loads(real.read_text())["proposal"]["id"] == "callback-queue"


# 17. Special files are written through or refused, never replaced.


def test_dev_null_is_written_through_and_stays_a_device(tmp_path: Path) -> None:
    # A stream may take two outputs, as a terminal takes stdout and stderr.
    code, _ = run("evaluate", str(EXAMPLE), "-f", "json", "-o", "/dev/null", "--json", "/dev/null")
    assert code == 0
    assert run("evaluate", str(EXAMPLE), "-f", "json", "-o", "/dev/null")[0] == 0
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    assert run("evaluate", str(EXAMPLE), "--json", str(link))[0] == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert link.is_symlink()


def test_a_pipe_with_a_reader_receives_the_output(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with fifo.open("rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.1)  # let the reader open its end first
    code, _ = run("evaluate", str(EXAMPLE), "--json", str(fifo))
    reader.join(10)
    assert code == 0
    assert json.loads(received[0])["proposal"]["id"] == "callback-queue"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_pipe_nobody_reads_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, err = run("evaluate", str(EXAMPLE), "--json", str(fifo))
    assert code == 2 and "nothing is reading" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_socket_or_a_folder_is_never_replaced(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        code, err = run("evaluate", str(EXAMPLE), "--json", str(path))
        assert code == 2 and "not a regular file" in err
        assert stat.S_ISSOCK(path.stat().st_mode)
    finally:
        server.close()


# 18. init never overwrites the schema without --force.


def test_init_keeps_an_existing_schema_file(tmp_path: Path) -> None:
    schema = tmp_path / "techgate-proposal.schema.json"
    schema.write_text("mine")
    code, err = run("init", str(tmp_path / "new.yaml"))
    assert code == 2 and str(schema) in err
    assert schema.read_text() == "mine" and not (tmp_path / "new.yaml").exists()
    assert run("init", str(tmp_path / "new.yaml"), "--force")[0] == 0
    assert json.loads(schema.read_text())["title"]


# 19. OS errors name the file, exit 2, and leave no partial set; stale temporaries go.


def test_a_name_too_long_is_exit_2_and_nothing_of_the_set_is_written(tmp_path: Path) -> None:
    good = tmp_path / "ok"
    good.mkdir()
    long_name = tmp_path / ("x" * 300 + ".json")
    code, err = run("evaluate", str(EXAMPLE), "--md", f"{good}/", "--json", str(long_name))
    assert code == 2 and "cannot write" in err and "shorter name" in err
    assert list(good.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["ok"]


def test_a_full_device_fails_the_set_before_any_file_is_committed(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    code, err = run("evaluate", str(EXAMPLE), "--md", str(tmp_path / "r.md"), "--json", "/dev/full")
    assert code == 2 and "/dev/full" in err and "space" in err
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_is_exit_2_naming_it(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, err = run("evaluate", str(EXAMPLE), "--json", f"{folder}/")
    finally:
        folder.chmod(0o700)
    assert code == 2 and str(folder) in err


def test_stale_temporaries_of_a_killed_write_are_cleaned_fresh_ones_kept(tmp_path: Path) -> None:
    dead = 2**22 + 12345  # above any pid_max: no such process
    stale = tmp_path / f".out.json.{dead}-ab12cd34.tmp"
    live = tmp_path / f".out.json.{os.getpid()}-ab12cd34.tmp"  # a slow writer, still running
    recent = tmp_path / f".out.json.{dead}-ef56ab78.tmp"
    mine = tmp_path / ".out.json.mynotes.tmp"  # the user's, not ours
    other = tmp_path / f".other.json.{dead}-ab12cd34.tmp"
    old = time.time() - STALE_AFTER_SECONDS - 5
    for path in (stale, live, recent, mine, other):
        path.write_text("partial")
        if path is not recent:
            os.utime(path, (old, old))
    assert run("evaluate", str(EXAMPLE), "--json", str(tmp_path / "out.json"))[0] == 0
    assert not stale.exists()
    assert live.exists() and recent.exists() and mine.exists() and other.exists()
    assert not [p for p in tmp_path.iterdir() if "bak" in p.name]


# 12. An id from an edited record never steers a write out of the folder.


@pytest.mark.parametrize(
    "bad_id", ["../../x", "/abs/x", "..", "a/b", "x\x00y", "A" * 70, "abc\n", ".hidden"]
)
def test_a_record_id_that_is_not_a_file_name_is_refused(tmp_path: Path, bad_id: str) -> None:
    record = tmp_path / "rec.json"
    assert run("evaluate", str(EXAMPLE), "--json", str(record))[0] == 0
    data = json.loads(record.read_text())
    data["proposal"]["id"] = bad_id
    record.write_text(json.dumps(data))
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    code, err = run("report", str(record), "--md", f"{out}/")
    assert code == 2 and "Traceback" not in err
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["rec.json"]


# 14. Terminal control sequences in text reach the terminal only as visible escapes.


def test_control_sequences_in_a_title_are_shown_not_obeyed(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    yaml = YAML()
    data = yaml.load(source.read_text(encoding="utf-8"))
    data["title"] = "Queue\x1b]0;pwned\x07\x1b[2J callback"
    with source.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    code, err = run("evaluate", str(source), "-f", "json", "-o", str(tmp_path / "o.json"))
    assert code == 0
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b]0;pwned\\x07" in err


# Inputs a command reads that the user never typed: none may be overwritten.


def test_the_pack_a_proposal_names_is_an_input(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_bytes((ROOT / "criteria" / "contact-centre.yaml").read_bytes())
    source = tmp_path / "p.yaml"
    source.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("pack: contact-centre", "pack: pack.yaml"),
        encoding="utf-8",
    )
    before = pack.read_bytes()
    code, err = run("evaluate", str(source), "--json", str(pack))
    assert code == 2 and "is an input of this run" in err
    assert pack.read_bytes() == before


def test_a_base_pack_named_by_extends_is_an_input(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_bytes((ROOT / "criteria" / "contact-centre.yaml").read_bytes())
    over = tmp_path / "over.yaml"
    over.write_text("id: over\ntitle: Over\nversion: 1.0.0\nextends: base.yaml\n")
    before = base.read_bytes()
    code, err = run("evaluate", str(EXAMPLE), "--criteria", str(over), "--md", str(base))
    assert code == 2 and "is an input of this run" in err
    assert base.read_bytes() == before


def test_report_templates_are_inputs(tmp_path: Path) -> None:
    record = tmp_path / "r.json"
    assert run("evaluate", str(EXAMPLE), "--json", str(record))[0] == 0
    templates = tmp_path / "tpl"
    templates.mkdir()
    css = templates / "report.css"
    css.write_text("body { color: black; }")
    code, _ = run("report", str(record), "--templates", str(templates), "--md", str(css))
    assert code == 2 and css.read_text() == "body { color: black; }"


# Streams: our own descriptors are written into, never renamed over.


def test_dev_stdout_appended_to_a_file_keeps_what_was_there(tmp_path: Path) -> None:
    import subprocess
    import sys

    log = tmp_path / "build.log"
    log.write_text("earlier line\n")
    script = Path(sys.executable).parent / "techgate"
    with log.open("a") as handle:
        done = subprocess.run(
            [str(script), "evaluate", str(EXAMPLE), "-f", "json", "-o", "/dev/stdout"],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert text.startswith("earlier line\n")
    assert json.loads(text.split("\n", 1)[1])["proposal"]["id"] == "callback-queue"


def test_two_streams_may_share_a_terminal_and_other_devices_are_refused(tmp_path: Path) -> None:
    code, _ = run("evaluate", str(EXAMPLE), "--md", "/dev/null", "--json", "/dev/null")
    assert code == 0
    code, err = run("evaluate", str(EXAMPLE), "--json", "/dev/random")
    assert code == 2 and "not a regular file, a terminal, /dev/null or a pipe" in err


# Refused runs leave nothing behind, not even a folder.


def test_a_refused_run_creates_no_folder(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    code, _ = run("evaluate", str(source), "--pdf", f"{tmp_path}/new/deep/", "--json", str(source))
    assert code == 2
    assert not (tmp_path / "new").exists()


def test_an_empty_output_path_is_refused(tmp_path: Path) -> None:
    code, err = run("evaluate", str(EXAMPLE), "--json", "")
    assert code == 2 and "empty" in err


def test_init_refuses_a_stream_and_a_dangling_link(tmp_path: Path) -> None:
    assert run("init", "/dev/stdout", "--force")[0] == 2
    assert not Path("/dev/techgate-proposal.schema.json").exists()
    schema = tmp_path / "techgate-proposal.schema.json"
    schema.symlink_to(tmp_path / "nowhere")
    assert run("init", str(tmp_path / "p.yaml"))[0] == 2
    assert schema.is_symlink() and not (tmp_path / "nowhere").exists()


def test_a_write_protected_file_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write any file, as the shell would")
    target = tmp_path / "keep.json"
    target.write_text("{}")
    target.chmod(0o444)
    code, err = run("evaluate", str(EXAMPLE), "--json", str(target))
    assert code == 2 and "write-protected" in err and target.read_text() == "{}"


@pytest.mark.parametrize(
    ("failure", "links"),
    [
        (OSError(28, "No space left on device"), True),
        (KeyboardInterrupt(), True),  # a signal between two renames
        (OSError(28, "No space left on device"), False),  # no hard links: copies kept
    ],
    ids=["os-error", "signal", "no-hard-links"],
)
def test_a_rename_failing_part_way_puts_the_originals_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException, links: bool
) -> None:
    # The one failure no real file system here can be made to produce on
    # demand: the second of two renames failing after the first succeeded.
    first, second = tmp_path / "a.json", tmp_path / "b.md"
    first.write_text("old a")
    second.write_text("old b")
    real_replace = os.replace
    calls: list[object] = []

    def second_fails(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise failure
        real_replace(source, target)  # type: ignore[arg-type]

    def no_links(*_: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "replace", second_fails)
    if not links:
        monkeypatch.setattr(os, "link", no_links)
    result = CliRunner().invoke(
        cli, ["evaluate", str(EXAMPLE), "--json", str(first), "--md", str(second)]
    )
    assert result.exit_code == (2 if isinstance(failure, OSError) else 130)
    if isinstance(failure, OSError):
        assert "No space left" in result.stderr and str(first) in result.stderr
    assert first.read_text() == "old a" and second.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.md"]


def test_control_characters_in_a_problem_are_shown_not_obeyed(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "pack: contact-centre", 'pack: "\\e]0;pwned\\a\\e[2Jzz"'
        ),
        encoding="utf-8",
    )
    code, err = run("evaluate", str(source))
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err


def test_a_dash_means_standard_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(EXAMPLE), "--json", "-"])
    assert result.exit_code == 0
    assert not Path("-").exists()
