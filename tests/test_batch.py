"""techgate batch under stress: duplicate ids, signals, crashing workers, odd paths.

Issue 7, classes 21-24. The signal tests run the installed script in its
own process group, as a shell runs it, and send what Ctrl-C or a service
manager would send.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from techgate.cli import cli
from techgate.cli.batch import _Runner

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPT = Path(sys.executable).parent / "techgate"


def copies(folder: Path, count: int) -> list[str]:
    """Copies of the examples with distinct ids."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(EXAMPLES.glob("*.yaml"))
    paths = []
    for index in range(count):
        source = sources[index % len(sources)]
        text = source.read_text(encoding="utf-8")
        first = next(line for line in text.splitlines() if line.startswith("id: "))
        target = folder / f"p{index}.yaml"
        target.write_text(text.replace(first, f"id: p{index}", 1), encoding="utf-8")
        paths.append(str(target))
    return paths


def test_duplicate_ids_are_both_refused_before_anything_is_written(tmp_path: Path) -> None:
    first, second, other = copies(tmp_path / "in", 3)
    Path(second).write_text(
        Path(second).read_text(encoding="utf-8").replace("id: p1", "id: p0", 1), encoding="utf-8"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["batch", first, second, other, "-d", str(out), "--formats", "json,md", "-j", "2"]
    )
    assert result.exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == ["p2.json", "p2.md"]
    assert f"{first}: proposal id 'p0' is also used by {second}" in result.stderr
    assert f"{second}: proposal id 'p0' is also used by {first}" in result.stderr


def test_a_folder_name_with_brackets_is_shown_as_it_is(tmp_path: Path) -> None:
    paths = copies(tmp_path / "[draft]", 1)
    bad = tmp_path / "[draft]" / "[bold]bad.yaml"
    bad.write_text("id: [unclosed\n")
    result = CliRunner().invoke(
        cli, ["batch", *paths, str(bad), "-d", str(tmp_path / "[out]"), "--formats", "json"]
    )
    assert result.exit_code == 2, result.output
    assert "[bold]bad.yaml" in result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
    assert (tmp_path / "[out]" / "p0.json").exists()


def test_an_output_that_is_an_input_fails_only_that_item(tmp_path: Path) -> None:
    (first,) = copies(tmp_path, 1)
    clash = tmp_path / "p0.json"
    clash.write_text("mine")
    result = CliRunner().invoke(
        cli, ["batch", first, str(clash), "-d", str(tmp_path), "--formats", "json"]
    )
    assert result.exit_code == 2
    assert clash.read_text() == "mine"


# A worker that dies costs only its own item.


def _crash_on_three(value: int) -> int:
    if value == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return value * 10


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_that_crashes_fails_only_its_item(workers: int) -> None:
    with _Runner(workers, ()) as runner:
        results = runner.map(
            _crash_on_three, [(v,) for v in range(8)], "testing", lambda value: -value
        )
    assert results == [0, 10, 20, -3, 40, 50, 60, 70]


def test_a_proposal_that_crashes_its_reader_does_not_sink_the_batch(tmp_path: Path) -> None:
    paths = copies(tmp_path / "in", 2)
    deep = tmp_path / "in" / "deep.yaml"
    deep.write_text("id: " + "[" * 30_000 + "]" * 30_000 + "\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [str(SCRIPT), "batch", paths[0], str(deep), paths[1], "-d", str(out), "--formats", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["p0.json", "p1.json"]
    assert "deep.yaml" in done.stderr


# Signals: stop at once, keep what finished, leave no temporaries and no workers.


def _workers_of(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker.encode() in command and state != "Z":
            found.append(int(entry.name))
    return found


def _start(tmp_path: Path, jobs: str = "2") -> tuple[subprocess.Popen[str], Path]:
    paths = copies(tmp_path / "in", 24)
    out = tmp_path / "out-marker"
    process = subprocess.Popen(
        [str(SCRIPT), "batch", *paths, "-d", str(out), "--formats", "pdf,json", "-j", jobs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until reports are being written
        if out.exists() and any(out.glob("*.pdf")):
            break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("the batch never started writing")
    return process, out


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (lambda p: os.killpg(p.pid, signal.SIGINT), 130),  # Ctrl-C: the whole group
        (lambda p: p.send_signal(signal.SIGTERM), 143),  # a service manager: the parent only
    ],
    ids=["sigint-to-group", "sigterm-to-parent"],
)
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_signal_stops_the_batch_at_once_and_prints_what_finished(
    tmp_path: Path, send: object, expected: int, jobs: str
) -> None:
    process, out = _start(tmp_path, jobs)
    send(process)  # type: ignore[operator]
    try:
        stdout, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the batch kept running after the signal")
    assert process.returncode == expected, stderr
    assert "Batch summary" in stdout and "INTERRUPTED" in stdout
    assert "Traceback" not in stderr
    assert not list(out.glob(".*.tmp"))
    for pdf in out.glob("*.pdf"):  # every file there is whole
        assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
    time.sleep(0.5)
    assert _workers_of(str(out)) == []


def test_sigterm_to_the_group_and_twice_still_ends_cleanly(tmp_path: Path) -> None:
    process, out = _start(tmp_path)
    os.killpg(process.pid, signal.SIGTERM)  # what a service manager sends
    time.sleep(0.03)
    process.send_signal(signal.SIGTERM)  # impatient
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr and "Batch summary" in stdout
    assert not list(out.glob(".*.tmp"))
    time.sleep(0.5)
    assert _workers_of(str(out)) == []


def test_the_workers_die_with_a_parent_that_is_killed(tmp_path: Path) -> None:
    process, out = _start(tmp_path)
    process.send_signal(signal.SIGKILL)  # no cleanup of its own is possible
    process.communicate(timeout=20)
    deadline = time.monotonic() + 10
    while _workers_of(str(out)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _workers_of(str(out)) == []


def test_an_input_the_system_cannot_look_up_fails_alone(tmp_path: Path) -> None:
    (good,) = copies(tmp_path / "in", 1)
    long_name = str(tmp_path / ("a" * 300 + ".yaml"))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["batch", good, long_name, "-d", str(out), "--formats", "json"]
    )
    assert result.exit_code == 2, result.output
    assert "unexpected" not in result.stderr
    assert [p.name for p in out.iterdir()] == ["p0.json"]


def test_the_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    (first,) = copies(tmp_path / "in", 1)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["batch", first, f"{tmp_path}/in/../in/p0.yaml", "-d", str(out), "--formats", "json"]
    )
    assert result.exit_code == 2
    assert "the same file as" in result.stderr
    assert [p.name for p in out.iterdir()] == ["p0.json"]


def test_a_pack_named_by_criteria_is_never_overwritten(tmp_path: Path) -> None:
    (first,) = copies(tmp_path / "in", 1)
    out = tmp_path / "out"
    out.mkdir()
    pack = out / "p0.json"  # where p0's record would go
    pack.write_bytes((ROOT / "criteria" / "contact-centre.yaml").read_bytes())
    before = pack.read_bytes()
    result = CliRunner().invoke(
        cli, ["batch", first, "-d", str(out), "-c", str(pack), "--formats", "json"]
    )
    assert result.exit_code == 2
    assert pack.read_bytes() == before


def test_a_broken_user_template_is_invalid_input_not_a_bug(tmp_path: Path) -> None:
    (first,) = copies(tmp_path / "in", 1)
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "report.md.j2").write_text("# Report\n{{ 1 / 0 }}\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["batch", first, "-d", str(out), "--formats", "md", "--templates", str(templates)]
    )
    assert result.exit_code == 2, result.output
    assert "report.md.j2:2" in result.stderr
    assert list(out.iterdir()) == []
