"""Hostile and careless input to the register, diff and the CI formats: refused in one line.

Each case here was a traceback, a leaked secret or a silently wrong output
before it was fixed; the cases that held up from the start are listed in
the branch's report rather than tested twice.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from techgate.cli import ExitCode, cli
from techgate.model.register import Page
from techgate.register.database import shown
from techgate.render.ci import source_uri
from techgate.vocabulary import LARGEST_ID

GO = str(EXAMPLES / "callback-queue.yaml")
NO_GO = str(EXAMPLES / "chatbot-no-human.yaml")
# SQLite's integers are signed 64-bit; one more than the largest.
TOO_BIG = str(2**63)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _refused_cleanly(code: int, out: str, err: str) -> None:
    assert code == ExitCode.INVALID, (code, out, err)
    assert "unexpected error" not in err and "Traceback" not in err, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'register.db'}"
    assert run("register", "submit", GO, "--db", url)[0] == ExitCode.GO
    return url


# -- the database ----------------------------------------------------------------


def test_a_dangling_symlink_is_refused_by_name(tmp_path: Path) -> None:
    link = tmp_path / "register.db"
    link.symlink_to(tmp_path / "gone" / "target.db")
    code, out, err = run("register", "list", "--db", str(link))
    _refused_cleanly(code, out, err)
    assert "gone" in err, err
    assert not (tmp_path / "gone").exists()


def test_a_symlink_to_a_new_file_in_a_real_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    link = tmp_path / "register.db"
    link.symlink_to(tmp_path / "data" / "target.db")
    code, out, err = run("register", "submit", GO, "--db", str(link))
    assert code == ExitCode.GO, (out, err)
    assert (tmp_path / "data" / "target.db").stat().st_size > 0


@pytest.mark.parametrize("key", ["password", "sslpassword", "PASSWORD"])
def test_a_password_in_the_query_string_is_never_shown(key: str) -> None:
    url = f"postgresql+psycopg://someone@127.0.0.1:1/register?{key}=s3cret-pw&sslmode=disable"
    assert "s3cret-pw" not in shown(url)
    assert "sslmode=disable" in shown(url)


def test_a_password_in_the_query_string_is_not_in_any_error() -> None:
    pytest.importorskip("psycopg")
    # Port 1 on the loopback: refused at once, no server needed.
    url = "postgresql+psycopg://someone@127.0.0.1:1/register?password=s3cret-pw"
    code, out, err = run("register", "list", "--db", url)
    _refused_cleanly(code, out, err)
    assert "s3cret-pw" not in out + err, err
    assert "127.0.0.1" in err


# -- ids past what the database can hold -------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("show", TOO_BIG),
        ("show", TOO_BIG, "--record"),
        ("decide", TOO_BIG, "--outcome", "approved", "--by", "board"),
        ("list", "--after", TOO_BIG),
        ("list", "--after", "1" + "0" * 30),
    ],
)
def test_an_id_too_large_for_the_database_is_refused(db: str, args: tuple[str, ...]) -> None:
    code, out, err = run("register", *args, "--db", db)
    _refused_cleanly(code, out, err)


def test_the_largest_id_the_database_holds_is_simply_not_found(db: str) -> None:
    code, out, err = run("register", "show", str(LARGEST_ID), "--db", db)
    _refused_cleanly(code, out, err)
    assert "has no evaluation" in err


def test_the_library_refuses_a_page_after_the_largest_id() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Page(after=2**63)


# -- the CI formats ----------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_is_a_sarif_uri_of_its_bytes(tmp_path: Path) -> None:
    # Python hands such a name over with lone surrogates standing for the bytes.
    name = os.fsdecode(b"proposal-\xff.yaml")
    assert source_uri(PurePosixPath(name)) == "proposal-%FF.yaml"
    assert source_uri(PurePosixPath("/srv/" + name)) == "file:///srv/proposal-%FF.yaml"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_evaluate_sarif_of_a_file_name_that_is_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative, as pipelines give it: an absolute path took another road (as_uri) and held.
    monkeypatch.chdir(tmp_path)
    target = Path(os.fsdecode(b"proposal-\xff.yaml"))
    target.write_bytes(Path(NO_GO).read_bytes())
    code, out, err = run("evaluate", str(target), "--format", "sarif")
    assert code == ExitCode.NO_GO, err
    locations = json.loads(out)["runs"][0]["results"][0]["locations"]
    assert locations[0]["physicalLocation"]["artifactLocation"]["uri"] == "proposal-%FF.yaml"


# -- diff ----------------------------------------------------------------------------


@pytest.mark.parametrize("chosen", ["junit", "sarif", "github"])
def test_diff_refuses_a_ci_format_rather_than_printing_text(tmp_path: Path, chosen: str) -> None:
    record = tmp_path / "record.json"
    code, out, _ = run("evaluate", NO_GO, "--format", "json")
    record.write_text(out, encoding="utf-8")
    code, out, err = run("diff", str(record), str(record), "--format", chosen)
    assert code == ExitCode.INVALID, (out, err)
    assert out == ""
    assert chosen in err


@pytest.mark.parametrize(
    ("where", "twice"),
    [
        ("gates", lambda r: r["gates"].append(r["gates"][0])),
        ("criteria", lambda r: r["criteria"].append(r["criteria"][0])),
        (
            "indicators",
            lambda r: r["criteria"][1]["indicators"].append(r["criteria"][0]["indicators"][0]),
        ),
        ("conditions", lambda r: r["conditions"].append(r["conditions"][0])),
    ],
)
def test_a_hand_edited_record_naming_an_id_twice_is_refused(
    tmp_path: Path, where: str, twice: Any
) -> None:
    # The diff pairs entries by id: a second entry of an id would silently hide the first.
    code, out, _ = run("evaluate", NO_GO, "--format", "json")
    record = json.loads(out)
    twice(record)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(record), encoding="utf-8")
    code, out, err = run("diff", str(edited), str(edited))
    _refused_cleanly(code, out, err)
    assert where in err and "twice" in err, err


# -- text that is not text -------------------------------------------------------------

# What Python makes of a non-UTF-8 byte in an argument: a lone surrogate.
NOT_UTF8 = os.fsdecode(b"\xff")


@pytest.mark.parametrize(
    "db", [f"register-{NOT_UTF8}.db", f"postgresql+psycopg://u:pw{NOT_UTF8}@127.0.0.1:1/x"]
)
def test_a_database_url_that_is_not_utf8_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("register", "list", "--db", db)
    _refused_cleanly(code, out, err)
    assert "UTF-8" in err and "pw" not in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--owner", NOT_UTF8),
        ("list", "--proposal", NOT_UTF8),
        ("list", "--category", NOT_UTF8),
        ("list", "--pack", NOT_UTF8),
        ("history", NOT_UTF8),
        ("history", NOT_UTF8, "-f", "markdown"),
        ("diff", NOT_UTF8),
        ("audit", "--mask", NOT_UTF8),
        ("decide", "1", "--outcome", "approved", "--by", "board", "--reason", NOT_UTF8),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused(db: str, args: tuple[str, ...]) -> None:
    code, out, err = run("register", *args, "--db", db)
    _refused_cleanly(code, out, err)
    assert "UTF-8" in err, err


@pytest.mark.parametrize("reason", ["\x00", "\u200b", "\ufeff \u200b", "\x1b", "\u202e"])
def test_an_override_needs_a_reason_that_says_something(db: str, reason: str) -> None:
    # Evaluation 1 is a go: rejecting it overrides the engine.
    code, out, err = run(
        "register",
        "decide",
        "1",
        "--outcome",
        "rejected",
        "--by",
        "board",
        "--reason",
        reason,
        "--db",
        db,
    )
    _refused_cleanly(code, out, err)
    assert "reason" in err, err
    assert "decision 1" not in run("register", "show", "1", "--db", db)[1]


def test_a_reason_may_run_over_lines_and_tabs(db: str) -> None:
    code, _, err = run(
        "register",
        "decide",
        "1",
        "--outcome",
        "rejected",
        "--by",
        "board",
        "--reason",
        "Budget frozen.\n\tSee minutes 12.",
        "--db",
        db,
    )
    assert code == 0, err
    shown_json = json.loads(run("register", "show", "1", "-f", "json", "--db", db)[1])
    assert shown_json["decisions"][0]["reason"] == "Budget frozen.\n\tSee minutes 12."
