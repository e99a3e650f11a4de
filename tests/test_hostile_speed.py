"""An attacker's and a concurrency reviewer's look at the speed changes of issue 11.

Each concern raised against the hot paths (docs/performance.md) is a test
here: those that found a bug were written first and failed; the others
record what held up, so a later change that breaks it shows.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, read_yaml
from receiver import Receiver
from service_support import GO, YAML, Served, serve

from techgate import api
from techgate.register import Register
from techgate.render import environment
from techgate.service import Settings
from techgate.vocabulary import WebhookEvent

START = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
LOCAL = api.DeliverySettings(allow_private_targets=True, timeout=2.0, backoff=(5.0, 60.0))


class Clock:
    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _proposal(name: str, **changes: Any) -> dict[str, Any]:
    return {**dict(read_yaml(EXAMPLES / f"{name}.yaml")), **changes}


# -- a register restored from an older backup while a process runs ---------------------


class Backup:
    """The database as it was, put back in place under a running process (both backends)."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.file = folder / "backup.db"
        self.name = f"{url.rsplit('/', 1)[1]}_backup"

    def take(self, register: Register) -> None:
        if self.url.startswith("sqlite"):
            with sqlite3.connect(self._live()) as live, sqlite3.connect(self.file) as copy:
                live.backup(copy)
            return
        register._engine.dispose()  # a template database must have no one connected
        self._admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{self._live()}"')

    def restore(self, register: Register) -> None:
        if self.url.startswith("sqlite"):
            # SQLite's online backup, the other way: what 'restore from a copy' does to a file
            # other processes have open.
            with sqlite3.connect(self.file) as copy, sqlite3.connect(self._live()) as live:
                copy.backup(live)
            return
        register._engine.dispose()
        self._admin(f'DROP DATABASE "{self._live()}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self._live()}" TEMPLATE "{self.name}"')
        self._admin(f'DROP DATABASE "{self.name}"')

    def _live(self) -> str:
        if self.url.startswith("sqlite"):
            return self.url.removeprefix("sqlite:///")
        return self.url.rsplit("/", 1)[1]

    def _admin(self, statement: str) -> None:
        import psycopg

        base = self.url.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]


def test_a_register_restored_under_a_running_process_still_stores_its_submissions(
    register_url: str, tmp_path: Path
) -> None:
    # The register remembers packs it has seen stored and skips their insert. A restore
    # takes the pack row away behind its back: the next submission judged by that pack
    # must store it again, not be refused (exit 2, HTTP 422) until the process restarts.
    with api.open_register(register_url, clock=Clock()) as register:
        backup = Backup(register_url, tmp_path)
        backup.take(register)
        first = api.submit(register, _proposal("callback-queue"), by="lee")
        assert first.created
        backup.restore(register)
        second = api.submit(register, _proposal("crm-consolidation"), by="lee")
        assert second.created
        keyed = api.submit_once(
            register,
            api.load(_proposal("callback-queue", id="keyed")),
            by="lee",
            claim=api.idempotency_claim("lee", "key-1", b"body", dt.timedelta(hours=1)),
            respond=lambda s, r: (201, r),
        )
        assert not keyed.replayed
        assert register.verify().intact
        assert [e.id for e in register.list().items] == [
            second.evaluation.id,
            keyed.evaluation_id,
        ]


def test_a_refused_submission_does_not_teach_the_register_its_pack(
    register_url: str,
) -> None:
    # The memo is filled only from a committed transaction: a submission rolled back
    # (here: its idempotency response could not be built) leaves the pack unknown, and
    # the next submission stores the pack itself.
    with api.open_register(register_url, clock=Clock()) as register:

        def fail(*_: Any) -> tuple[int, str]:
            raise RuntimeError("the response could not be built")

        claim = api.idempotency_claim("lee", "k", b"body", dt.timedelta(hours=1))
        with pytest.raises(RuntimeError):
            api.submit_once(
                register, api.load(_proposal("callback-queue")), by="lee", claim=claim, respond=fail
            )
        assert register._packs_stored == set()
        stored = api.submit(register, _proposal("callback-queue"), by="lee")
        assert stored.created and register.verify().intact


def test_identical_submissions_racing_store_one_evaluation_and_a_valid_chain(
    register_url: str,
) -> None:
    # ON CONFLICT DO NOTHING, no look-up first: twins from two registers (two processes'
    # worth of connections) at once give one row, both see its id, the chain verifies.
    proposal = _proposal("crm-consolidation")
    results: list[Any] = []
    errors: list[BaseException] = []
    with (
        api.open_register(register_url, clock=Clock()) as first,
        api.open_register(register_url, clock=Clock()) as second,
    ):
        gate = threading.Barrier(4)

        def run(register: Register) -> None:
            gate.wait()
            try:
                results.append(api.submit(register, proposal, by="lee"))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=run, args=(r,)) for r in (first, second) * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert sorted(r.created for r in results) == [False, False, False, True]
        assert len({r.evaluation.id for r in results}) == 1
        assert len({r.evaluation for r in results}) == 1  # the same stored view, read or not
        assert first.verify().intact


# -- the daily expiry sweep --------------------------------------------------------------


def test_no_expiry_is_lost_when_the_clock_goes_back_and_forth(register_url: str) -> None:
    clock = Clock(dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC))
    with api.open_register(register_url, clock=clock) as register:
        # A second process with its own clock, an hour behind, grants the waivers.
        granter_clock = Clock(clock.now - dt.timedelta(hours=1))
        with api.open_register(register_url, clock=granter_clock) as granter:
            api.submit(granter, _proposal("chatbot-no-human"), by="lee")
            gate = _failed_gate(granter)
            assert register.announce_expired_waivers() == ()  # swept for 4 March
            # Granted after today's sweep, expiring today: tonight it ends.
            today = _waive(granter, gate, dt.date(2026, 3, 4))
            # The clock jumps a day ahead, then back (an NTP correction), then on.
            clock.now = dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC)
            announced = [w.id for w in register.announce_expired_waivers()]
            clock.now = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
            granter_clock.now = clock.now
            tomorrow = _waive(granter, gate, dt.date(2026, 3, 5))
            announced += [w.id for w in register.announce_expired_waivers()]
            for day in (5, 6, 6, 7):
                clock.now = dt.datetime(2026, 3, day, 8, tzinfo=dt.UTC)
                announced += [w.id for w in register.announce_expired_waivers()]
                announced += [w.id for w in granter.announce_expired_waivers()]
        assert announced == [today.id, tomorrow.id]
        assert register.verify().intact


def _failed_gate(register: Register) -> str:
    record = read_yaml_json(register.record_json(register.list().items[-1].id))
    failed = [g["id"] for g in record["gates"] if g["status"] == "failed"]
    assert failed
    return str(failed[0])


def read_yaml_json(text: str) -> Any:
    import json

    return json.loads(text)


def _waive(register: Register, gate: str, expires: dt.date) -> Any:
    request = api.waiver_request(
        {
            "proposal_id": "chatbot-no-human",
            "gate_id": gate,
            "owner": "Ana Ruiz",
            "reason": "a pilot with a human on call",
            "ticket": "RISK-1",
            "expires": expires.isoformat(),
            "requested_by": "Ana Ruiz",
        }
    )
    return register.waive(request, by="approver")


# -- statements built once, with bound parameters -----------------------------------------


def test_cached_statements_bake_in_no_value(register_url: str) -> None:
    with api.open_register(register_url, clock=Clock()) as register:
        # One caller's key is not another's: the key look-up binds both.
        for caller, body in (("lee", b"one"), ("kim", b"two")):
            stored = api.submit_once(
                register,
                api.load(_proposal("callback-queue", id=f"for-{caller}")),
                by=caller,
                claim=api.idempotency_claim(caller, "same-key", body, dt.timedelta(hours=1)),
                respond=lambda s, r: (201, r),
            )
            assert not stored.replayed
        # Waivers of one proposal, then another's: the proposal is bound, not baked.
        api.submit(register, _proposal("chatbot-no-human"), by="lee")
        _waive(register, _failed_gate(register), START.date())
        assert len(register.waivers("chatbot-no-human").waivers) == 1
        assert register.waivers("for-lee").waivers == ()


# -- the service wakes its deliverer when a submission queued a message --------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def test_a_queued_message_goes_out_without_waiting_for_the_interval(
    register_url: str, receiver: Receiver
) -> None:
    # An hour between passes: only the wake after the submission can deliver it.
    settings = Settings(render_workers=0, allow_private_webhooks=True, delivery_interval_s=3600)
    served: Served
    for served in serve(register_url, settings):
        with served.client("admin") as admin:
            made = admin.post(
                "/v1/webhooks",
                json={"url": receiver.url, "events": [WebhookEvent.EVALUATION_CREATED.value]},
            )
            assert made.status_code == 201, made.text
        # the start-up pass has run (healthz answered); wait for it to finish idle
        with served.client("submitter", **YAML) as client:
            for path in (GO, EXAMPLES / "crm-consolidation.yaml"):
                assert client.post("/v1/evaluations", content=path.read_bytes()).status_code == 201
        deadline = time.monotonic() + 30
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(receiver.received) == 2


# -- compiled templates kept in the temporary folder --------------------------------------


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory of the test's own, as TMPDIR; the built-in environments'
    caches switched off again afterwards."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    try:
        yield folder
    finally:
        for made in (environment.html_environment(None), environment.markdown_environment(None)):
            made.bytecode_cache = None
            made.cache.clear() if made.cache is not None else None


def test_a_symlink_planted_at_the_cache_folder_changes_nothing_it_points_at(
    private_tmp: Path, tmp_path: Path
) -> None:
    # Anyone can make a name in a shared temporary folder. A link there to a folder of the
    # user's (or, for root, to anything) must not have its permissions changed, and is
    # not used.
    victim = tmp_path / "victim"
    victim.mkdir()
    victim.chmod(0o755)
    for name in (f"_jinja2-cache-{os.getuid()}", f"techgate-templates-{os.getuid()}"):
        (private_tmp / name).symlink_to(victim)
    assert api.keep_compiled_templates() is False
    assert stat.S_IMODE(victim.stat().st_mode) == 0o755
    assert list(victim.iterdir()) == []


def test_a_cache_folder_others_can_write_is_not_used_nor_changed(private_tmp: Path) -> None:
    for name in (f"_jinja2-cache-{os.getuid()}", f"techgate-templates-{os.getuid()}"):
        (private_tmp / name).mkdir()
        (private_tmp / name).chmod(0o777)
    assert api.keep_compiled_templates() is False
    for name in (f"_jinja2-cache-{os.getuid()}", f"techgate-templates-{os.getuid()}"):
        assert stat.S_IMODE((private_tmp / name).stat().st_mode) == 0o777
        assert list((private_tmp / name).iterdir()) == []


def test_the_cache_is_made_private_and_used(private_tmp: Path) -> None:
    assert api.keep_compiled_templates() is True
    made = [p for p in private_tmp.iterdir()]
    assert len(made) == 1 and stat.S_IMODE(made[0].lstat().st_mode) == 0o700
    markdown = environment.markdown_environment(None)
    markdown.get_template("report.md.j2")
    assert any(made[0].iterdir())


def test_code_compiled_under_other_settings_is_never_loaded(tmp_path: Path) -> None:
    # The cache's key is the template's name and file, its check the template's source:
    # neither says how the environment compiled it. Code compiled by another environment
    # (another techgate, or the other of HTML and Markdown) must not be what renders.
    from jinja2 import Environment

    record = api.evaluate(api.load(EXAMPLES / "callback-queue.yaml"))
    markdown = environment.markdown_environment(None)
    html = environment.html_environment(None)
    try:
        plain = environment.render_markdown(record)
        cache_folder = tmp_path / "cache"
        cache_folder.mkdir(mode=0o700)
        assert api.keep_compiled_templates(cache_folder) is True
        other = environment._add_filters(
            Environment(
                loader=markdown.loader,
                bytecode_cache=html.bytecode_cache,
                autoescape=True,
                trim_blocks=False,
            )
        )
        other.get_template("report.md.j2")  # compiled the HTML way, and kept
        markdown.cache.clear()  # type: ignore[union-attr]
        assert environment.render_markdown(record) == plain
    finally:
        for made in (markdown, html):
            made.bytecode_cache = None
            made.cache.clear()  # type: ignore[union-attr]
