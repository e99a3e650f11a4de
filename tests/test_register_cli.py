"""techgate register through click's CliRunner, on both backends; hostile databases."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import EXAMPLES

from techgate.cli import ExitCode, cli
from techgate.render.json import render_json

NO_GO = str(EXAMPLES / "chatbot-no-human.yaml")
GO = str(EXAMPLES / "callback-queue.yaml")
CONDITIONAL = str(EXAMPLES / "crm-consolidation.yaml")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_submit_exits_with_the_decision_and_is_idempotent(register_url: str) -> None:
    for path, code in ((GO, 0), (CONDITIONAL, 3), (NO_GO, 4)):
        assert run("register", "submit", path, "--db", register_url)[0] == code
    code, out, err = run("register", "submit", NO_GO, "--db", register_url, "-f", "json")
    assert code == ExitCode.NO_GO, err
    submitted = json.loads(out)
    assert submitted["created"] is False and submitted["evaluation"]["id"] == 3
    code, out, _ = run("register", "list", "--db", register_url, "-f", "json")
    assert [item["id"] for item in json.loads(out)["items"]] == [1, 2, 3]


def test_show_record_is_byte_for_byte_what_evaluate_writes(register_url: str) -> None:
    run("register", "submit", CONDITIONAL, "--db", register_url)
    code, out, _ = run("register", "show", "1", "--record", "--db", register_url)
    assert code == 0
    assert out == run("evaluate", CONDITIONAL, "-f", "json")[1]
    code, out, _ = run("register", "show", "1", "--db", register_url, "-f", "json")
    shown = json.loads(out)
    assert shown["record"]["decision"] == "conditional" and shown["decisions"] == []


def test_decide_then_a_changed_proposal_needs_a_new_decision(
    register_url: str, tmp_path: Path
) -> None:
    run("register", "submit", NO_GO, "--db", register_url)
    code, _, err = run(
        "register", "decide", "1", "--outcome", "approved", "--by", "board", "--db", register_url
    )
    assert code == ExitCode.INVALID and "an override needs a reason" in err
    code, out, err = run(
        "register",
        "decide",
        "1",
        "--outcome",
        "approved",
        "--by",
        "board",
        "--reason",
        "pilot with 50 users",
        "--db",
        register_url,
    )
    assert code == 0, err
    assert "OVERRIDES the engine's no-go" in out and "pilot with 50 users" in out
    changed = tmp_path / "chatbot.yaml"
    text = Path(NO_GO).read_text(encoding="utf-8")
    changed.write_text(text.replace("Automated web chat", "Automated web chat, v2"), "utf-8")
    code, out, _ = run("register", "submit", str(changed), "--db", register_url)
    assert code == ExitCode.NO_GO and "NEEDS A NEW DECISION" in out
    code, out, _ = run("register", "history", "chatbot-no-human", "--db", register_url)
    assert code == 0
    assert "[decided]" in out and "[needs-new-decision]" in out
    assert out.index("v2") > out.index("OVERRIDES")


def test_list_filters_and_pages_in_text(register_url: str) -> None:
    for path in (GO, NO_GO, CONDITIONAL):
        run("register", "submit", path, "--db", register_url)
    code, out, _ = run("register", "list", "--decision", "no-go", "--db", register_url)
    assert code == 0 and "chatbot-no-human" in out and "callback-queue" not in out
    code, out, err = run("register", "list", "--limit", "2", "--db", register_url)
    assert len(out.splitlines()) == 2 and "more: --after 2" in err
    code, out, _ = run("register", "list", "--after", "2", "--db", register_url)
    assert out.startswith("3 ")


def test_verify_names_the_first_tampered_row(register_url: str) -> None:
    run("register", "submit", GO, "--db", register_url)
    run("register", "submit", NO_GO, "--db", register_url)
    code, out, _ = run("register", "verify", "--db", register_url)
    assert code == 0 and out.startswith("intact: 2 events, head ")
    engine = sa.create_engine(register_url)
    try:
        with engine.begin() as connection:
            if register_url.startswith("sqlite"):
                connection.execute(sa.text("DROP TRIGGER evaluations_no_update"))
            else:
                connection.execute(sa.text("DROP TRIGGER evaluations_append_only ON evaluations"))
            connection.execute(sa.text("UPDATE evaluations SET decision = 'go' WHERE id = 2"))
    finally:
        engine.dispose()
    code, out, _ = run("register", "verify", "--db", register_url)
    assert code == ExitCode.TAMPERED == 7
    assert out == "BROKEN: evaluation 2: differs from its audit event (decision)\n"
    code, out, _ = run("register", "verify", "--db", register_url, "-f", "json")
    assert json.loads(out)["problems"][0]["key"] == "2"


def test_the_database_comes_from_the_environment_or_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TECHGATE_DB", raising=False)
    assert run("register", "submit", GO)[0] == 0
    assert (tmp_path / "techgate.db").is_file()
    other = tmp_path / "other.db"
    code, out, _ = run("register", "submit", GO, env={"TECHGATE_DB": str(other)})
    assert code == 0 and "stored as evaluation 1 in sqlite:///" in out and other.is_file()
    journal = sa.create_engine(f"sqlite:///{other}")
    try:
        with journal.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        journal.dispose()


# -- hostile databases -----------------------------------------------------------


def _refused(db: str, *words: str) -> str:
    code, out, err = run("register", "list", "--db", db)
    assert code == ExitCode.INVALID, (out, err)
    assert "Traceback" not in err and "unexpected" not in err
    for word in words:
        assert word in err, err
    return err


def test_a_folder_is_refused_by_name(tmp_path: Path) -> None:
    _refused(str(tmp_path), str(tmp_path), "is a folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_refused_without_opening_it(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    _refused(str(pipe), str(pipe), "not a regular file")


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"these are my notes, not a database\n" * 100)
    _refused(str(notes), str(notes), "file is not a database")
    assert notes.read_bytes() == b"these are my notes, not a database\n" * 100


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    _refused(str(tmp_path / "nowhere" / "techgate.db"), "does not exist")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        if os.access(locked, os.W_OK):
            # root writes anywhere; a read-only bind is not available here
            # either, so check the message with a folder nobody may enter.
            locked.chmod(0o000)
            if os.access(locked, os.W_OK):
                pytest.skip("running as a user no permission stops")
        _refused(str(locked / "techgate.db"), "cannot be written to")
    finally:
        locked.chmod(0o700)


def _list_as_nobody(db: str, results: Any) -> None:
    os.setgid(65534)
    os.setuid(65534)
    results.put(run("register", "list", "--db", db))


@pytest.mark.slow
@pytest.mark.skipif(
    not (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="needs root, to drop to 'nobody' in a forked process",
)
def test_an_unwritable_folder_is_refused_for_an_ordinary_user(tmp_path: Path) -> None:
    """As root no permission stops a write, so a forked child drops to 'nobody' first."""
    from techgate import api

    # Everything the command imports is loaded before the fork: 'nobody'
    # cannot read this interpreter's library folder.
    with api.open_register(str(tmp_path / "warm.db")) as opened:
        opened.verify()
    folder = Path(tempfile.mkdtemp(prefix="techgate-locked-"))
    try:
        folder.chmod(0o755)  # 'nobody' may enter and read, not write
        target = folder / "techgate.db"
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        child = context.Process(target=_list_as_nobody, args=(str(target), results))
        child.start()
        code, out, err = results.get(timeout=60)
        child.join(60)
        assert code == ExitCode.INVALID, (out, err)
        assert f"folder {folder} cannot be written to" in err
        assert "Traceback" not in err and not target.exists()
    finally:
        shutil.rmtree(folder)


def test_a_password_in_the_url_is_never_printed() -> None:
    url = "postgresql+psycopg://ana:hunter2@127.0.0.1:9/register?connect_timeout=2"
    err = _refused(url, "postgresql+psycopg://ana:***@127.0.0.1:9/register")
    assert "hunter2" not in err
    code, out, err = run("register", "verify", env={"TECHGATE_DB": url})
    assert code == ExitCode.INVALID and "hunter2" not in out + err


def test_nonsense_urls_and_unknown_evaluations_exit_2(tmp_path: Path) -> None:
    _refused("mysql://root:pw@localhost/x", "neither SQLite nor PostgreSQL")
    db = str(tmp_path / "techgate.db")
    code, _, err = run("register", "show", "4", "--db", db)
    assert code == ExitCode.INVALID and "has no evaluation 4" in err
    code, _, err = run("register", "history", "nothing", "--db", db)
    assert code == ExitCode.INVALID and "no evaluation of proposal 'nothing'" in err


# -- start-up ------------------------------------------------------------------


def test_help_does_not_import_the_database_libraries() -> None:
    code = (
        "import sys\n"
        "from techgate.cli import cli\n"
        "try:\n"
        "    cli.main(['register', '--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('sqlalchemy', 'alembic', 'psycopg') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "submit" in done.stdout and "verify" in done.stdout


def test_the_stored_record_renders_as_evaluate_renders_it(tmp_path: Path) -> None:
    from techgate import api

    with api.open_register(str(tmp_path / "r.db")) as opened:
        submitted = api.submit(opened, GO)
        assert opened.record_json(submitted.evaluation.id) == render_json(api.evaluate(GO))


# -- register diff ---------------------------------------------------------------


def _worse_crm(tmp_path: Path) -> Path:
    """The CRM proposal resubmitted with its first assessor's availability answer at 0."""
    from techgate import api

    base = api.load(Path(CONDITIONAL))
    name = base.proposal.assessments[0].assessor
    changed = api.proposal_with_answer(base.proposal, name, "availability", 0)
    path = tmp_path / "crm-v2.yaml"
    path.write_text(json.dumps(changed.model_dump(mode="json", exclude_none=True)), "utf-8")
    return path


def test_register_diff_compares_the_last_two_evaluations(register_url: str, tmp_path: Path) -> None:
    run("register", "submit", CONDITIONAL, "--db", register_url)
    run("register", "submit", GO, "--db", register_url)
    worse = _worse_crm(tmp_path)
    assert run("register", "submit", str(worse), "--db", register_url)[0] == ExitCode.NO_GO
    code, out, err = run(
        "register", "diff", "crm-consolidation", "--db", register_url, "-f", "json"
    )
    assert code == ExitCode.DECISION_WORSE, err
    changes = json.loads(out)
    assert (changes["before"]["decision"], changes["after"]["decision"]) == ("conditional", "no-go")
    assert [gate["id"] for gate in changes["gates"]] == ["reliability-floor"]
    # The same as 'techgate diff' on the two records saved by 'evaluate --json'.
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(run("register", "show", "1", "--record", "--db", register_url)[1], "utf-8")
    after.write_text(run("register", "show", "3", "--record", "--db", register_url)[1], "utf-8")
    assert run("diff", str(before), str(after), "-f", "json")[1] == out
    # Backwards, named explicitly: better.
    code, out, _ = run(
        "register", "diff", "crm-consolidation", "--before", "3", "--after", "1",
        "--db", register_url, "-f", "markdown",
    )  # fmt: skip
    assert code == ExitCode.DECISION_BETTER and out.startswith("#")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crm-consolidation"], "nothing to compare it with yet"),
        (["crm-consolidation", "--before", "2"], "evaluation 2 is not an evaluation of"),
        (["crm-consolidation", "--after", "9"], "evaluation 9 is not an evaluation of"),
        (["nobody"], "has no evaluation of proposal 'nobody'"),
    ],
)
def test_register_diff_refuses_what_it_cannot_compare(
    tmp_path: Path, args: list[str], message: str
) -> None:
    db = str(tmp_path / "techgate.db")
    run("register", "submit", CONDITIONAL, "--db", db)
    run("register", "submit", GO, "--db", db)
    code, out, err = run("register", "diff", *args, "--db", db)
    assert code == ExitCode.INVALID and message in err and out == ""
    assert "Traceback" not in err


# -- register audit --------------------------------------------------------------


def test_audit_lists_the_chain_and_masks_what_it_is_asked_to(register_url: str) -> None:
    run("register", "submit", NO_GO, "--by", "Ana Ruiz", "--db", register_url)
    run(
        "register", "decide", "1", "--outcome", "rejected", "--by", "Change board",
        "--reason", "no route to a person", "--db", register_url,
    )  # fmt: skip
    code, out, _ = run("register", "audit", "--db", register_url, "-f", "json")
    assert code == 0
    full = json.loads(out)
    assert [e["kind"] for e in full["items"]] == ["evaluation.submitted", "decision.recorded"]
    assert full["items"][0]["data"]["submitted_by"] == "Ana Ruiz"
    assert full["items"][1]["prev_hash"] == full["items"][0]["hash"]
    code, out, _ = run(
        "register", "audit", "--mask", "submitted_by", "--mask", "reason",
        "--mask", "decided_by", "--db", register_url, "-f", "json",
    )  # fmt: skip
    masked = json.loads(out)["items"]
    assert "Ana Ruiz" not in out and "Change board" not in out and "no route" not in out
    assert masked[0]["data"]["submitted_by"] == "[masked]" and masked[0]["masked"] == [
        "submitted_by"
    ]
    assert masked[1]["masked"] == ["decided_by", "reason", "submitted_by"]
    # Masking changes what is shown, never the chain: same hashes, same other fields.
    assert [e["hash"] for e in masked] == [e["hash"] for e in full["items"]]
    assert masked[1]["data"]["outcome"] == "rejected"
    code, out, err = run("register", "audit", "--limit", "1", "--db", register_url)
    assert code == 0 and out.startswith("1 ") and "evaluation.submitted" in out
    assert "more: --after 1" in err
    assert run("register", "audit", "--after", "2", "--db", register_url)[1] == "no events\n"


def test_history_in_markdown_escapes_what_people_typed(register_url: str) -> None:
    run("register", "submit", NO_GO, "--by", "Ana *Ruiz* <b>", "--db", register_url)
    run(
        "register", "decide", "1", "--outcome", "approved", "--by", "Board | panel",
        "--reason", "pilot [link](http://x.example)", "--db", register_url,
    )  # fmt: skip
    code, out, _ = run(
        "register", "history", "chatbot-no-human", "-f", "markdown", "--db", register_url
    )
    assert code == 0 and out.startswith("# History of chatbot-no-human")
    assert "| 1 |" in out and "| no-go |" in out and "OVERRIDE" in out
    # Markup typed by people stays text: no emphasis, no tag, no link, no broken table.
    assert "*Ruiz*" not in out and "<b>" not in out and "[link](http" not in out
    assert "Board | panel" not in out
