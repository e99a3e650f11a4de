"""The prewarmed PDF worker in the installed command, under signals (real processes).

Each run goes through a small subreaper: it starts `.venv/bin/techgate`, and
reaps every process left to it, saying which and how each ended. A worker
its command reaped never reaches the subreaper; a worker orphaned by a killed
command does, and must have ended. Output is compared with the same command
run with TECHGATE_PDF_WORKER=0 (rendering in process, as before the worker).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import EXAMPLES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and prctl"),
    pytest.mark.skipif(
        len(os.sched_getaffinity(0)) < 2 if hasattr(os, "sched_getaffinity") else True,
        reason="the worker needs two usable CPUs",
    ),
]

SCRIPT = Path(sys.executable).parent / "techgate"
CRM = str(EXAMPLES / "crm-consolidation.yaml")
OFF = {"TECHGATE_PDF_WORKER": "0"}

# Starts the command given, then reaps every process that ends up its child
# (the command, and any worker orphaned by the command's death), and writes
# what it reaped. A Ctrl-C to the group must not stop it.
SUBREAPER = r"""
import ctypes, json, os, signal, subprocess, sys
signal.signal(signal.SIGINT, lambda *_: None)
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
command = subprocess.Popen(sys.argv[2:], close_fds=False)  # the test's descriptors too
reaped = []
while True:
    try:
        pid, status = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    reaped.append({"pid": pid, "exit": os.waitstatus_to_exitcode(status)})
with open(sys.argv[1], "w") as report:
    json.dump({"command": command.pid, "reaped": reaped}, report)
"""


@dataclass
class Run:
    code: int
    """The command's exit code (negative: the signal that ended it)."""
    stdout: bytes
    stderr: bytes
    orphans: dict[int, int]
    """Processes other than the command that the subreaper had to reap, and how they ended."""
    workers: list[int]
    """Workers seen while the command ran."""


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def workers_of(command: int) -> list[int]:
    """The command's worker, once it has set itself up (see set_up). WeasyPrint's import
    also runs gcc and ldconfig to look libraries up: those children are not workers."""
    return [child for child in children(command) if set_up(child)]


def pipes(pid: int) -> set[str]:
    found = set()
    try:
        entries = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for entry in entries:
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("pipe:"):
            found.add(target)
    return found


def set_up(worker: int) -> bool:
    """The worker has set itself up (signals, descriptors, death with its parent) and
    is importing WeasyPrint: its captures of stdout and stderr exist."""
    try:
        return any(t.startswith("/memfd:techgate-pdf-worker") for t in descriptor_targets(worker))
    except OSError:
        return False


def job_sent(command: int, worker: int) -> bool:
    """The command has sent its job: of the two pipes it shares with the worker, it kept one."""
    shared = pipes(command) & pipes(worker)
    return len(shared) == 1


Act = Callable[[subprocess.Popen[bytes], int, int], None]
"""What a test does to a run once its worker is seen: (subreaper, command pid, worker pid)."""


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    act: Act | None = None,
    prefix: tuple[str, ...] = (),
    pass_fds: tuple[int, ...] = (),
) -> Run:
    report = cwd / ".reaped.json"
    environ = {**os.environ, **(env or {})}
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # Files, not pipes: a long output must not block the command while the
    # test watches it instead of reading.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-c", SUBREAPER, str(report), *prefix, str(SCRIPT), *args],
            pass_fds=pass_fds,
            cwd=cwd,
            env=environ,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        seen = watch(process, act)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    reaped = json.loads(report.read_text())
    report.unlink()
    exits = {entry["pid"]: entry["exit"] for entry in reaped["reaped"]}
    code = exits.pop(reaped["command"])
    return Run(code, stdout, stderr, exits, seen)


def watch(process: subprocess.Popen[bytes], act: Act | None) -> list[int]:
    """The workers seen until the run ends; 'act' done on the first as soon as it is seen."""
    seen: list[int] = []
    deadline = time.monotonic() + 60
    acted = act is None
    while process.poll() is None and time.monotonic() < deadline:
        commands = children(process.pid)
        workers = [w for c in commands for w in workers_of(c)]
        seen += [w for w in workers if w not in seen]
        if act is not None and not acted and workers:
            act(process, commands[0], workers[0])
            acted = True
        time.sleep(0.002)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the command or its worker outlived the test")
    assert acted, "no worker was seen"
    return seen


def twin_folders(tmp_path: Path) -> tuple[Path, Path]:
    on, off = tmp_path / "on", tmp_path / "off"
    on.mkdir()
    off.mkdir()
    return on, off


def assert_same(with_worker: Run, without: Run, on: Path, off: Path) -> None:
    assert (with_worker.code, with_worker.stdout, with_worker.stderr) == (
        without.code,
        without.stdout,
        without.stderr,
    )
    names = sorted(p.name for p in on.iterdir())
    assert names == sorted(p.name for p in off.iterdir())
    for name in names:
        assert (on / name).read_bytes() == (off / name).read_bytes(), name
    assert with_worker.orphans == without.orphans == {}
    assert without.workers == []


# -- the same bytes, messages and exit codes ----------------------------------------


def record_file(tmp_path: Path) -> Path:
    record = tmp_path / "crm.json"
    done = subprocess.run(
        [str(SCRIPT), "evaluate", CRM, "--json", str(record)], capture_output=True, check=False
    )
    assert done.returncode == 3, done.stderr
    return record


@pytest.mark.parametrize("command", ["evaluate", "report", "compare"])
def test_each_pdf_command_writes_the_same_bytes_with_and_without_the_worker(
    tmp_path: Path, command: str
) -> None:
    on, off = twin_folders(tmp_path)
    args = {
        "evaluate": ["evaluate", CRM, "--pdf", "out.pdf", "--html", "out.html", "-f", "json"],
        "report": ["report", str(record_file(tmp_path)), "--pdf", "out.pdf"],
        "compare": [
            "compare",
            CRM,
            str(EXAMPLES / "callback-queue.yaml"),
            "--pdf",
            "out.pdf",
            "-f",
            "json",
        ],
    }[command]
    with_worker = run(args, on, act=lambda *_: None)
    without = run(args, off, OFF)
    assert len(with_worker.workers) == 1
    assert (on / "out.pdf").read_bytes().startswith(b"%PDF-")
    assert_same(with_worker, without, on, off)


def test_json_alone_starts_no_worker(tmp_path: Path) -> None:
    done = run(["evaluate", CRM, "-f", "json"], tmp_path)
    assert done.code == 3 and done.workers == [] and done.orphans == {}


@pytest.mark.skipif(shutil.which("taskset") is None, reason="needs taskset")
def test_one_usable_cpu_renders_in_process(tmp_path: Path) -> None:
    on, off = twin_folders(tmp_path)
    args = ["evaluate", CRM, "--pdf", "out.pdf"]
    one_cpu = ("taskset", "-c", str(min(os.sched_getaffinity(0))))
    single = run(args, on, prefix=one_cpu)
    without = run(args, off, OFF, prefix=one_cpu)
    assert single.workers == []
    assert_same(single, without, on, off)


# -- a worker that fails: the in-process result ------------------------------------------


def wait_until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not ready():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def kill_worker_at_once(_: subprocess.Popen[bytes], command: int, worker: int) -> None:
    os.kill(worker, signal.SIGKILL)


def kill_worker_while_rendering(_: subprocess.Popen[bytes], command: int, worker: int) -> None:
    wait_until(lambda: job_sent(command, worker), "the job was never sent")
    os.kill(worker, signal.SIGKILL)


@pytest.mark.parametrize(
    "act",
    [kill_worker_at_once, kill_worker_while_rendering],
    ids=["before-its-job", "while-rendering"],
)
def test_a_worker_killed_gives_the_same_pdf(tmp_path: Path, act: Act) -> None:
    on, off = twin_folders(tmp_path)
    args = ["evaluate", CRM, "--pdf", "out.pdf", "-f", "json"]
    killed = run(args, on, act=act)
    without = run(args, off, OFF)
    assert killed.code == 3
    assert_same(killed, without, on, off)


def brand(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "brand"
    folder.mkdir()
    (folder / "report.html.j2").write_text(f"<html><body>{body}</body></html>\n")
    return folder


def test_a_template_weasyprint_rejects_gives_the_same_message_and_exit_code(
    tmp_path: Path,
) -> None:
    templates = brand(tmp_path, '<p style="font-size: 1e308px">too large to lay out</p>')
    on, off = twin_folders(tmp_path)
    args = ["evaluate", CRM, "--templates", str(templates), "--pdf", "out.pdf"]
    failed = run(args, on, act=lambda *_: None)
    without = run(args, off, OFF)
    assert failed.code == 1
    assert b"could not render the pdf report: OverflowError" in failed.stderr
    assert b"Traceback" not in failed.stderr
    assert_same(failed, without, on, off)
    assert list(on.iterdir()) == []


def test_a_refused_fetch_gives_the_same_pdf(tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    templates = brand(
        tmp_path,
        f'<link rel="stylesheet" href="{secret.as_uri()}">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/a.css">'
        '<img src="file:///etc/passwd"><p>fetches nothing</p>',
    )
    on, off = twin_folders(tmp_path)
    args = ["evaluate", CRM, "--templates", str(templates), "--pdf", "out.pdf"]
    refused = run(args, on, act=lambda *_: None)
    without = run(args, off, OFF)
    assert refused.code == 3
    assert_same(refused, without, on, off)


# -- signals and resources ---------------------------------------------------------------


Send = Callable[[subprocess.Popen[bytes], int], None]


def while_starting(send: Send) -> Act:
    def act(reaper: subprocess.Popen[bytes], command: int, worker: int) -> None:
        wait_until(lambda: set_up(worker), "the worker never set itself up")
        send(reaper, command)

    return act


def while_rendering(send: Send) -> Act:
    def act(reaper: subprocess.Popen[bytes], command: int, worker: int) -> None:
        wait_until(lambda: job_sent(command, worker), "the job was never sent")
        send(reaper, command)

    return act


def ctrl_c(reaper: subprocess.Popen[bytes], command: int) -> None:
    os.killpg(reaper.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole group


def sigterm(reaper: subprocess.Popen[bytes], command: int) -> None:
    os.kill(command, signal.SIGTERM)  # a service manager: the command only


@pytest.mark.parametrize("when", [while_starting, while_rendering], ids=["starting", "rendering"])
def test_ctrl_c_leaves_no_worker_and_no_file(tmp_path: Path, when: Callable[[Send], Act]) -> None:
    stopped = run(["evaluate", CRM, "--pdf", "out.pdf"], tmp_path, act=when(ctrl_c))
    assert stopped.code == 130, stopped.stderr
    assert b"interrupted; nothing was left half-written" in stopped.stderr
    assert b"Traceback" not in stopped.stderr
    # The command reaped its worker itself: it never reached the subreaper (a
    # gcc that WeasyPrint's import was running for a library look-up may have).
    assert len(stopped.workers) == 1
    assert not set(stopped.orphans) & set(stopped.workers)
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("when", [while_starting, while_rendering], ids=["starting", "rendering"])
def test_sigterm_to_the_command_ends_its_worker(
    tmp_path: Path, when: Callable[[Send], Act]
) -> None:
    stopped = run(["evaluate", CRM, "--pdf", "out.pdf"], tmp_path, act=when(sigterm))
    assert stopped.code == -signal.SIGTERM
    # The command died at once; its worker was killed with it (the kernel's
    # parent-death signal) and reaped by whoever inherited it.
    assert len(stopped.workers) == 1
    assert {w: stopped.orphans.get(w) for w in stopped.workers} == {
        w: -signal.SIGKILL for w in stopped.workers
    }
    assert [p.name for p in tmp_path.iterdir()] == []


def test_the_worker_holds_none_of_the_commands_descriptors(tmp_path: Path) -> None:
    held = (tmp_path / "held").open("wb")
    os.set_inheritable(held.fileno(), True)
    seen: dict[str, set[str]] = {}

    def look(reaper: subprocess.Popen[bytes], command: int, worker: int) -> None:
        wait_until(lambda: set_up(worker), "the worker never set itself up")
        seen["worker"] = descriptor_targets(worker)
        seen["command"] = descriptor_targets(command)

    out = tmp_path / "out"
    out.mkdir()
    try:
        done = run(["evaluate", CRM, "--pdf", "out.pdf"], out, act=look, pass_fds=(held.fileno(),))
    finally:
        held.close()
    assert done.code == 3 and done.orphans == {}
    worker, command = seen["worker"], seen["command"]
    assert str(tmp_path / "held") in command  # the command did inherit it
    shared = worker & command
    # Only the two pipes between them (and /dev/null, which the worker reads as stdin).
    assert {t for t in shared if t != "/dev/null"} == {t for t in shared if t.startswith("pipe:")}
    assert len({t for t in shared if t.startswith("pipe:")}) == 2
    assert not any(t.startswith((str(tmp_path), "socket:")) for t in worker), worker


def descriptor_targets(pid: int) -> set[str]:
    found = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found.add(os.readlink(entry))
        except OSError:
            continue
    return found
