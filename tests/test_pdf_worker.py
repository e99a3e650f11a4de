"""The prewarmed PDF worker, in process (techgate.render.pdf_worker).

Each test forks a real worker from the test process and drives it through
the module's own calls. What every test holds to: whatever the worker does
(answers, dies, raises, sends garbage, never starts), the PDF, the error and
what reaches stdout and stderr are those of rendering in process. The
installed command under signals is in test_pdf_worker_process.py.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

import techgate.render.pdf
from techgate import api
from techgate.cli import cli
from techgate.render import pdf_worker
from techgate.render.environment import template_dirs
from techgate.render.pdf_worker import PdfWorker

FOLDERS = tuple(template_dirs(None))


@pytest.fixture(scope="module")
def html() -> str:
    record = api.evaluate(EXAMPLES / "crm-consolidation.yaml")
    return api.render(record, ["html"])[api.DocumentFormat.HTML].decode("utf-8")


@pytest.fixture(scope="module")
def in_process(html: str) -> bytes:
    return techgate.render.pdf.html_to_pdf(html, FOLDERS)


@pytest.fixture
def reaped() -> Iterator[list[PdfWorker]]:
    """Workers a test starts; each must be gone (not even a zombie) once the test ends."""
    started: list[PdfWorker] = []
    yield started
    for worker in started:
        worker.close()
        assert not Path(f"/proc/{worker.pid}").exists(), "the worker was not reaped"


def start(reaped: list[PdfWorker], child: pdf_worker.Child | None = None, **kw: Any) -> PdfWorker:
    worker = PdfWorker.start(child, **kw)
    assert worker is not None
    reaped.append(worker)
    return worker


def through_worker(worker: PdfWorker, html: str) -> bytes:
    """The PDF as a command gets it: the running worker first, in process if it fails."""
    with pdf_worker.running(worker):
        return pdf_worker.html_to_pdf(html, FOLDERS)


# -- the worker's answer is the in-process PDF --------------------------------------


def test_the_workers_pdf_is_the_in_process_pdf_byte_for_byte(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    worker = start(reaped)
    assert worker.render(html, FOLDERS) == in_process
    worker.close()
    assert not Path(f"/proc/{worker.pid}").exists()


def test_a_worker_serves_one_job_and_is_then_spent(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    worker = start(reaped)
    with pdf_worker.running(worker):
        assert pdf_worker.html_to_pdf(html, FOLDERS) == in_process
        assert worker.reaped  # closed as soon as it answered
        # A second PDF in the same block is rendered in process.
        assert pdf_worker.html_to_pdf(html, FOLDERS) == in_process


# -- any failure of the worker: the in-process result -------------------------------


def ready_then(answer: bytes) -> pdf_worker.Child:
    """A stand-in worker that says it is ready, reads the job and sends 'answer'."""

    def child(jobs: int, results: int) -> None:
        os.write(results, pdf_worker.READY)
        pdf_worker._read_job(jobs)
        pdf_worker._write_all(results, answer)

    return child


def wrong_digest(pdf: bytes) -> bytes:
    frame = bytearray(pdf_worker._result_frame(0, pdf, b"", b""))
    frame[pdf_worker._RESULT.size - 1] ^= 1
    return bytes(frame)


GARBAGE: dict[str, Callable[[bytes], bytes]] = {
    "nothing": lambda pdf: b"",
    "noise": lambda pdf: b"\x00garbage" * 100,
    "wrong magic": lambda pdf: b"XXXX" + pdf_worker._result_frame(0, pdf, b"", b"")[4:],
    "failed status": lambda pdf: pdf_worker._result_frame(1, b"", b"", b""),
    "unknown status": lambda pdf: pdf_worker._result_frame(7, pdf, b"", b""),
    "truncated": lambda pdf: pdf_worker._result_frame(0, pdf, b"", b"")[:-10],
    "wrong digest": wrong_digest,
    "not a PDF": lambda pdf: pdf_worker._result_frame(0, b"<html>" + pdf, b"", b""),
    "absurd length": lambda pdf: pdf_worker._RESULT.pack(b"TGR1", 0, 1 << 62, 0, 0, b"\0" * 32),
}


@pytest.mark.parametrize("kind", list(GARBAGE))
def test_an_answer_that_is_not_well_formed_is_rendered_in_process(
    reaped: list[PdfWorker], html: str, in_process: bytes, kind: str
) -> None:
    worker = start(reaped, ready_then(GARBAGE[kind](in_process)))
    assert worker.render(html, FOLDERS) is None
    assert through_worker(start(reaped, ready_then(GARBAGE[kind](in_process))), html) == (
        in_process
    )


def test_a_wrong_ready_signal_is_rendered_in_process(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    def child(jobs: int, results: int) -> None:
        os.write(results, b"?")
        time.sleep(30)

    assert through_worker(start(reaped, child), html) == in_process


def test_a_worker_killed_before_its_job_is_rendered_in_process(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    worker = start(reaped)
    os.kill(worker.pid, signal.SIGKILL)
    assert through_worker(worker, html) == in_process


def test_a_worker_killed_while_rendering_is_rendered_in_process(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    def child(jobs: int, results: int) -> None:  # reads the job, then "renders" for ever
        os.write(results, pdf_worker.READY)
        pdf_worker._read_job(jobs)
        time.sleep(60)

    worker = start(reaped, child)
    killer = threading.Timer(0.3, os.kill, (worker.pid, signal.SIGKILL))
    killer.start()
    try:
        assert through_worker(worker, html) == in_process
    finally:
        killer.cancel()


def test_a_worker_that_dies_by_itself_is_rendered_in_process(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    def child(jobs: int, results: int) -> None:
        os.write(results, pdf_worker.READY)
        pdf_worker._read_job(jobs)
        os.kill(os.getpid(), signal.SIGKILL)

    assert through_worker(start(reaped, child), html) == in_process


def test_a_worker_too_slow_to_start_is_given_up_and_reaped(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    def child(jobs: int, results: int) -> None:  # never says it is ready
        time.sleep(60)

    worker = start(reaped, child, start_timeout=0.3)
    began = time.monotonic()
    assert through_worker(worker, html) == in_process
    assert worker.reaped
    # Given up at the deadline, not after the stand-in's minute.
    assert time.monotonic() - began < 30


def test_a_worker_ready_before_a_late_parent_is_still_used(
    reaped: list[PdfWorker], html: str, in_process: bytes
) -> None:
    worker = start(reaped, start_timeout=30)
    ready = select.poll()
    ready.register(worker.results, select.POLLIN)
    assert ready.poll(30_000)  # the worker has said it is ready, unread
    worker.deadline = time.monotonic() - 1  # the parent took longer than the deadline
    assert worker.render(html, FOLDERS) == in_process


def test_a_render_error_is_the_in_process_error(
    reaped: list[PdfWorker], monkeypatch: pytest.MonkeyPatch, html: str
) -> None:
    calls: list[int] = []

    def broken(html: str, folders: object) -> bytes:
        calls.append(os.getpid())
        raise OverflowError("cannot convert float infinity to integer")

    # Patched before the fork: the worker and the fallback both meet it.
    monkeypatch.setattr(techgate.render.pdf, "html_to_pdf", broken)
    assert start(reaped).render(html, FOLDERS) is None  # the worker answered: failed
    assert calls == []  # it failed in its own process
    with pytest.raises(OverflowError, match="cannot convert float infinity"):
        through_worker(start(reaped), html)
    assert calls == [os.getpid()]  # and the error raised is this process's own


def test_what_the_render_writes_on_stdout_and_stderr_is_passed_on(
    reaped: list[PdfWorker],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    html: str,
    in_process: bytes,
) -> None:
    real = techgate.render.pdf.html_to_pdf

    def chatty(html: str, folders: tuple[Path, ...]) -> bytes:
        print("from python", file=sys.stderr)
        os.write(2, b"Fontconfig warning: from C\n")
        os.write(1, b"on stdout\n")
        return real(html, folders)

    monkeypatch.setattr(techgate.render.pdf, "html_to_pdf", chatty)
    capfd.readouterr()
    assert chatty(html, FOLDERS) == in_process
    alone = capfd.readouterr()
    assert through_worker(start(reaped), html) == in_process
    assert capfd.readouterr() == alone
    assert "Fontconfig warning" in alone.err and alone.out == "on stdout\n"


# -- resources -----------------------------------------------------------------------


def descriptors(pid: int) -> dict[int, str]:
    folder = Path(f"/proc/{pid}/fd")
    found = {}
    for entry in folder.iterdir():
        try:
            found[int(entry.name)] = os.readlink(entry)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_the_worker_keeps_none_of_the_parents_descriptors(reaped: list[PdfWorker]) -> None:
    with tempfile.TemporaryFile() as held:
        os.set_inheritable(held.fileno(), True)
        parent = descriptors(os.getpid())
        worker = start(reaped)
        assert worker._wait_ready()
        kept = descriptors(worker.pid)
    pipes = {descriptors(os.getpid())[d] for d in (worker.jobs, worker.results)}
    theirs = set(kept.values()) - {"/dev/null"}
    # The two pipes (the other ends of ours) and its own captures; nothing else of ours.
    assert {t for t in theirs if t.startswith("pipe:")} == pipes, kept
    assert all(t.startswith("/memfd:") for t in theirs - pipes), kept
    assert not theirs & set(parent.values()), kept
    assert kept[0] == "/dev/null"


def test_the_worker_ends_when_its_parent_goes_away(reaped: list[PdfWorker]) -> None:
    worker = start(reaped)
    assert worker._wait_ready()
    os.close(worker.jobs)  # what the parent's death does to the pipe
    worker.jobs = -1
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pid, status = os.waitpid(worker.pid, os.WNOHANG)
        if pid:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
            worker.reaped = True
            return
        time.sleep(0.02)
    pytest.fail("the worker outlived its job pipe")


def test_closing_twice_is_harmless(reaped: list[PdfWorker]) -> None:
    worker = start(reaped)
    worker.close()
    worker.close()
    assert worker.reaped and worker.jobs == worker.results == -1


def test_leaving_the_block_by_an_exception_ends_the_worker(reaped: list[PdfWorker]) -> None:
    worker = start(reaped)
    with pytest.raises(KeyboardInterrupt), pdf_worker.running(worker):
        raise KeyboardInterrupt
    assert worker.reaped and pdf_worker._running is None


# -- when a worker is wanted ----------------------------------------------------------


@pytest.fixture
def weasyprint_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a fresh command; the module objects stay where they are, for later tests."""
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_the_variable_turns_it_off(weasyprint_not_loaded: None, value: str) -> None:
    assert not pdf_worker.wanted({pdf_worker.VARIABLE: value})


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_one_usable_cpu_means_no_worker(weasyprint_not_loaded: None) -> None:
    everything = os.sched_getaffinity(0)
    if len(everything) < 2:
        assert not pdf_worker.wanted({})
        return
    assert pdf_worker.wanted({}) and pdf_worker.wanted({pdf_worker.VARIABLE: "1"})
    os.sched_setaffinity(0, {min(everything)})
    try:
        assert pdf_worker.usable_cpus() == 1
        assert not pdf_worker.wanted({})
    finally:
        os.sched_setaffinity(0, everything)


def test_no_worker_once_weasyprint_is_loaded() -> None:
    import weasyprint  # noqa: F401 - the import is the point

    assert not pdf_worker.wanted({})


def test_no_worker_when_no_pdf_will_be_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_worker, "wanted", lambda environ=None: True)
    with pdf_worker.prewarmed(will_render_pdf=False) as worker:
        assert worker is None


def no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", refused)


def test_the_library_never_forks(monkeypatch: pytest.MonkeyPatch, in_process: bytes) -> None:
    # Even where a worker would help, only a caller that asks (the command line) gets one.
    monkeypatch.setattr(pdf_worker, "wanted", lambda environ=None: True)
    no_fork(monkeypatch)
    record = api.evaluate(EXAMPLES / "crm-consolidation.yaml")
    assert api.render(record, ["pdf"])[api.DocumentFormat.PDF] == in_process


def test_a_failed_fork_renders_in_process(
    monkeypatch: pytest.MonkeyPatch, html: str, in_process: bytes
) -> None:
    def no_processes() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_processes)
    assert PdfWorker.start() is None
    with pdf_worker.running(None):
        assert pdf_worker.html_to_pdf(html, FOLDERS) == in_process


# -- the command line asks for it -------------------------------------------------------


def test_evaluate_with_a_worker_writes_what_it_writes_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[bytes | None] = []
    real = PdfWorker.render

    def watched(self: PdfWorker, html: str, folders: tuple[Path, ...]) -> bytes | None:
        used.append(real(self, html, folders))
        return used[-1]

    monkeypatch.setattr(PdfWorker, "render", watched)
    example = str(EXAMPLES / "crm-consolidation.yaml")
    runs = {}
    for setting in ("1", "0"):
        # The test process has WeasyPrint loaded; as a fresh command it would not.
        monkeypatch.setattr(pdf_worker, "wanted", lambda environ=None, s=setting: s == "1")
        out = tmp_path / setting
        out.mkdir()
        result = CliRunner().invoke(
            cli, ["evaluate", example, "--pdf", str(out), "--html", str(out), "-f", "json"]
        )
        runs[setting] = (result.exit_code, result.stdout, result.stderr.replace(str(out), "OUT"))
        assert result.exit_code == 3, result.stderr
    assert len(used) == 1 and used[0] is not None  # the worker rendered the first run's PDF
    assert runs["1"] == runs["0"]
    for name in ("crm-consolidation.pdf", "crm-consolidation.html"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "0" / name).read_bytes()
    assert pdf_worker._running is None


def test_batch_never_starts_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("batch started a PDF worker")

    monkeypatch.setattr(pdf_worker, "wanted", lambda environ=None: True)
    monkeypatch.setattr(PdfWorker, "start", refused)
    example = str(EXAMPLES / "callback-queue.yaml")
    result = CliRunner().invoke(
        cli, ["batch", example, "-d", str(tmp_path), "--formats", "pdf", "-j", "1"]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (tmp_path / "callback-queue.pdf").read_bytes().startswith(b"%PDF-")


# -- the frames ----------------------------------------------------------------------


def round_trip(html: str, folders: tuple[Path, ...]) -> tuple[str, tuple[Path, ...]] | None:
    with tempfile.TemporaryFile() as carrier:
        carrier.write(pdf_worker._job_frame(html, folders))
        carrier.flush()
        carrier.seek(0)
        return pdf_worker._read_job(carrier.fileno())


@settings(max_examples=200, deadline=None)
@given(
    html=st.text(alphabet=st.characters(codec=None, exclude_categories=())),
    names=st.lists(st.binary(min_size=1).filter(lambda b: b"\0" not in b), max_size=3),
)
def test_a_job_arrives_as_it_was_sent(html: str, names: list[bytes]) -> None:
    """Any text (lone surrogates, NULs, control characters) and any folder names."""
    folders = tuple(Path(os.fsdecode(name)) for name in names)
    assert round_trip(html, folders) == (html, folders)


def test_a_truncated_or_foreign_job_is_no_job() -> None:
    frame = pdf_worker._job_frame("<p>x</p>", FOLDERS)
    for broken in (frame[:5], frame[:-1], b"XXXX" + frame[4:]):
        with tempfile.TemporaryFile() as carrier:
            carrier.write(broken)
            carrier.flush()
            carrier.seek(0)
            assert pdf_worker._read_job(carrier.fileno()) is None
