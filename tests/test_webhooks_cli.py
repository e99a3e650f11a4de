"""techgate webhook through click's CliRunner, on both backends, with a loopback receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from receiver import Receiver

from techgate.cli import ExitCode, cli
from techgate.webhooks import signing

GO = str(EXAMPLES / "callback-queue.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def add(db: str, url: str, *extra: str) -> tuple[int, str, str]:
    return run(
        "webhook", "add", url, "--event", "evaluation.created", "--by", "ops", "--db", db, *extra
    )


def test_add_shows_the_secret_once_and_list_never(register_url: str, receiver: Receiver) -> None:
    code, out, err = add(
        register_url, receiver.url, "--allow-private", "--event", "decision.recorded"
    )
    assert code == 0, err
    first, second = out.splitlines()
    assert first.startswith("1  enabled  http://127.0.0.1:")
    assert "[decision.recorded, evaluation.created] by ops" in first
    secret = second.removeprefix("secret: ")
    assert secret.startswith("whsec_") and "not shown again" in err
    for format_ in ("text", "json"):
        code, listed, _ = run("webhook", "list", "--db", register_url, "-f", format_)
        assert code == 0 and secret not in listed
    (item,) = json.loads(run("webhook", "list", "--db", register_url, "-f", "json")[1])
    assert item["enabled"] is True and item["url"] == receiver.url
    code, out, _ = run("register", "verify", "--db", register_url)
    assert code == 0 and out.startswith("intact: 1 events")


def test_deliver_and_attempts(register_url: str, receiver: Receiver) -> None:
    code, out, _ = add(register_url, receiver.url, "--allow-private", "-f", "json")
    secret = json.loads(out)["secret"]
    receiver.answer(500)
    assert run("register", "submit", GO, "--db", register_url)[0] == ExitCode.GO
    code, out, err = run("webhook", "deliver", "--db", register_url, "--allow-private")
    assert code == 0, err
    assert "subscription 1  evaluation.created msg_" in out
    assert "try 1: failed (HTTP 500 Internal Server Error); next try " in out
    code, out, _ = run("webhook", "deliver", "--db", register_url, "--allow-private")
    assert (code, out) == (0, "nothing due\n")
    code, out, _ = run(
        "webhook", "attempts", "--subscription", "1", "--db", register_url, "-f", "json"
    )
    (attempt,) = json.loads(out)
    assert attempt["outcome"] == "failed" and attempt["status_code"] == 500
    (got,) = receiver.received
    timestamp = int(got.headers["webhook-timestamp"])
    assert signing.verify(got.headers, got.body, secret, now=timestamp) == attempt["message_id"]
    code, out, _ = run("webhook", "attempts", "--subscription", "2", "--db", register_url)
    assert (code, out) == (0, "no delivery tries\n")


def test_deliver_without_allow_private_refuses_loopback(
    register_url: str, receiver: Receiver
) -> None:
    add(register_url, receiver.url, "--allow-private")
    run("register", "submit", GO, "--db", register_url)
    code, out, _ = run("webhook", "deliver", "--db", register_url)
    assert code == 0 and "failed (refused: is the loopback address 127.0.0.1" in out
    assert receiver.received == []


def test_disable_and_enable(register_url: str) -> None:
    add(register_url, "https://hooks.example.com/in")
    code, out, err = run(
        "webhook", "disable", "1", "--by", "ana", "--why", "migrating", "--db", register_url
    )
    assert code == 0, err
    assert out.startswith("1  DISABLED https://hooks.example.com/in") and "migrating (ana)" in out
    code, out, _ = run("webhook", "enable", "1", "--by", "lee", "--db", register_url)
    assert code == 0 and "enabled by lee (lee)" in out
    code, _, err = run("webhook", "disable", "7", "--by", "ana", "--db", register_url)
    assert code == ExitCode.INVALID and "has no webhook subscription 7" in err
    assert run("register", "verify", "--db", register_url)[1].startswith("intact: 3 events")


HOSTILE = [
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://127.0.0.1:6379/_FLUSHALL", "scheme 'gopher'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    ("https://ana:s3cret@hooks.example.com/", "user name or password"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://127.0.0.1:8080/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("https://hooks.example.com/\x1b[31mred", "control character"),
    ("https://hooks.example.com/" + "a" * 5000, "longer than 2048"),
    ("https://hooks.example.com/\udcff", "not UTF-8"),
]


@pytest.mark.parametrize(("url", "message"), HOSTILE)
def test_hostile_urls_exit_2_in_one_line(tmp_path: object, url: str, message: str) -> None:
    db = f"sqlite:///{tmp_path}/techgate.db"
    code, out, err = add(db, url)
    assert code == ExitCode.INVALID and out == ""
    assert message in err and "s3cret" not in err and "\x1b" not in err
    assert "Traceback" not in err and len(err.splitlines()) == 2
    assert run("webhook", "list", "--db", db)[1] == "no subscriptions\n"


def test_an_event_not_in_the_list_is_refused(tmp_path: object) -> None:
    db = f"sqlite:///{tmp_path}/techgate.db"
    code, _, err = run(
        "webhook",
        "add",
        "https://hooks.example.com/",
        "--event",
        "waiver.deleted",
        "--by",
        "ops",
        "--db",
        db,
    )
    assert code == ExitCode.INVALID and "'waiver.deleted' is not one of" in err
    code, _, err = run("webhook", "add", "https://hooks.example.com/", "--by", "ops", "--db", db)
    assert code == ExitCode.INVALID and "--event" in err
