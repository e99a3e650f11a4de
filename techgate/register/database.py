"""Opening the register's database: the URL, SQLite's settings, the write lock, the migrations.

Every problem opening it (a path that is a folder or a pipe, a file that is
not a database, a folder that cannot be written, a server that does not
answer) is an InvalidInputError naming the database, with any password
masked, so the command line says it in one line and exits 2.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
)

from techgate.errors import InvalidInputError, UnavailableError, single_problem

DEFAULT_URL = "sqlite:///techgate.db"
"""./techgate.db in the current folder."""
ENVIRONMENT = "TECHGATE_DB"
BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another to finish before giving up."""
# Any constant: the key of PostgreSQL's advisory lock that serialises writers.
_PG_WRITE_LOCK = 7_260_451_019


def resolve_url(url: str | None) -> str:
    """The database URL: the one given, else TECHGATE_DB, else ./techgate.db.

    A plain path (no '://') names an SQLite file.
    """
    chosen = url or os.environ.get(ENVIRONMENT) or DEFAULT_URL
    return chosen if "://" in chosen else f"sqlite:///{chosen}"


def shown(url: str | URL) -> str:
    """The URL as it may be printed: any password masked."""
    if isinstance(url, str) and _SURROGATE.search(url):
        return "<the database URL>"
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return "<the database URL>"
    # libpq also takes a password as ?password= (or a key's as ?sslpassword=), which
    # SQLAlchemy passes on as it is and does not mask.
    secret = {key: "***" for key in parsed.query if key.lower() in _SECRET_QUERY_KEYS}
    if secret:
        parsed = parsed.update_query_dict(secret)
    return parsed.render_as_string(hide_password=True)


_SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def _problem(url: URL | str, message: str, hint: str = "") -> InvalidInputError:
    return single_problem(shown(url), message, hint, field="database")


def parse_url(url: str) -> URL:
    if _SURROGATE.search(url):
        # A byte that is not UTF-8 (from the shell or the environment): no driver can take it.
        raise _problem(
            url,
            "is not UTF-8 text (a lone surrogate, or a byte the terminal did not encode)",
            "name the database with UTF-8 characters only",
        )
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise _problem(
            url,
            "is not a database URL",
            "give a file path as sqlite:///PATH, or postgresql+psycopg://USER@HOST/NAME",
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise _problem(parsed, "is neither SQLite nor PostgreSQL", "the register runs on those two")
    return parsed


def _check_sqlite_path(url: URL) -> None:
    """Refuse what SQLite would hang on (a pipe) or misreport, before it opens anything."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        # A dangling symlink is created at its target, so the target's folder is what
        # must exist (realpath follows the links as far as they go).
        folder = Path(os.path.realpath(path)).parent
        if not folder.is_dir():
            raise _problem(url, f"folder {folder} does not exist") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise _problem(url, f"folder {folder} cannot be written to") from None
        return
    except OSError as error:
        raise _problem(url, f"cannot be read: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise _problem(url, "is a folder, not a database file", "name a file inside it")
    if not stat.S_ISREG(mode):
        raise _problem(url, "is not a regular file (a pipe or a device?)")
    if not os.access(path, os.R_OK | os.W_OK):
        raise _problem(url, "cannot be written to")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        # SQLite's WAL and shared-memory files live beside the database.
        raise _problem(url, f"its folder {path.parent} cannot be written to")


def make_engine(url: str) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        _check_sqlite_path(parsed)
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_settings)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as error:
        raise _problem(parsed, f"needs a driver that is not installed: {error}") from None


def _sqlite_settings(connection: Any, _record: Any) -> None:
    # Python's sqlite3 opens transactions on its own; the 'begin' hook below
    # does it instead, so that a writer's transaction takes the write lock first.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Asking for WAL when the file is in WAL already is a no-op, but only a
    # file's first switch needs it alone (see _creating); ask only then.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer's transaction (see writing) is IMMEDIATE: it takes the write lock when it
    # starts, so two writers queue up (busy_timeout) rather than both reading the chain's
    # head and one failing at commit. A reader's is deferred: in WAL mode it reads its
    # snapshot beside the writer instead of queueing for the write lock with it.
    if connection.get_execution_options().get(_WRITER):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


_WRITER = "techgate_writer"
_TAKE_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


@contextmanager
def translated(url: str | URL) -> Iterator[None]:
    """Database errors as one located problem, the password masked."""
    try:
        yield
    except InvalidInputError:
        raise
    except (OperationalError, InterfaceError, DisconnectionError) as error:
        # The server is down or unreachable, or the file locked past the busy timeout:
        # not the input's fault, and worth trying again (the service says 503).
        cause = getattr(error, "orig", None) or error
        problem = _problem(url, _first_line(cause), _hint(cause))
        raise UnavailableError(problem.problems) from None
    except DBAPIError as error:
        raise _problem(url, _first_line(error.orig), _hint(error.orig)) from None
    except SQLAlchemyError as error:
        raise _problem(url, _first_line(error)) from None


def _first_line(error: BaseException | None) -> str:
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return message[:300]


def _hint(error: BaseException | None) -> str:
    message = str(error)
    if "file is not a database" in message:
        return "this file is something else; name a new file or a techgate register"
    if "unable to open database file" in message:
        return "check that the folder exists and can be written to"
    return ""


@contextmanager
def _creating(engine: Engine) -> Iterator[None]:
    """For an SQLite file: one process at a time creates it, turns on WAL and migrates.

    Switching a new file to WAL needs it alone; a second process opening it
    at that moment gets 'database is locked' at once, whatever the busy
    timeout. An advisory lock on the file itself (flock, which SQLite's own
    POSIX locks do not see) makes the second process wait its turn instead.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    descriptor = os.open(database, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the register's write lock: writers run one at a time."""
    with engine.connect() as connection, connection.execution_options(**{_WRITER: True}).begin():
        if connection.dialect.name == "postgresql":
            connection.execute(_TAKE_LOCK, {"key": _PG_WRITE_LOCK})
        yield connection


def migrations_folder() -> Path:
    return Path(__file__).resolve().parent / "migrations"


HEAD = "0002"
"""The newest migration (a test checks it is Alembic's head): a database already there is
opened without importing Alembic, a third of a second of every command's start."""


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema, under the write lock."""
    with _creating(engine), writing(engine) as connection:
        if _revision(connection) == HEAD:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(migrations_folder()))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _revision(connection: Connection) -> str | None:
    from sqlalchemy import inspect

    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
