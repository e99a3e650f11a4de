"""A PDF renderer forked as a command starts, so that WeasyPrint's import overlaps its work.

Importing WeasyPrint takes about 350 ms (half of it cffi reading C
declarations), on one core, while the command cannot start rendering before
it has read, checked and evaluated its inputs and built the HTML. A command
that will write a PDF forks a worker at its start (`prewarmed`): the worker
imports WeasyPrint on the second core while the parent works, then waits for
one job (the HTML and the template folders allowed to be fetched), renders
it and sends the PDF's bytes back over a pipe.

The worker is a pure function server: it writes no file and prints nothing
(what WeasyPrint or a C library writes on its stdout and stderr is captured
and handed back, for the parent to write where the in-process render would
have). The parent keeps every file write, message and exit code. Any failure
of the worker (it died or was killed, the pipe broke, it raised, it sent
something that is not a well-formed answer, it took too long to start)
makes the parent render in process, exactly as without a worker: the bytes,
messages and exit codes are the same either way.

Only the command line asks for a worker; a library caller gets one only by
calling `prewarmed` itself. It starts only where it can help: fork exists,
this process may run on at least two CPUs, WeasyPrint is not imported yet,
and TECHGATE_PDF_WORKER is not 0, false, no or off.

Standard library only, and only modules that are cheap to import: this
module is imported by the command before anything else of techgate's.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NoReturn

VARIABLE = "TECHGATE_PDF_WORKER"
"""Set to 0 (or false, no, off) to render every PDF in the command's own process."""
_OFF = frozenset({"0", "false", "no", "off"})

START_TIMEOUT = 20.0
"""Seconds from the fork that the worker may take to import WeasyPrint before
the parent gives up on it and renders in process (the import takes about
0.35 s on an idle core; a worker this late is stuck, not slow)."""

# Frames. Worker to parent, once: READY when WeasyPrint is imported. Parent to
# worker, once: the job header, then the HTML (UTF-8, lone surrogates kept)
# and the folders (file system names, NUL-separated). Worker to parent, once:
# the result header, then the PDF, the captured stdout and stderr.
READY = b"R"
_JOB = struct.Struct("!4sQQ")
_JOB_MAGIC = b"TGJ1"
_RESULT = struct.Struct("!4sBQQQ32s")
_RESULT_MAGIC = b"TGR1"
_RENDERED, _FAILED = 0, 1
# No answer is larger: a longer length is garbage, not a PDF.
_MAX_ANSWER = 1 << 34

_running: PdfWorker | None = None

Child = Callable[[int, int], object]
"""What runs in the forked process, given its job and result descriptors."""


def wanted(environ: dict[str, str] | None = None) -> bool:
    """Whether a worker can help this process: fork, two usable CPUs, WeasyPrint not loaded."""
    setting = (os.environ if environ is None else environ).get(VARIABLE, "")
    if setting.strip().lower() in _OFF:
        return False
    if not hasattr(os, "fork") or "weasyprint" in sys.modules:
        return False
    return usable_cpus() >= 2


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def prewarmed(will_render_pdf: bool) -> Iterator[PdfWorker | None]:
    """A worker for this block, when a PDF will be rendered in it and a worker can help."""
    if not will_render_pdf or _running is not None or not wanted():
        yield None
        return
    with running(PdfWorker.start()) as worker:
        yield worker


@contextlib.contextmanager
def running(worker: PdfWorker | None) -> Iterator[PdfWorker | None]:
    """The worker renders the first PDF asked for inside the block (see html_to_pdf).

    Leaving the block, however it is left, ends and reaps the worker.
    """
    global _running  # one worker per process, owned by this block
    _running = worker
    try:
        yield worker
    finally:
        if _running is worker:
            _running = None
        if worker is not None:
            worker.close()


def html_to_pdf(html: str, allowed_dirs: Iterable[Path]) -> bytes:
    """The PDF of the HTML (see techgate.render.pdf.html_to_pdf): from the prewarmed
    worker if one is running, otherwise, or if it fails, rendered in this process."""
    global _running  # a worker serves one job, then is spent
    folders = tuple(allowed_dirs)
    worker, _running = _running, None
    if worker is not None:
        try:
            answer = worker.render(html, folders)
        finally:
            # Spent either way; a worker that failed must not compete with
            # the render in process for the CPU.
            worker.close()
        if answer is not None:
            return answer
    from techgate.render.pdf import html_to_pdf as in_process

    return in_process(html, folders)


class PdfWorker:
    """One forked renderer: started, given one job, closed (killed if need be, always reaped)."""

    def __init__(self, pid: int, jobs: int, results: int, deadline: float) -> None:
        self.pid = pid
        """The worker's process id; the parent reaps it in close()."""
        self.jobs = jobs
        """The parent's end of the pipe the job is written to."""
        self.results = results
        """The parent's end of the pipe the answer is read from."""
        self.deadline = deadline
        """time.monotonic() by which the worker must have said it is ready."""
        self.reaped = False
        """Whether close() has collected the worker's exit status."""

    @classmethod
    def start(
        cls, child: Child | None = None, start_timeout: float = START_TIMEOUT
    ) -> PdfWorker | None:
        """Fork a worker (running 'child', by default the renderer); None if fork failed."""
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        # Buffered output would otherwise be written twice, once by each process.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        stops = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        # A Ctrl-C between the fork and the worker's own signal settings must
        # not run the parent's handler in the worker: held until both are ready.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            for descriptor in (jobs_read, jobs_write, results_read, results_write):
                os.close(descriptor)
            return None
        if pid == 0:  # pragma: no cover - the worker; its tests watch it from outside
            _become_worker(jobs_read, results_write, blocked, parent, child or serve)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(jobs_read)
        os.close(results_write)
        return cls(pid, jobs_write, results_read, time.monotonic() + start_timeout)

    def render(self, html: str, allowed_dirs: tuple[Path, ...]) -> bytes | None:
        """The worker's PDF of the HTML, or None if the worker failed in any way."""
        try:
            if not self._wait_ready():
                return None
            _write_all(self.jobs, _job_frame(html, allowed_dirs))
            os.close(self.jobs)
            self.jobs = -1
            answer = _read_answer(self.results)
        except OSError:
            return None
        if answer is None:
            return None
        pdf, out, err = answer
        _replay(out, err)
        return pdf

    def _wait_ready(self) -> bool:
        """Whether the worker said it is ready by the deadline; a parent that comes to
        render after the deadline still takes a worker that is ready by then."""
        # poll, not select: the descriptor may be above select's limit of 1,024.
        waiting = select.poll()
        waiting.register(self.results, select.POLLIN)
        while True:
            left = max(0.0, self.deadline - time.monotonic())
            if waiting.poll(left * 1000):
                # A byte, or end of file (b"") if the worker died.
                return os.read(self.results, 1) == READY
            if left == 0:
                return False

    def close(self) -> None:
        """End the worker if it still runs, reap it, and close the pipes; safe to call again."""
        for name in ("jobs", "results"):
            descriptor = getattr(self, name)
            if descriptor >= 0:
                with contextlib.suppress(OSError):
                    os.close(descriptor)
                setattr(self, name, -1)
        if self.reaped:
            return
        # An unreaped child keeps its process id, so this can only reach ours.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        while True:
            try:
                os.waitpid(self.pid, 0)
            except InterruptedError:  # pragma: no cover - retried by Python itself
                continue
            except ChildProcessError:
                pass  # someone else reaped it (a SIGCHLD handler set to ignore)
            break
        self.reaped = True


def _job_frame(html: str, allowed_dirs: tuple[Path, ...]) -> bytes:
    text = html.encode("utf-8", "surrogatepass")
    folders = b"\0".join(os.fsencode(folder) for folder in allowed_dirs)
    return _JOB.pack(_JOB_MAGIC, len(text), len(folders)) + text + folders


def _read_job(descriptor: int) -> tuple[str, tuple[Path, ...]] | None:
    header = _read_exactly(descriptor, _JOB.size)
    if header is None:
        return None
    magic, text_size, folders_size = _JOB.unpack(header)
    if magic != _JOB_MAGIC:
        return None
    body = _read_exactly(descriptor, text_size + folders_size)
    if body is None:
        return None
    html = body[:text_size].decode("utf-8", "surrogatepass")
    names = body[text_size:].split(b"\0") if folders_size else []
    folders = tuple(Path(os.fsdecode(name)) for name in names)
    return html, folders


def _result_frame(status: int, pdf: bytes, out: bytes, err: bytes) -> bytes:
    digest = hashlib.sha256(pdf + out + err).digest()
    header = _RESULT.pack(_RESULT_MAGIC, status, len(pdf), len(out), len(err), digest)
    return header + pdf + out + err


def _read_answer(descriptor: int) -> tuple[bytes, bytes, bytes] | None:
    """The PDF and the captured output from a well-formed success frame; otherwise None."""
    header = _read_exactly(descriptor, _RESULT.size)
    if header is None:
        return None
    magic, status, pdf_size, out_size, err_size, digest = _RESULT.unpack(header)
    total = pdf_size + out_size + err_size
    if magic != _RESULT_MAGIC or status != _RENDERED or total > _MAX_ANSWER:
        return None
    body = _read_exactly(descriptor, total)
    if body is None or hashlib.sha256(body).digest() != digest:
        return None
    pdf = body[:pdf_size]
    if not pdf.startswith(b"%PDF-"):
        return None
    return pdf, body[pdf_size : pdf_size + out_size], body[pdf_size + out_size :]


def _read_exactly(descriptor: int, size: int) -> bytes | None:
    """size bytes, or None if the pipe ends first."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(descriptor, min(size - len(chunks), 1 << 20))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _replay(out: bytes, err: bytes) -> None:
    """Write what the worker's render wrote on stdout and stderr, where it would have gone."""
    for stream, descriptor, data in ((sys.stdout, 1, out), (sys.stderr, 2, err)):
        if not data:
            continue
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            # As a C library's write to a descriptor that is not there: lost, not an error.
            with contextlib.suppress(OSError):
                _write_all(descriptor, data)
            continue
        stream.flush()  # what the command wrote before the render comes first
        buffer.write(data)
        buffer.flush()


# -- the worker's side -----------------------------------------------------------------


def _become_worker(
    jobs: int, results: int, blocked: set[int | signal.Signals], parent: int, child: Child
) -> NoReturn:  # pragma: no cover - runs in the forked process
    """Set the forked process up as a worker, run it, and leave without the parent's cleanup.

    os._exit skips atexit handlers, finalisers and the flushing of inherited
    buffers, all of which belong to the parent.
    """
    try:
        # Everything inherited stays alive as it is: the collector never
        # finalises (and so never closes) the parent's objects in here.
        gc.freeze()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        _keep_only(jobs, results)
        _end_with_parent(parent)
        child(jobs, results)
    except BaseException:  # noqa: S110 - a worker never prints; the parent falls back
        pass
    os._exit(0)


def _keep_only(*kept: int) -> None:  # pragma: no cover - runs in the forked process
    """Close every inherited descriptor but the pipes; stdin becomes /dev/null.

    The parent's files, sockets, terminal and the pipes of whoever started it
    (a reader waiting for end of file on its stdout) are not the worker's to
    hold. stdout and stderr are replaced by captures in serve().
    """
    start = 3
    for descriptor in sorted(kept):
        os.closerange(start, descriptor)
        start = descriptor + 1
    os.closerange(start, _descriptor_limit())
    null = os.open(os.devnull, os.O_RDWR)
    for standard in (0, 1, 2):
        os.dup2(null, standard)
    os.close(null)


def _descriptor_limit() -> int:  # pragma: no cover - runs in the forked process
    try:
        limit = os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        limit = -1
    return limit if limit > 0 else 1 << 16


def _end_with_parent(parent: int) -> None:  # pragma: no cover - runs in the forked process
    """Be killed when the parent dies, however it dies (Linux); elsewhere, the job's pipe
    reaching end of file ends the worker when it next reads."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(0)


def serve(jobs: int, results: int) -> None:  # pragma: no cover - runs in the forked process
    """The worker: import WeasyPrint, say so, render one job, answer, return."""
    out, err = _capture(1), _capture(2)
    _rebind("stdout", 1)
    _rebind("stderr", 2)
    from techgate.render.pdf import html_to_pdf as in_process

    gc.freeze()  # WeasyPrint's modules live as long as the worker: not worth walking
    _write_all(results, READY)
    job = _read_job(jobs)
    if job is None:
        return  # the parent went away, or sent nothing usable
    html, folders = job
    try:
        pdf = in_process(html, folders)
    except BaseException:  # the parent renders again, and reports the error itself
        _write_all(results, _result_frame(_FAILED, b"", b"", b""))
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    _write_all(results, _result_frame(_RENDERED, pdf, _captured(out), _captured(err)))


def _capture(standard: int) -> int:  # pragma: no cover - runs in the forked process
    """Point a standard descriptor at an anonymous file; returns that file's descriptor."""
    if hasattr(os, "memfd_create"):
        capture = os.memfd_create(f"techgate-pdf-worker-{standard}", os.MFD_CLOEXEC)
    else:
        import tempfile

        with tempfile.TemporaryFile() as anonymous:
            capture = os.dup(anonymous.fileno())
    os.dup2(capture, standard)
    return capture


def _captured(capture: int) -> bytes:  # pragma: no cover - runs in the forked process
    os.lseek(capture, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(capture, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _rebind(name: str, descriptor: int) -> None:  # pragma: no cover - in the forked process
    """sys.stdout or sys.stderr written to the captured descriptor, buffered as it was.

    The inherited stream may write somewhere else than the descriptor (a
    test's capture, a closed file): what Python code prints must reach the
    capture, in the order it would have reached the stream.
    """
    old = getattr(sys, name)
    through = bool(getattr(old, "write_through", False))
    # Unbuffered underneath when the stream wrote through (python -u, a test's capture).
    binary = open(descriptor, "wb", buffering=0 if through else -1, closefd=False)  # noqa: SIM115
    stream = io.TextIOWrapper(
        binary,
        encoding=getattr(old, "encoding", None) or "utf-8",
        errors=getattr(old, "errors", None) or "strict",
        line_buffering=bool(getattr(old, "line_buffering", False)),
        write_through=through,
    )
    setattr(sys, name, stream)
