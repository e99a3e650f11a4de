"""What the register sends its database on the hot paths: no statement more than it needs.

Under load every submission and every delivery pass queues for the one write
lock, so a statement that is not needed inside it costs throughput
(docs/performance.md). These tests record the statements themselves (SQLite
and PostgreSQL), so a change that brings one back shows here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from sqlalchemy import event
from test_webhooks import Clock

from techgate import api
from techgate.register import Register
from techgate.vocabulary import WebhookEvent


class Statements:
    """Every statement the register's engine sends, as SQL text, in order."""

    def __init__(self, register: Register) -> None:
        self.sent: list[str] = []
        event.listen(register._engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.sent.append(" ".join(statement.split()))

    def during(self, work: Any) -> list[str]:
        self.sent.clear()
        work()
        return list(self.sent)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def register(register_url: str, clock: Clock) -> Iterator[Register]:
    with api.open_register(register_url, clock=clock) as opened:
        yield opened


def writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


def locks(statements: list[str]) -> list[str]:
    """The write lock taken: PostgreSQL's advisory lock, SQLite's immediate transaction."""
    return [s for s in statements if "pg_advisory_xact_lock" in s or s == "BEGIN IMMEDIATE"]


def queries(statements: list[str]) -> list[str]:
    return [s for s in statements if not s.startswith("BEGIN")]


def test_a_delivery_pass_with_nothing_due_takes_no_write_lock(
    register: Register, clock: Clock
) -> None:
    api.submit(register, EXAMPLES / "callback-queue.yaml", by="lee")
    seen = Statements(register)
    first = seen.during(lambda: api.deliver_due(register))
    # The day's first pass sweeps for expired waivers (under the lock, writing nothing
    # when none expired) and looks for a due message without the lock.
    assert not writes(first)
    assert any("audit_events" in s for s in first)
    again = seen.during(lambda: api.deliver_due(register))
    # Later the same day no waiver can have expired since: a look at the outbox (one per
    # delivery worker) and nothing else, and no write lock.
    assert queries(again) and not locks(again)
    assert all(s.startswith("SELECT") and "FROM outbox" in s for s in queries(again))
    clock.now += dt.timedelta(days=1)
    next_day = seen.during(lambda: api.deliver_due(register))
    assert any("audit_events" in s for s in next_day) and not writes(next_day)


def test_a_due_message_is_claimed_under_the_lock_after_an_unlocked_look(
    register: Register, register_url: str
) -> None:
    api.subscribe(register, "https://a.example/in", [WebhookEvent.EVALUATION_CREATED], by="ana")
    api.submit(register, EXAMPLES / "callback-queue.yaml", by="lee")
    seen = Statements(register)
    claim = seen.during(lambda: register.webhooks.claim(lease=dt.timedelta(seconds=30)))
    outbox_looks = [
        i for i, s in enumerate(claim) if s.upper().startswith("SELECT") and "outbox" in s
    ]
    assert len(outbox_looks) == 2  # once to see, once under the lock to claim
    (claimed,) = [i for i, s in enumerate(claim) if s.upper().startswith("INSERT INTO DELIVERY")]
    assert outbox_looks[0] < outbox_looks[1] < claimed
    (lock,) = [i for i, s in enumerate(claim) if s in locks(claim)]
    assert outbox_looks[0] < lock < outbox_looks[1]
    assert len(locks(claim)) == 1
    # Claimed, so the next look finds nothing and takes no lock.
    none = seen.during(lambda: register.webhooks.claim(lease=dt.timedelta(seconds=30)))
    assert len(queries(none)) == 1 and not locks(none) and not writes(none)


def test_a_pack_is_inserted_once_per_process_and_a_repeat_stores_nothing(
    register: Register,
) -> None:
    seen = Statements(register)
    first = seen.during(lambda: api.submit(register, EXAMPLES / "callback-queue.yaml"))
    assert [s.split()[2] for s in writes(first)] == [
        "proposals",
        "packs",
        "evaluations",
        "audit_events",
    ]
    second = seen.during(lambda: api.submit(register, EXAMPLES / "chatbot-no-human.yaml"))
    # The pack is known to be stored (rows are never deleted): its insert is skipped.
    assert [s.split()[2] for s in writes(second)] == ["proposals", "evaluations", "audit_events"]
    # A submission is never read back after its insert: what was written is returned.
    assert not [s for s in second if s.upper().startswith("SELECT") and "record_json" in s]
    repeat = seen.during(lambda: api.submit(register, EXAMPLES / "chatbot-no-human.yaml"))
    assert [s.split()[2] for s in writes(repeat)] == ["proposals", "evaluations"]
    assert not api.submit(register, EXAMPLES / "chatbot-no-human.yaml").created
    events = [json.loads(e.model_dump_json()) for e in register.audit(api.Page(limit=10)).items]
    submitted = [e["data"] for e in events if e["kind"] == "evaluation.submitted"]
    assert [(d["new_proposal"], d["new_pack"]) for d in submitted] == [(True, True), (True, False)]
    assert register.verify().intact


def test_the_returned_evaluation_is_the_one_stored(register: Register) -> None:
    made = api.submit(register, EXAMPLES / "crm-consolidation.yaml", by="lee").evaluation
    assert register.show(made.id).evaluation == made


def test_messages_queued_moves_only_when_a_change_queues_one(register: Register) -> None:
    before = api.messages_queued()
    api.submit(register, EXAMPLES / "callback-queue.yaml", by="lee")
    assert api.messages_queued() == before
    api.subscribe(register, "https://a.example/in", [WebhookEvent.EVALUATION_CREATED], by="ana")
    api.submit(register, EXAMPLES / "chatbot-no-human.yaml", by="lee")
    assert api.messages_queued() == before + 1
    api.submit(register, EXAMPLES / "chatbot-no-human.yaml", by="lee")  # stored nothing
    assert api.messages_queued() == before + 1


def test_readers_do_not_queue_behind_a_writer(register: Register, register_url: str) -> None:
    from techgate.register.database import make_engine, writing

    made = api.submit(register, EXAMPLES / "callback-queue.yaml", by="lee").evaluation
    other = make_engine(register_url)
    try:
        # Another process's writer holds the write lock; reading the register (in this
        # thread, so a reader that queued for the lock would never get it) still answers.
        with writing(other) as connection:
            connection.exec_driver_sql("SELECT 1")
            assert register.show(made.id).evaluation == made
            assert [e.id for e in register.list().items] == [made.id]
    finally:
        other.dispose()


def test_a_warm_submission_builds_no_sql_expression(register: Register) -> None:
    """The statements a submission runs are built once: building one (and the key its
    compiled form is cached by) cost several times what running it did."""
    import sys

    from sqlalchemy.sql import coercions

    token = register.create_token("ci", api.Role.SUBMITTER, by="admin")
    first = (EXAMPLES / "callback-queue.yaml").read_bytes()
    second = (EXAMPLES / "chatbot-no-human.yaml").read_bytes()
    built: list[str] = []
    target = coercions.expect.__code__

    def count(frame: Any, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code is target:
            built.append(frame.f_back.f_code.co_name if frame.f_back else "?")

    def submission(body: bytes, key: str) -> None:
        assert register.authenticate(token.secret) is not None
        claim = api.idempotency_claim("ci", key, body, dt.timedelta(hours=1))
        assert register.earlier_response(claim) is None
        loaded = api.load(api.ProposalText(body, "<body>"), packs=api.service_packs(register))
        api.submit_once(register, loaded, by="ci", claim=claim, respond=lambda s, r: (201, r))

    submission(first, "one")  # the first builds them
    sys.setprofile(count)
    try:
        submission(second, "two")
    finally:
        sys.setprofile(None)
    assert built == []
