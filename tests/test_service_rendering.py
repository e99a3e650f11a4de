"""The render pool's bounds (503 when full, 504 past the timeout), jobs, and real PDFs."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from service_support import GO, Served, problem, serve, submit

from techgate.cli import cli
from techgate.service import Settings
from techgate.service.problems import ProblemError
from techgate.service.rendering import RenderPool
from techgate.vocabulary import DocumentFormat

RELEASE = threading.Event()


def held_render(record_json: str, document: str) -> bytes:
    """A render that waits until the test lets it go: the pool stays busy meanwhile."""
    RELEASE.wait(30)
    return f"{document}:{len(record_json)}".encode()


@pytest.fixture
def held() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


def test_a_full_pool_is_503_with_retry_after(held: None) -> None:
    pool = RenderPool(Settings(render_workers=0, render_queue=2), renderer=held_render)
    try:
        jobs = [pool.start_job(1, "{}", DocumentFormat.PDF) for _ in range(3)]  # 1 runs, 2 wait
        with pytest.raises(ProblemError) as refused:
            pool.start_job(1, "{}", DocumentFormat.PDF)
        assert refused.value.status == 503 and refused.value.headers["Retry-After"] == "5"
        assert pool.pending == 3
        RELEASE.set()
        while any(job.status == "pending" for job in jobs):
            pass
        assert {job.result for job in jobs} == {b"pdf:2"}
        assert pool.pending == 0
        assert pool.job(jobs[0].id) is jobs[0]
    finally:
        pool.close()


def test_a_render_past_the_timeout_is_504(held: None) -> None:
    pool = RenderPool(Settings(render_workers=0, render_timeout_s=0.01), renderer=held_render)
    try:
        with pytest.raises(ProblemError) as late:
            asyncio.run(pool.render("{}", DocumentFormat.HTML))
        assert late.value.status == 504 and late.value.kind == "render-timeout"
    finally:
        RELEASE.set()
        pool.close()


def test_finished_jobs_are_bounded() -> None:
    pool = RenderPool(Settings(render_workers=0, job_limit=2), renderer=lambda r, d: b"x")
    try:
        jobs = []
        for _ in range(5):
            job = pool.start_job(1, "{}", DocumentFormat.HTML)
            while job.status == "pending":
                pass
            jobs.append(job)
        held = [job for job in jobs if pool.job(job.id) is not None]
        assert held == jobs[-2:]
    finally:
        pool.close()


def crashing_render(record_json: str, document: str) -> bytes:
    """A worker that dies mid-render, as one killed for memory would."""
    os._exit(9)


def plain_render(record_json: str, document: str) -> bytes:
    return document.encode()


@pytest.mark.slow
def test_a_crashed_worker_is_503_and_the_next_render_gets_a_fresh_pool() -> None:
    pool = RenderPool(Settings(render_workers=1), renderer=crashing_render)
    try:
        with pytest.raises(ProblemError) as crashed:
            asyncio.run(pool.render("{}", DocumentFormat.PDF))
        assert crashed.value.status == 503 and crashed.value.kind == "render-worker-crashed"
        assert pool.pending == 0
        pool.renderer = plain_render
        assert asyncio.run(pool.render("{}", DocumentFormat.PDF)) == b"pdf"
    finally:
        pool.close()


def test_serve_refuses_a_remote_host_without_allow_remote(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--db", str(tmp_path / "t.db")])
    assert result.exit_code == 2 and "--allow-remote" in result.stderr
    assert not (tmp_path / "t.db").exists()  # refused before the register was opened


# -- real processes --------------------------------------------------------------------------


@pytest.fixture
def with_workers(tmp_path: Path) -> Iterator[Served]:
    yield from serve(f"sqlite:///{tmp_path / 'techgate.db'}", Settings(render_workers=1))


@pytest.mark.slow
def test_a_pdf_from_the_process_pool_and_as_a_job(with_workers: Served) -> None:
    submit(with_workers, GO)
    with with_workers.client("reader") as client:
        direct = client.get("/v1/evaluations/1/record", headers={"Accept": "application/pdf"})
        assert direct.status_code == 200 and direct.content.startswith(b"%PDF-")
        started = client.get("/v1/evaluations/1/record.pdf?async=true")
        assert started.status_code == 202
        status = client.get(started.headers["location"]).json()
        while status["status"] == "pending":
            early = client.get(f"{started.headers['location']}/result")
            if early.status_code != 200:  # it may have finished in between
                assert problem(early, 409)["type"] == "urn:techgate:problem:job-not-done"
            status = client.get(started.headers["location"]).json()
        assert client.get(status["result"]).content == direct.content  # deterministic


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_techgate_serve_answers_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    database = tmp_path / "techgate.db"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "techgate"), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TECHGATE_DB": str(database)},
        cwd=tmp_path,
    )
    try:
        assert process.stderr is not None
        lines = []
        for raw in process.stderr:
            lines.append(raw.decode())
            if "Uvicorn running" in lines[-1] or "Application startup complete" in lines[-1]:
                break
        assert any(f"on http://127.0.0.1:{port}/v1" in line for line in lines), lines
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json() == {"status": "ok"}
        process.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then re-raises the signal so the exit status says what
        # stopped it (143 in a shell), as service managers expect.
        assert process.wait(timeout=30) == -signal.SIGTERM
        rest = process.stderr.read().decode()
        assert "Traceback" not in rest
        assert "Application shutdown complete" in rest and "Finished server process" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert database.exists()


def test_a_given_socket_is_served_without_nagles_delay(tmp_path: Path) -> None:
    """A socket made with proto 0 is one asyncio leaves Nagle's algorithm on for; the server
    turns it off on the listening socket, which accepted connections inherit."""
    from techgate.service import create_app
    from techgate.service.server import start_on_socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    running = start_on_socket(
        create_app(f"sqlite:///{tmp_path / 't.db'}", Settings(render_workers=0)), sock
    )
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert httpx.get(f"{running.url}/healthz").status_code == 200
    finally:
        running.stop()
