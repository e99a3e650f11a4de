"""The register of decisions, on SQLite always and on PostgreSQL when its binaries are here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import EXAMPLES, read_yaml

from techgate import api
from techgate.errors import InvalidInputError
from techgate.model.evaluation import Decision
from techgate.model.register import DecisionStatus, Outcome
from techgate.register import Filters, Page, Register
from techgate.register.tables import APPEND_ONLY, APPEND_ONLY_0002
from techgate.render.json import render_json

NO_GO = EXAMPLES / "chatbot-no-human.yaml"
GO = EXAMPLES / "callback-queue.yaml"
CONDITIONAL = EXAMPLES / "crm-consolidation.yaml"


class Clock:
    """A clock that moves one second per reading, from a fixed start."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


@pytest.fixture
def register(register_url: str) -> Iterator[Register]:
    with api.open_register(register_url, clock=Clock()) as opened:
        yield opened


def variant(path: Path, **changes: Any) -> dict[str, Any]:
    data = read_yaml(path)
    data.update(changes)
    return data


def raw(url: str, statement: str, **values: Any) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement), values)
    finally:
        engine.dispose()


def rows(url: str, statement: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(statement)))
    finally:
        engine.dispose()


def drop_guard(url: str, table: str) -> None:
    """Remove the append-only triggers of one table, as someone tampering would."""
    if url.startswith("sqlite"):
        raw(url, f"DROP TRIGGER {table}_no_update")
        raw(url, f"DROP TRIGGER {table}_no_delete")
    else:
        raw(url, f"DROP TRIGGER {table}_append_only ON {table}")


# -- storing -------------------------------------------------------------------


def test_submit_stores_the_record_evaluate_writes_with_its_inputs(
    register: Register, register_url: str
) -> None:
    submitted = api.submit(register, NO_GO, by="ana")
    stored = submitted.evaluation
    assert submitted.created and stored.id == 1
    assert stored.decision is Decision.NO_GO and stored.status is DecisionStatus.UNDECIDED
    assert stored.submitted_by == "ana"
    assert stored.submitted_at == dt.datetime(2026, 1, 2, 3, 4, 6, tzinfo=dt.UTC)
    expected = render_json(api.evaluate(NO_GO))
    assert register.record_json(stored.id) == expected
    assert stored.record_sha256 == hashlib.sha256(expected.encode()).hexdigest()
    loaded = api.load(NO_GO)
    assert (stored.proposal_sha256, stored.pack_sha256) == (
        loaded.proposal.sha256,
        loaded.pack.sha256,
    )
    # Content-addressed: the kept canonical JSON hashes to its key.
    for table in ("proposals", "packs"):
        ((key, text),) = rows(register_url, f"SELECT sha256, canonical_json FROM {table}")
        assert hashlib.sha256(text.encode()).hexdigest() == key
        assert json.loads(text)["id"] in (loaded.proposal.id, loaded.pack.id)


def test_identical_inputs_submitted_again_store_nothing_new(
    register: Register, register_url: str
) -> None:
    first = api.submit(register, GO)
    again = api.submit(register, GO)
    assert not again.created and again.evaluation == first.evaluation
    counts = [rows(register_url, f"SELECT COUNT(*) FROM {t}")[0][0] for t in APPEND_ONLY]
    assert counts == [1, 1, 1, 0, 1]


def test_a_new_version_shares_the_pack_and_adds_a_proposal(
    register: Register, register_url: str
) -> None:
    api.submit(register, GO)
    second = api.submit(register, variant(GO, title="Scheduled callbacks, second draft"))
    assert second.created and second.evaluation.id == 2
    assert rows(register_url, "SELECT COUNT(*) FROM proposals")[0][0] == 2
    assert rows(register_url, "SELECT COUNT(*) FROM packs")[0][0] == 1
    events = rows(register_url, "SELECT event_json FROM audit_events ORDER BY seq")
    data = [json.loads(e[0])["data"] for e in events]
    assert [(d["new_proposal"], d["new_pack"]) for d in data] == [(True, True), (True, False)]


def test_a_naive_clock_is_read_as_utc(register_url: str) -> None:
    with api.open_register(register_url, clock=lambda: dt.datetime(2026, 5, 6, 7, 8, 9)) as reg:
        stored = api.submit(reg, GO).evaluation
    assert stored.submitted_at == dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=dt.UTC)


def test_opening_twice_migrates_once_and_keeps_the_data(register_url: str) -> None:
    with api.open_register(register_url) as first:
        api.submit(first, GO)
    with api.open_register(register_url) as second:
        assert [e.proposal_id for e in second.list().items] == ["callback-queue"]
    assert rows(register_url, "SELECT version_num FROM alembic_version") == [("0002",)]


def test_a_register_made_by_the_first_migration_is_brought_up_to_date(register_url: str) -> None:
    """A register created before 0002 keeps its rows and its chain when it is next opened."""
    from alembic import command
    from alembic.config import Config

    from techgate.register.database import make_engine, migrations_folder, writing

    engine = make_engine(register_url)
    try:
        with writing(engine) as connection:
            config = Config()
            config.set_main_option("script_location", str(migrations_folder()))
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
    finally:
        engine.dispose()
    assert rows(register_url, "SELECT version_num FROM alembic_version") == [("0001",)]
    # Written as the code of 0001's time wrote them, to 0001's tables only: today's
    # store also queues webhook messages, in tables a 0001 register lacks.
    stored = _write_as_in_0001(register_url)
    with api.open_register(register_url) as reopened:
        assert [e.id for e in reopened.list().items] == [stored]
        assert reopened.show(stored).decisions[0].outcome is Outcome.APPROVED
        assert reopened.verify().intact
    assert rows(register_url, "SELECT version_num FROM alembic_version") == [("0002",)]
    assert rows(register_url, "SELECT COUNT(*) FROM waivers") == [(0,)]


def _write_as_in_0001(url: str) -> int:
    """One evaluation and its decision, with their chained events, in plain SQL."""
    from techgate.register import chain
    from techgate.register.store import decision_event, evaluation_event

    loaded = api.load(GO)
    record = api.evaluate(loaded)
    text = render_json(record)
    at = "2026-01-02T03:04:06.000000Z"
    evaluation: dict[str, Any] = {
        "id": 1,
        "record_sha256": chain.sha256_text(text),
        "proposal_sha256": loaded.proposal.sha256,
        "pack_sha256": loaded.pack.sha256,
        "proposal_id": loaded.proposal.id,
        "title": record.proposal.title,
        "category": record.proposal.category.value,
        "owner": record.proposal.owner,
        "decision": record.decision.value,
        "score": record.score,
        "confidence": record.confidence,
        "pack_id": record.pack.id,
        "pack_version": record.pack.version,
        "submitted_by": None,
        "submitted_at": at,
        "record_json": text,
    }
    decision: dict[str, Any] = {
        "id": 1,
        "evaluation_id": 1,
        "record_sha256": evaluation["record_sha256"],
        "outcome": "approved",
        "engine_decision": record.decision.value,
        "override": False,
        "decided_by": "board",
        "reason": None,
        "decided_at": at,
    }
    events = [
        (
            "evaluation.submitted",
            {**evaluation_event(1, evaluation), "new_proposal": True, "new_pack": True},
        ),
        ("decision.recorded", decision_event(1, decision)),
    ]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for table, sha256, values in (
                ("proposals", loaded.proposal.sha256, {"proposal_id": loaded.proposal.id}),
                (
                    "packs",
                    loaded.pack.sha256,
                    {"pack_id": loaded.pack.id, "version": loaded.pack.version},
                ),
            ):
                content = (loaded.proposal if table == "proposals" else loaded.pack).canonical_json
                row = {"sha256": sha256, "canonical_json": content, "stored_at": at, **values}
                connection.execute(sa.table(table, *map(sa.column, row)).insert().values(row))
            for table, row in (("evaluations", evaluation), ("decisions", decision)):
                connection.execute(sa.table(table, *map(sa.column, row)).insert().values(row))
            previous = chain.GENESIS
            for seq, (kind, data) in enumerate(events, start=1):
                event = chain.event_json(seq, kind, at, data)
                digest = chain.event_hash(previous, event)
                row = {
                    "seq": seq,
                    "kind": kind,
                    "at": at,
                    "prev_hash": previous,
                    "hash": digest,
                    "event_json": event,
                }
                connection.execute(
                    sa.table("audit_events", *map(sa.column, row)).insert().values(row)
                )
                previous = digest
    finally:
        engine.dispose()
    return 1


# -- human decisions -------------------------------------------------------------

OVERRIDES = [
    (Outcome.APPROVED, Decision.GO, False),
    (Outcome.APPROVED, Decision.CONDITIONAL, True),
    (Outcome.APPROVED, Decision.NO_GO, True),
    (Outcome.APPROVED_WITH_CONDITIONS, Decision.GO, False),
    (Outcome.APPROVED_WITH_CONDITIONS, Decision.CONDITIONAL, False),
    (Outcome.APPROVED_WITH_CONDITIONS, Decision.NO_GO, True),
    (Outcome.REJECTED, Decision.GO, True),
    (Outcome.REJECTED, Decision.CONDITIONAL, False),
    (Outcome.REJECTED, Decision.NO_GO, False),
]


@pytest.mark.parametrize(("outcome", "engine", "override"), OVERRIDES)
def test_what_counts_as_an_override(outcome: Outcome, engine: Decision, override: bool) -> None:
    assert outcome.overrides(engine) is override


def test_an_override_needs_a_reason_and_is_flagged(register: Register) -> None:
    stored = api.submit(register, NO_GO).evaluation
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInputError, match="an override needs a reason"):
            register.decide(stored.id, Outcome.APPROVED, "board", reason)
    decided = register.decide(stored.id, Outcome.APPROVED, "board", "pilot with 50 users")
    assert decided.override and decided.engine_decision is Decision.NO_GO
    assert decided.record_sha256 == stored.record_sha256
    assert decided.at == dt.datetime(2026, 1, 2, 3, 4, 7, tzinfo=dt.UTC)
    shown = register.show(stored.id)
    assert shown.decisions == (decided,)
    assert shown.evaluation.status is DecisionStatus.DECIDED
    assert shown.evaluation.latest_decision == decided


def test_following_the_engine_needs_no_reason(register: Register) -> None:
    stored = api.submit(register, NO_GO).evaluation
    decided = register.decide(stored.id, Outcome.REJECTED, "board")
    assert not decided.override and decided.reason is None


def test_decisions_on_nothing_or_by_nobody_are_refused(register: Register) -> None:
    with pytest.raises(InvalidInputError, match="has no evaluation 7"):
        register.decide(7, Outcome.REJECTED, "board")
    stored = api.submit(register, GO).evaluation
    for name in ("", " ", "x" * 201, "line\nbreak"):
        with pytest.raises(InvalidInputError, match="printable name"):
            register.decide(stored.id, Outcome.APPROVED, name)


def test_a_correction_is_a_new_decision_and_the_latest_counts(register: Register) -> None:
    stored = api.submit(register, CONDITIONAL).evaluation
    register.decide(stored.id, Outcome.APPROVED_WITH_CONDITIONS, "board")
    corrected = register.decide(stored.id, Outcome.REJECTED, "board", "budget withdrawn")
    shown = register.show(stored.id)
    assert [d.outcome for d in shown.decisions] == [
        Outcome.APPROVED_WITH_CONDITIONS,
        Outcome.REJECTED,
    ]
    assert shown.evaluation.latest_decision == corrected


def test_changed_inputs_after_a_decision_need_a_new_one(register: Register) -> None:
    first = api.submit(register, GO).evaluation
    register.decide(first.id, Outcome.APPROVED, "board")
    changed = api.submit(register, variant(GO, owner="Head of Operations")).evaluation
    assert changed.status is DecisionStatus.NEEDS_NEW_DECISION
    assert changed.latest_decision is not None and changed.latest_decision.evaluation_id == 1
    history = register.history("callback-queue")
    assert [e.status for e in history.evaluations] == [
        DecisionStatus.DECIDED,
        DecisionStatus.NEEDS_NEW_DECISION,
    ]
    register.decide(changed.id, Outcome.APPROVED, "board")
    statuses = [e.status for e in register.history("callback-queue").evaluations]
    # The first evaluation judged other inputs than the one now decided.
    assert statuses == [DecisionStatus.UNDECIDED, DecisionStatus.DECIDED]


def test_unchanged_inputs_keep_the_decision(register: Register) -> None:
    first = api.submit(register, GO).evaluation
    register.decide(first.id, Outcome.APPROVED, "board")
    # The same proposal under another id is another proposal: nothing decided yet.
    other = api.submit(register, variant(GO, id="callback-queue-2")).evaluation
    assert other.status is DecisionStatus.UNDECIDED
    assert register.show(first.id).evaluation.status is DecisionStatus.DECIDED


# -- reading -------------------------------------------------------------------


def test_list_filters_and_pages(register: Register) -> None:
    api.submit(register, GO)
    api.submit(register, NO_GO)
    api.submit(register, CONDITIONAL)
    api.submit(register, variant(GO, title="Callbacks again"))
    everything = register.list()
    assert [e.id for e in everything.items] == [1, 2, 3, 4] and everything.next_after is None
    go = register.list(Filters(decision=Decision.GO))
    assert [e.id for e in go.items] == [1, 4]
    assert [e.id for e in register.list(Filters(proposal_id="chatbot-no-human")).items] == [2]
    assert register.list(Filters(pack_id="technology")).items == ()
    first = register.list(page=Page(limit=3))
    assert [e.id for e in first.items] == [1, 2, 3] and first.next_after == 3
    rest = register.list(page=Page(limit=3, after=3))
    assert [e.id for e in rest.items] == [4] and rest.next_after is None
    since = dt.datetime(2026, 1, 2, 3, 4, 8, tzinfo=dt.UTC)
    assert [e.id for e in register.list(Filters(since=since)).items] == [3, 4]
    assert [e.id for e in register.list(Filters(until=since)).items] == [1, 2]


def test_history_is_every_evaluation_of_the_proposal_in_order(register: Register) -> None:
    api.submit(register, GO)
    api.submit(register, NO_GO)
    api.submit(register, variant(GO, title="Callbacks again"))
    history = register.history("callback-queue")
    assert [e.id for e in history.evaluations] == [1, 3]
    assert history.evaluations[1].title == "Callbacks again"
    with pytest.raises(InvalidInputError, match="no evaluation of proposal 'nothing'"):
        register.history("nothing")


def test_show_gives_the_record_back(register: Register) -> None:
    stored = api.submit(register, CONDITIONAL).evaluation
    shown = register.show(stored.id)
    assert render_json(shown.record) == register.record_json(stored.id)
    with pytest.raises(InvalidInputError, match="has no evaluation 9"):
        register.show(9)


# -- append-only and the audit chain ---------------------------------------------


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_updates_and_deletes(
    register: Register, register_url: str, table: str
) -> None:
    stored = api.submit(register, NO_GO).evaluation
    register.decide(stored.id, Outcome.REJECTED, "board")
    column = {"packs": "version", "proposals": "proposal_id", "audit_events": "kind"}
    target = column.get(table, "record_sha256")
    for statement in (f"UPDATE {table} SET {target} = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            raw(register_url, statement)
    assert register.verify().intact


@pytest.mark.parametrize("table", APPEND_ONLY_0002)
def test_the_second_migrations_tables_are_guarded_too(
    register: Register, register_url: str, table: str
) -> None:
    # Empty tables give a row trigger nothing to fire on, so look for the triggers themselves.
    if register_url.startswith("sqlite"):
        query = f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
    else:
        query = f"SELECT tgname FROM pg_trigger WHERE tgrelid = '{table}'::regclass"
    names = {name for (name,) in rows(register_url, query)}
    assert names >= {f"{table}_no_update", f"{table}_no_delete"} or names >= {
        f"{table}_append_only",
        f"{table}_no_truncate",
    }


def test_the_chain_hashes_as_documented(register: Register, register_url: str) -> None:
    stored = api.submit(register, NO_GO).evaluation
    register.decide(stored.id, Outcome.APPROVED_WITH_CONDITIONS, "board", "pilot")
    previous = "0" * 64
    events = rows(
        register_url, "SELECT seq, kind, at, prev_hash, hash, event_json FROM audit_events"
    )
    for seq, kind, at, prev_hash, digest, text in sorted(events):
        body = json.loads(text)
        assert text == json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert (body["seq"], body["kind"], body["at"]) == (seq, kind, at)
        assert prev_hash == previous
        assert digest == hashlib.sha256((previous + text).encode()).hexdigest()
        previous = digest
    assert [json.loads(e[5])["kind"] for e in sorted(events)] == [
        "evaluation.submitted",
        "decision.recorded",
    ]
    result = register.verify()
    assert result.intact and result.events == 2 and result.head == previous


def _three_changes(register: Register) -> None:
    api.submit(register, GO)
    stored = api.submit(register, NO_GO).evaluation
    register.decide(stored.id, Outcome.REJECTED, "board")


def test_an_edited_record_is_named(register: Register, register_url: str) -> None:
    _three_changes(register)
    drop_guard(register_url, "evaluations")
    raw(register_url, "UPDATE evaluations SET record_json = record_json || ' ' WHERE id = 2")
    result = register.verify()
    assert not result.intact
    assert result.problems[0].table == "evaluations" and result.problems[0].key == "2"
    assert "evaluation 2: its record's bytes" in result.problems[0].message


def test_an_edited_decision_is_named(register: Register, register_url: str) -> None:
    _three_changes(register)
    drop_guard(register_url, "decisions")
    raw(register_url, "UPDATE decisions SET outcome = 'approved' WHERE id = 1")
    (problem,) = register.verify().problems
    assert problem.message == "decision 1: differs from its audit event (outcome)"


def test_a_rewritten_event_is_the_first_bad_link(register: Register, register_url: str) -> None:
    _three_changes(register)
    drop_guard(register_url, "audit_events")
    raw(
        register_url,
        "UPDATE audit_events SET event_json = REPLACE(event_json, 'no-go', 'go') WHERE seq = 2",
    )
    result = register.verify()
    assert result.problems[0].message == "event 2: its hash does not match its content"
    assert all(p.key == "2" for p in result.problems)


def test_a_deleted_row_or_event_is_found(register: Register, register_url: str) -> None:
    _three_changes(register)
    drop_guard(register_url, "decisions")
    raw(register_url, "DELETE FROM decisions WHERE id = 1")
    (problem,) = register.verify().problems
    assert problem.message == "decision 1: recorded in the audit chain but missing"
    drop_guard(register_url, "audit_events")
    raw(register_url, "DELETE FROM audit_events WHERE seq = 2")
    messages = [p.message for p in register.verify().problems]
    assert messages[:2] == [
        "event 3: expected event 2 here (one is missing)",
        "event 3: does not follow the event before it",
    ]


def test_a_changed_proposal_text_is_found(register: Register, register_url: str) -> None:
    _three_changes(register)
    drop_guard(register_url, "proposals")
    raw(register_url, "UPDATE proposals SET canonical_json = '{}'")
    problems = register.verify().problems
    assert len(problems) == 2 and all(p.table == "proposals" for p in problems)


# -- the schema ----------------------------------------------------------------


def test_the_migrations_build_exactly_the_tables_the_code_declares(
    register: Register, register_url: str
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from techgate.register.tables import Base

    engine = sa.create_engine(register_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_migrations_ship_in_the_package() -> None:
    from techgate.register.database import HEAD, head_revision, migrations_folder

    assert (migrations_folder() / "env.py").is_file()
    assert head_revision() == HEAD == "0002"


# -- bad databases -------------------------------------------------------------


def test_a_bad_url_is_one_problem_with_its_password_masked() -> None:
    with pytest.raises(InvalidInputError) as caught:
        api.open_register("mysql://ana:s3cret@localhost/db")
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)
    with pytest.raises(InvalidInputError, match="is not a database URL"):
        api.open_register("postgresql://ana:s3cret@host:port/db")


def test_an_unreachable_server_hides_the_password() -> None:
    with pytest.raises(InvalidInputError) as caught:
        api.open_register("postgresql+psycopg://ana:s3cret@127.0.0.1:9/db?connect_timeout=2")
    assert "s3cret" not in str(caught.value)
    assert "postgresql+psycopg://ana:***@127.0.0.1:9/db" in str(caught.value)


# -- two writers at once ---------------------------------------------------------


def _submit_many(url: str, names: list[str], start: Any) -> None:
    start.wait()
    with api.open_register(url) as register:
        for name in names:
            api.submit(register, EXAMPLES / f"{name}.yaml")


@pytest.mark.slow
def test_two_processes_submitting_at_once_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'techgate.db'}"
    names = ["callback-queue", "chatbot-no-human", "crm-consolidation", "agent-assist-drafts"]
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    # Both submit all four (so each identical submission races its twin).
    workers = [
        context.Process(target=_submit_many, args=(url, order, start))
        for order in (names, names[::-1])
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with api.open_register(url) as register:
        stored = register.list().items
        assert sorted(e.proposal_id for e in stored) == sorted(names)
        result = register.verify()
        assert result.intact and result.events == 4


def _open_only(url: str, start: Any) -> None:
    start.wait()
    with api.open_register(url) as register:
        register.verify()


@pytest.mark.slow
def test_many_processes_creating_one_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    # Switching a new SQLite file to WAL needs it alone; CI once saw a second
    # process get 'database is locked' at that moment. The creation lock makes
    # them take turns; this is the race, six at a time, three times over.
    context = multiprocessing.get_context("spawn")
    for round_ in range(3):
        url = f"sqlite:///{tmp_path / f'new-{round_}.db'}"
        start = context.Barrier(6)
        workers = [context.Process(target=_open_only, args=(url, start)) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(120)
        assert [worker.exitcode for worker in workers] == [0] * 6
