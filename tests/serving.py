"""A real techgate service in a process of its own, and a PostgreSQL server to stop and start.

Shared by the fault tests (tests/test_service_faults.py) and the load benchmark
(bench/bench_service.py): both need the server as an operator runs it (the
installed script, a real socket, a real database), so that SIGKILL and a
database restart hit what they would hit in production.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SCRIPT = Path(sys.executable).parent / "techgate"
PG_BIN_DIRS = ("/usr/local/bin", *sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin"))))
PG_CTL_AS_POSTGRES = Path(__file__).parent / "pg_ctl_as_postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def techgate(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, check=check, timeout=120
    )


def create_token(db: str, name: str, role: str) -> str:
    """A new API token's secret, made as an operator makes the first one: on the database."""
    done = techgate("token", "create", name, "--role", role, "--db", db)
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Server:
    """'techgate serve' on a loopback port, started and killed as an operator would."""

    db: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *extra: str, wait: float = 30.0) -> Server:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SCRIPT), "serve", "--db", self.db, "--port", str(self.port), *extra],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server did not answer in {wait} s: {self.log.read_text()[-2000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill(signal.SIGTERM)


def pg_ctl() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return found
    for folder in PG_BIN_DIRS:
        if (Path(folder) / "pg_ctl").exists():
            return str(Path(folder) / "pg_ctl")
    return None


@dataclass
class PostgreSQL:
    """A private PostgreSQL server, owned by one test or benchmark, that can be restarted."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="techgate-pg-")))
    port: int = field(default_factory=free_port)
    executor: object | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/techgate"

    def start(self) -> PostgreSQL:
        from pytest_postgresql.executors import PostgreSQLExecutor

        executable = pg_ctl()
        if executable is None:
            raise RuntimeError("no PostgreSQL (pg_ctl) on this machine")
        if os.geteuid() == 0:
            os.environ["PG_CTL"] = executable
            executable = str(PG_CTL_AS_POSTGRES)
            shutil.chown(self.folder, "postgres")
        if self.executor is None:
            self.executor = PostgreSQLExecutor(
                executable=executable,
                host="127.0.0.1",
                port=self.port,
                datadir=str(self.folder / "data"),
                unixsocketdir=str(self.folder),
                logfile=str(self.folder / "postgresql.log"),
                startparams="-w",
                dbname="techgate",
                postgres_options="-F",
            )
        self.executor.start()  # type: ignore[attr-defined]
        return self

    def create_database(self) -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute('CREATE DATABASE "techgate"')

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.stop()  # type: ignore[attr-defined]

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
