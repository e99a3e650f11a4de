"""Waivers in the register (SQLite and PostgreSQL) and on the command line; hostile input."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from test_register import drop_guard, raw

from techgate import api
from techgate.cli import ExitCode, cli
from techgate.errors import InvalidInputError
from techgate.model.evaluation import Decision, GateStatus
from techgate.register import Register

VOICEBOT = EXAMPLES / "voicebot-projected-savings.yaml"
PROPOSAL = "voicebot-projected-savings"
GATE = "cuts-on-measured-benefits"  # failed, severity no-go; the score alone is conditional
START = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


class Clock:
    """A clock that stays where a test puts it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def register(register_url: str, clock: Clock) -> Iterator[Register]:
    with api.open_register(register_url, clock=clock) as opened:
        api.submit(opened, VOICEBOT, by="Sam Submitter")
        yield opened


def request(**changes: Any) -> api.WaiverRequest:
    values: dict[str, Any] = {
        "proposal_id": PROPOSAL,
        "gate_id": GATE,
        "owner": "Head of Contact Centre",
        "reason": "roles change only after the pilot measures the savings",
        "ticket": "RISK-42",
        "expires": dt.date(2026, 12, 31),
        "condition": "no post is cut before the pilot report",
        "requested_by": "Ana Ruiz",
    }
    values.update(changes)
    return api.WaiverRequest.model_validate(values)


def refused(error: pytest.ExceptionInfo[InvalidInputError]) -> str:
    (problem,) = error.value.problems
    return problem.field


# -- granting -----------------------------------------------------------------------------------


def test_a_waiver_is_granted_stored_and_audited(register: Register) -> None:
    waiver = register.waive(request(), by="Change Board")
    assert (waiver.id, waiver.gate_id, waiver.granted_by) == (1, GATE, "Change Board")
    assert waiver.expires == dt.date(2026, 12, 31) and waiver.created_at == START
    assert waiver.revocation is None
    assert register.waivers().waivers == (waiver,)
    assert register.waivers(PROPOSAL).waivers == (waiver,)
    assert register.waivers("another-proposal").waivers == ()
    result = register.verify()
    assert result.intact and result.events == 2


REFUSALS = [
    # (what, request changes, approver, the field named)
    ("the approver asked for it", {}, "Ana Ruiz", "by"),
    ("the approver asked for it, spelt otherwise", {}, "  ana   RUIZ ", "by"),
    ("the approver submitted the latest evaluation", {}, "Sam Submitter", "by"),
    ("a proposal never evaluated", {"proposal_id": "never-seen"}, "Board", "proposal_id"),
    ("a gate the pack does not have", {"gate_id": "no-such-gate"}, "Board", "gate_id"),
    ("an expiry in the past", {"expires": dt.date(2026, 11, 1)}, "Board", "expires"),
    ("an expiry beyond a year", {"expires": dt.date(2027, 11, 3)}, "Board", "expires"),
    ("an owner of spaces", {"owner": "   "}, "Board", "owner"),
    ("an owner with a bidi override", {"owner": "Ops \u202eevil"}, "Board", "owner"),
    ("an owner with an escape sequence", {"owner": "Ops \x1b[31m"}, "Board", "owner"),
    ("an invisible reason", {"reason": "\u200b\u200d \u2060"}, "Board", "reason"),
    ("a reason with a control character", {"reason": "ok\x00not"}, "Board", "reason"),
    ("a reason with a bidi override", {"reason": "fine \u202e.exe"}, "Board", "reason"),
    ("an invisible ticket", {"ticket": "\u200b"}, "Board", "ticket"),
    ("an invisible condition", {"condition": " \u200f "}, "Board", "condition"),
    ("an approver's name over lines", {}, "Board\nInjected: yes", "by"),
    ("an empty approver", {}, "  ", "by"),
]


@pytest.mark.parametrize(
    ("changes", "by", "field"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_what_a_waiver_is_refused_for(
    register: Register, changes: dict[str, Any], by: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as error:
        register.waive(request(**changes), by=by)
    assert refused(error) == field
    assert register.waivers(include_inactive=True).waivers == ()
    assert register.verify().events == 1  # nothing written, not even an event


def test_the_expiry_may_run_to_the_tightest_limit_and_no_further(
    register_url: str, clock: Clock
) -> None:
    with api.open_register(register_url, clock=clock, max_waiver_days=30) as opened:
        api.submit(opened, VOICEBOT, by="Sam")
        last = START.date() + dt.timedelta(days=30)
        with pytest.raises(InvalidInputError) as error:
            opened.waive(request(expires=last + dt.timedelta(days=1)), by="Board")
        assert refused(error) == "expires"
        assert "this register allows waivers until 2026-12-02" in str(error.value)
        # An argument may tighten it further, never loosen it.
        with pytest.raises(InvalidInputError):
            opened.waive(request(expires=last), by="Board", max_waiver_days=10)
        with pytest.raises(InvalidInputError):
            opened.waive(request(expires=last + dt.timedelta(days=1)), by="B", max_waiver_days=90)
        assert opened.waive(request(expires=last), by="Board").expires == last
        # Expiring today is allowed: it applies to the end of the day.
        assert opened.waive(request(expires=START.date()), by="Board").id == 2


def test_the_packs_own_limit_is_honoured(register_url: str, clock: Clock, tmp_path: Path) -> None:
    pack = tmp_path / "short-waivers.yaml"
    pack.write_text(
        "id: short-waivers\ntitle: Short waivers\nversion: 1.0.0\n"
        "extends: contact-centre\npolicy:\n  max_waiver_days: 10\n",
        encoding="utf-8",
    )
    with api.open_register(register_url, clock=clock) as opened:
        api.submit(opened, api.load(VOICEBOT, pack=str(pack)), by="Sam")
        with pytest.raises(InvalidInputError) as error:
            opened.waive(request(expires=START.date() + dt.timedelta(days=11)), by="Board")
        assert refused(error) == "expires" and "pack short-waivers allows" in str(error.value)
        assert opened.waive(request(expires=START.date() + dt.timedelta(days=10)), by="Board")


def test_a_gate_is_checked_against_the_latest_evaluations_pack(
    register: Register, tmp_path: Path
) -> None:
    # Judged last by a pack without the gate, the proposal cannot have it waived.
    pack = tmp_path / "no-cuts-gate.yaml"
    base = api.load_pack("contact-centre")
    data = json.loads(base.canonical_json)
    data["id"], data["gates"] = "no-cuts-gate", [g for g in data["gates"] if g["id"] != GATE]
    data.pop("lineage", None)
    pack.write_text(json.dumps(data), encoding="utf-8")
    api.submit(register, api.load(VOICEBOT, pack=str(pack)), by="Sam")
    with pytest.raises(InvalidInputError) as error:
        register.waive(request(), by="Board")
    assert refused(error) == "gate_id" and "no-cuts-gate" in str(error.value)


def test_text_that_is_not_utf8_is_refused_even_past_the_model(register: Register) -> None:
    # Built in code without validation, a lone surrogate reaches the register itself.
    values = request().model_dump()
    values["owner"] = "Ops \udcff"
    with pytest.raises(InvalidInputError) as error:
        register.waive(api.WaiverRequest.model_construct(**values), by="Board")
    assert refused(error) == "owner" and "not UTF-8" in str(error.value)
    with pytest.raises(InvalidInputError) as error:
        register.waive(request(), by="Bo\udcffard")
    assert refused(error) == "by"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"owner": "Ops \udcff"}, "owner"),
        ({"proposal_id": "x'; DROP TABLE waivers; --"}, "proposal_id"),
        ({"gate_id": "Gate With Spaces"}, "gate_id"),
        ({"ticket": "T" * 201}, "ticket"),
        ({"reason": "r" * 10_001}, "reason"),
        ({"expires": "2026-02-30"}, "expires"),
        ({"owner": ""}, "owner"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_request_is_checked_field_by_field(changes: dict[str, Any], field: str) -> None:
    values = request().model_dump()
    values.update(changes)
    with pytest.raises(InvalidInputError) as error:
        api.waiver_request(values)
    assert [p.field for p in error.value.problems] == [field]


def test_hostile_text_that_is_allowed_is_stored_verbatim(register: Register) -> None:
    reason = "Robert'); DROP TABLE waivers;-- \u00e9\u4e2d\U0001f600\nsecond line\tand a tab"
    waiver = register.waive(request(reason=reason, ticket="T" * 200), by="Board")
    (listed,) = register.waivers().waivers
    assert listed.reason == reason == waiver.reason and listed.ticket == "T" * 200
    assert register.verify().intact


# -- applying -----------------------------------------------------------------------------------


def test_submit_applies_the_waivers_in_force_and_expiry_restores_the_honest_record(
    register: Register, clock: Clock
) -> None:
    honest = register.show(1)
    assert honest.record.decision is Decision.NO_GO
    waiver = register.waive(request(), by="Board")
    clock.now = START + dt.timedelta(hours=1)
    waived = api.submit(register, VOICEBOT, by="Sam")
    assert waived.created and waived.evaluation.decision is Decision.CONDITIONAL
    record = register.show(waived.evaluation.id).record
    gate = next(g for g in record.gates if g.id == GATE)
    assert gate.status is GateStatus.WAIVED and gate.waiver is not None
    assert gate.waiver.id == waiver.id
    # The last moment of the expiry day still applies it: the same record, stored once.
    clock.now = dt.datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC)
    again = api.submit(register, VOICEBOT)
    assert not again.created and again.evaluation.id == waived.evaluation.id
    # After it: the honest record, which the register already holds.
    clock.now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    expired = api.submit(register, VOICEBOT)
    assert not expired.created and expired.evaluation.id == 1
    assert register.record_json(1) == register.record_json(expired.evaluation.id)
    assert register.waivers().waivers == ()
    assert register.waivers(include_inactive=True).waivers == (waiver,)


def test_a_revoked_waiver_stops_applying_at_once(register: Register, clock: Clock) -> None:
    waiver = register.waive(request(), by="Board")
    clock.now = START + dt.timedelta(days=1)
    revoked = register.revoke_waiver(waiver.id, "Risk Office", "the pilot was cancelled")
    assert revoked.revocation is not None and revoked.revocation.at == clock.now
    assert api.submit(register, VOICEBOT).evaluation.decision is Decision.NO_GO
    assert register.waivers().waivers == ()
    # Asked about an earlier moment, it was in force then.
    assert register.waivers(at=START + dt.timedelta(hours=1)).waivers[0].id == waiver.id
    for waiver_id, field in ((waiver.id, "waiver_id"), (99, "waiver_id"), (2**63, "waiver_id")):
        with pytest.raises(InvalidInputError) as error:
            register.revoke_waiver(waiver_id, "Risk Office")
        assert refused(error) == field
    assert register.verify().intact


def test_an_expired_waiver_cannot_be_revoked(register: Register, clock: Clock) -> None:
    waiver = register.waive(request(expires=START.date()), by="Board")
    clock.now = START + dt.timedelta(days=1)
    with pytest.raises(InvalidInputError, match="expired at the end of 2026-11-02"):
        register.revoke_waiver(waiver.id, "Risk Office")


def test_waivers_expired_between_names_each_expiry_once(register: Register, clock: Clock) -> None:
    first = register.waive(request(expires=dt.date(2026, 11, 10)), by="Board")
    second = register.waive(request(expires=dt.date(2026, 11, 20)), by="Board")
    revoked = register.waive(request(expires=dt.date(2026, 11, 20)), by="Board")
    register.revoke_waiver(revoked.id, "Board")

    def expired(start: dt.datetime, end: dt.datetime) -> list[int]:
        return [w.id for w in register.waivers_expired_between(start, end).waivers]

    midnight = dt.datetime(2026, 11, 11, tzinfo=dt.UTC)  # the moment the first expires
    assert expired(midnight - dt.timedelta(hours=1), midnight) == [first.id]
    assert expired(midnight, midnight + dt.timedelta(hours=1)) == []
    assert expired(midnight - dt.timedelta(hours=1), midnight - dt.timedelta(microseconds=1)) == []
    # Consecutive spans: each waiver once; the revoked one never.
    edges = [START + dt.timedelta(hours=7 * n) for n in range(200)]
    seen = [w for a, b in itertools.pairwise(edges) for w in expired(a, b)]
    assert seen == [first.id, second.id]


# -- verify -------------------------------------------------------------------------------------


def test_verify_finds_an_edited_or_removed_waiver(register: Register, register_url: str) -> None:
    register.waive(request(), by="Board")
    waiver = register.waive(request(expires=dt.date(2026, 12, 1)), by="Board")
    register.revoke_waiver(waiver.id, "Board", "done")
    assert register.verify().intact
    drop_guard(register_url, "waivers")
    raw(register_url, "UPDATE waivers SET expires_at = '2027-10-01T23:59:59.999999Z' WHERE id = 1")
    (problem,) = register.verify().problems
    assert problem.message == "waiver 1: differs from its audit event (expires_at)"
    drop_guard(register_url, "waiver_revocations")
    raw(register_url, "DELETE FROM waiver_revocations WHERE waiver_id = 2")
    messages = [p.message for p in register.verify().problems]
    assert "waiver revocation 1: recorded in the audit chain but missing" in messages


# -- the command line ---------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def waive_args(db: str, *extra: str) -> list[str]:
    return [
        "register",
        "waive",
        PROPOSAL,
        GATE,
        "--owner",
        "Head of Contact Centre",
        "--reason",
        "roles change only after the pilot",
        "--ticket",
        "RISK-42",
        "--expires",
        (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat(),
        "--by",
        "Change Board",
        "--requested-by",
        "Ana Ruiz",
        "--db",
        db,
        *extra,
    ]


def test_the_commands_grant_list_apply_and_revoke(register_url: str, tmp_path: Path) -> None:
    assert run("register", "submit", str(VOICEBOT), "--db", register_url)[0] == ExitCode.NO_GO
    code, out, err = run(*waive_args(register_url, "--condition", "pilot only"))
    assert code == 0, err
    assert out.startswith(f"granted waiver 1: {PROPOSAL} gate {GATE} until ")
    assert "  condition: pilot only" in out
    code, out, _ = run("register", "waivers", "--db", register_url, "-f", "json")
    listing = json.loads(out)
    assert [w["id"] for w in listing["waivers"]] == [1]
    waivers_file = tmp_path / "waivers.json"
    waivers_file.write_text(out, encoding="utf-8")
    # Without the register: the file the listing wrote, the same decision rule.
    code, out, _ = run("evaluate", str(VOICEBOT), "--waivers", str(waivers_file), "-f", "json")
    assert code == ExitCode.CONDITIONAL
    assert json.loads(out)["gates"][9]["status"] == "waived"
    # Submitting again applies it in the register too; exit 3, conditional.
    assert run("register", "submit", str(VOICEBOT), "--db", register_url)[0] == 3
    code, out, _ = run("register", "revoke-waiver", "1", "--by", "Risk", "--db", register_url)
    assert code == 0 and out.startswith("revoked waiver 1") and "[revoked by Risk" in out
    assert run("register", "waivers", "--db", register_url)[1] == "no waivers in force\n"
    code, out, _ = run("register", "waivers", PROPOSAL, "--all", "--db", register_url)
    assert "[revoked by Risk at" in out
    code, out, _ = run("register", "verify", "--db", register_url)
    assert code == 0 and out.startswith("intact: 4 events")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--by", "Ana Ruiz"), "by: 'Ana Ruiz' asked for this waiver"),
        (("--expires", "2020-01-01"), "expires: 2020-01-01 is in the past"),
        (("--expires", "31/12/2026"), "Invalid value for '--expires'"),
        (("--owner", "\udcff"), "owner: is not UTF-8 text"),
        (("--reason", "a\x1b[2Jb"), "reason: holds a control character"),
        (("--max-days", "0"), "Invalid value for '--max-days'"),
    ],
)
def test_a_refused_waiver_exits_2_with_one_line(
    register_url: str, extra: tuple[str, ...], message: str
) -> None:
    run("register", "submit", str(VOICEBOT), "--db", register_url, "--by", "Sam")
    code, out, err = run(*waive_args(register_url, *extra))
    assert code == ExitCode.INVALID and out == ""
    assert message in err and "Traceback" not in err
    assert run("register", "waivers", "--all", "--db", register_url)[1] == "no waivers\n"


def test_a_waiver_of_a_proposal_never_submitted_names_it(tmp_path: Path) -> None:
    code, _, err = run(*waive_args(str(tmp_path / "empty.db")))
    assert (
        code == 2 and f"proposal_id: the register has never evaluated proposal '{PROPOSAL}'" in err
    )


def test_revoke_waiver_refuses_what_does_not_exist(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    code, _, err = run("register", "revoke-waiver", "3", "--by", "x", "--db", db)
    assert code == 2 and "has no waiver 3" in err
    code, _, err = run("register", "revoke-waiver", str(2**63), "--by", "x", "--db", db)
    assert code == 2 and "Invalid value" in err


# -- a waivers file from outside ----------------------------------------------------------------


def listing(**changes: Any) -> dict[str, Any]:
    waiver = {
        "id": 1,
        "proposal_id": PROPOSAL,
        "gate_id": GATE,
        "owner": "o",
        "reason": "r",
        "ticket": "t",
        "expires": "2099-12-31",
        "condition": None,
        "requested_by": "a",
        "granted_by": "b",
        "created_at": "2026-01-01T00:00:00.000000Z",
        "revocation": None,
    }
    waiver.update(changes)
    return {"waivers": [waiver]}


BAD_FILES: list[tuple[str, bytes, str]] = [
    ("not JSON", b"waivers: [1, 2]\n", "not valid JSON"),
    ("too deep", b"[" * 100_000 + b"]" * 100_000, "nested too deeply to be a waivers file"),
    ("a list, not a listing", b"[]", "expected a mapping of fields"),
    ("not UTF-8", b'{"waivers": ["\xff"]}', "UTF-8"),
    ("a duplicate key", b'{"waivers": [], "waivers": []}', "duplicate key 'waivers'"),
    ("NaN", b'{"waivers": [NaN]}', "NaN is not a number"),
    ("a lone surrogate", b'{"waivers": [], "x": "\\ud800"}', "lone surrogate"),
    ("an unknown key", json.dumps({**listing(), "extra": 1}).encode(), "extra"),
    (
        "a waiver with a bad date",
        json.dumps(listing(expires="2099-13-01")).encode(),
        "waivers[0].expires",
    ),
    (
        "a waiver with a bad proposal id",
        json.dumps(listing(proposal_id="../../etc/passwd")).encode(),
        "waivers[0].proposal_id",
    ),
    ("a waiver without a gate", json.dumps(listing(gate_id=None)).encode(), "waivers[0].gate_id"),
    ("a huge file", b" " * (16 * 1024 * 1024 + 1), "file is 16,777,217 bytes"),
]


@pytest.mark.parametrize(
    ("content", "message"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
@pytest.mark.parametrize("command", ["evaluate", "batch"])
def test_a_bad_waivers_file_exits_2_with_a_located_problem(
    tmp_path: Path, command: str, content: bytes, message: str
) -> None:
    file = tmp_path / "waivers.json"
    file.write_bytes(content)
    args = [command, str(VOICEBOT), "--waivers", str(file)]
    if command == "batch":
        args += ["--out-dir", str(tmp_path / "out"), "--formats", "json", "-j", "1"]
    code, out, err = run(*args)
    assert code == ExitCode.INVALID, err
    assert "wrote" not in out + err
    assert message in err and str(file) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_batch_applies_the_waivers_file_to_the_proposals_it_names(tmp_path: Path) -> None:
    file = tmp_path / "waivers.json"
    file.write_text(json.dumps(listing()), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, err = run(
        "batch",
        str(VOICEBOT),
        str(EXAMPLES / "chatbot-no-human.yaml"),
        "--out-dir",
        str(out_dir),
        "--formats",
        "json",
        "--waivers",
        str(file),
        "-j",
        "1",
    )
    assert code == ExitCode.NO_GO, err  # the chatbot has no waiver
    voicebot = json.loads((out_dir / f"{PROPOSAL}.json").read_text())
    assert voicebot["decision"] == "conditional"
    chatbot = (out_dir / "chatbot-no-human.json").read_text()
    assert '"waiver"' not in chatbot
    # An expired entry in the file changes nothing.
    file.write_text(json.dumps(listing(expires="2020-01-01")), encoding="utf-8")
    code, out, _ = run("evaluate", str(VOICEBOT), "--waivers", str(file), "-f", "json")
    assert code == ExitCode.NO_GO and out == run("evaluate", str(VOICEBOT), "-f", "json")[1]


def test_the_waivers_file_is_never_overwritten(tmp_path: Path) -> None:
    file = tmp_path / "waivers.json"
    file.write_text(json.dumps(listing()), encoding="utf-8")
    code, _, err = run("evaluate", str(VOICEBOT), "--waivers", str(file), "--json", str(file))
    assert code == ExitCode.INVALID and "waivers.json" in err
    assert json.loads(file.read_text()) == listing()


# -- webhooks: waiver.created when granted, waiver.expired once a sweep sees it ---------------


def test_waivers_are_announced_when_granted_and_once_when_they_expire(
    register: Register, clock: Clock
) -> None:
    from receiver import Receiver

    from techgate.webhooks.signing import verify as verify_signature

    receiver = Receiver()
    try:
        made = api.subscribe(
            register,
            receiver.url,
            (api.WebhookEvent.WAIVER_CREATED, api.WebhookEvent.WAIVER_EXPIRED),
            by="ops",
            allow_private=True,
        )
        settings = api.DeliverySettings(allow_private_targets=True, timeout=2.0)
        waiver = register.waive(request(expires=dt.date(2026, 11, 10)), by="Change Board")
        revoked = register.waive(request(expires=dt.date(2026, 11, 10)), by="Change Board")
        register.revoke_waiver(revoked.id, "Risk Office")
        (created, also_created) = api.deliver_due(register, settings)
        assert {created.outcome.value, also_created.outcome.value} == {"delivered"}
        clock.now = dt.datetime(2026, 11, 10, 23, 0, tzinfo=dt.UTC)  # still in force
        assert api.deliver_due(register, settings) == ()
        clock.now = dt.datetime(2026, 11, 11, 0, 0, tzinfo=dt.UTC)  # the moment it expires
        (expired,) = api.deliver_due(register, settings)
        assert expired.outcome.value == "delivered"
        clock.now += dt.timedelta(days=3)
        assert api.deliver_due(register, settings) == ()  # announced once, however many sweeps
        bodies = [json.loads(got.body) for got in receiver.received]
        assert [b["type"] for b in bodies] == ["waiver.created", "waiver.created", "waiver.expired"]
        # The two creations go out in one pass, in parallel: in either order.
        assert {b["data"]["waiver_id"] for b in bodies[:2]} == {waiver.id, revoked.id}
        assert all(b["data"]["ticket"] == "RISK-42" for b in bodies[:2])
        assert all(b["data"]["gate_id"] == GATE for b in bodies[:2])
        # The revoked waiver never expired: only the first is announced.
        assert bodies[2]["data"]["waiver_id"] == waiver.id
        assert bodies[2]["data"]["expires"] == "2026-11-10"
        last = receiver.received[-1]
        assert verify_signature(
            last.headers, last.body, made.secret, now=int(clock.now.timestamp()) - 3 * 86400
        )
        kinds = [e.kind for e in register.audit(api.Page(limit=500)).items]
        assert kinds.count("waiver.expired") == 1
        assert register.verify().intact
    finally:
        receiver.close()
