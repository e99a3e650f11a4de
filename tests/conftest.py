from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import techgate
from techgate.model import CriteriaPack

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = Path(__file__).resolve().parent / "cases"

# The intended outcome of every shipped example (the README promises these).
EXAMPLE_DECISIONS = {
    "callback-queue": "go",
    "chatbot-no-human": "no-go",
    "crm-consolidation": "conditional",
    "ivr-speech-recognition": "no-go",
    "speech-analytics-savings": "conditional",
    "self-service-portal-panel": "conditional",
    "generative-assistant-grounded": "conditional",
    "voicebot-projected-savings": "no-go",
    "agent-assist-drafts": "go",
    "sms-reminders-unchanged": "go",
}


def read_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text("utf-8"))


def baseline() -> dict[str, Any]:
    return copy.deepcopy(read_yaml(CASES / "baseline.yaml"))


def merge(base: Any, patch: Any) -> Any:
    """Mappings merge key by key; anything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(patch)


@pytest.fixture(scope="session")
def contact_centre() -> CriteriaPack:
    return techgate.load_criteria("contact-centre")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff).",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def records(contact_centre: CriteriaPack) -> dict[str, Any]:
    """The decision record of every example, evaluated once per session."""
    return {
        name: techgate.evaluate(techgate.load_proposal(EXAMPLES / f"{name}.yaml"), contact_centre)
        for name in EXAMPLE_DECISIONS
    }


# -- the register's two backends ----------------------------------------------


PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin")


def _find_pg_ctl() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return found
    for folder in PG_BIN_DIRS:
        candidate = Path(folder) / "pg_ctl"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


PG_CTL = _find_pg_ctl()
# PostgreSQL refuses to run as root (CI and the shared machines run tests as
# root): then pg_ctl runs as the 'postgres' account, through this wrapper.
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PG_CTL_AS_POSTGRES = Path(__file__).parent / "pg_ctl_as_postgres"


def _why_no_postgresql() -> str | None:
    if PG_CTL is None:
        return f"no PostgreSQL found (pg_ctl not on PATH nor in {', '.join(PG_BIN_DIRS)})"
    if AS_ROOT and shutil.which("runuser") is None:
        return "running as root, and no 'runuser' to start PostgreSQL as 'postgres'"
    return None


@pytest.fixture(scope="session")
def postgresql_base() -> Iterator[str]:
    """The URL prefix of a PostgreSQL server started for this session (skips without one).

    pytest-postgresql's executor, in a folder of its own outside pytest's
    temporary tree: pytest keeps that tree private to its user (0700, reset
    by every pytest run on the machine), and the 'postgres' account must be
    able to reach the data folder when the tests run as root.
    """
    reason = _why_no_postgresql()
    if reason:
        pytest.skip(reason)
    assert PG_CTL is not None
    import tempfile

    from port_for import get_port
    from pytest_postgresql.executors import PostgreSQLExecutor

    folder = Path(tempfile.mkdtemp(prefix="techgate-pg-"))
    executable = PG_CTL
    if AS_ROOT:
        os.environ["PG_CTL"] = PG_CTL
        executable = str(PG_CTL_AS_POSTGRES)
        shutil.chown(folder, "postgres")
    port = get_port(None)
    assert port is not None
    server = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=port,
        datadir=str(folder / "data"),
        unixsocketdir=str(folder),
        logfile=str(folder / "postgresql.log"),
        startparams="-w",
        dbname="techgate_tests",
    )
    server.start()
    try:
        yield f"postgresql+psycopg://{server.user}@127.0.0.1:{port}"
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


_databases = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty register database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'techgate.db'}"
        return
    base = request.getfixturevalue("postgresql_base")
    import psycopg

    name = f"register_{os.getpid()}_{next(_databases)}"
    admin = base.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
