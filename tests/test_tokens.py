"""API tokens in the register: created once, hashed at rest, revoked, expired, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_register import Clock, drop_guard, raw, rows

from techgate import api
from techgate.cli import ExitCode, cli
from techgate.errors import InvalidInputError, NotFoundError
from techgate.model.register import Role
from techgate.register import Register

SECRET = re.compile(r"^tg_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def register(register_url: str) -> Iterator[Register]:
    with api.open_register(register_url, clock=Clock()) as opened:
        yield opened


def test_the_secret_is_given_once_and_only_its_hash_is_kept(
    register: Register, register_url: str
) -> None:
    made = register.create_token("ci-pipeline", Role.SUBMITTER, "ana")
    assert SECRET.match(made.secret)
    assert made.token.prefix == made.secret[:10] and made.token.role is Role.SUBMITTER
    stored = rows(register_url, "SELECT secret_sha256, prefix FROM api_tokens")
    assert stored == [(hashlib.sha256(made.secret.encode()).hexdigest(), made.secret[:10])]
    everything = json.dumps([str(r) for r in rows(register_url, "SELECT * FROM audit_events")])
    assert made.secret not in everything and stored[0][0] not in everything
    assert made.secret not in register.tokens()[0].model_dump_json()


def test_two_tokens_never_share_a_secret(register: Register) -> None:
    secrets = {register.create_token(f"t{i}", Role.READER, "ana").secret for i in range(20)}
    assert len(secrets) == 20


def test_authenticate_names_the_token_and_its_role(register: Register) -> None:
    made = register.create_token("board", Role.APPROVER, "ana")
    principal = register.authenticate(made.secret)
    assert principal is not None
    assert (principal.token_id, principal.name, principal.role) == (
        made.token.id,
        "board",
        Role.APPROVER,
    )


@pytest.mark.parametrize(
    "guess",
    ["", "tg_", "not-a-token", "tg_" + "A" * 43, "tg_" + "A" * 5000, "tg_\udcff", "tg_\0"],
)
def test_unknown_secrets_are_nobody(register: Register, guess: str) -> None:
    register.create_token("board", Role.APPROVER, "ana")
    assert register.authenticate(guess) is None


def test_a_revoked_token_stops_working_and_revoking_again_changes_nothing(
    register: Register,
) -> None:
    made = register.create_token("board", Role.APPROVER, "ana")
    first = register.revoke_token(made.token.id, "carl")
    assert first.revoked_by == "carl" and first.revoked_at is not None
    assert register.authenticate(made.secret) is None
    assert register.revoke_token(made.token.id, "dora") == first
    assert register.verify().intact


def test_an_expired_token_stops_working_at_its_time(register: Register) -> None:
    expires = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    made = register.create_token("temp", Role.READER, "ana", expires=expires)
    assert register.authenticate(made.secret, at=expires - dt.timedelta(microseconds=1))
    assert register.authenticate(made.secret, at=expires) is None
    with pytest.raises(InvalidInputError, match="expires before it is created"):
        register.create_token("old", Role.READER, "ana", expires=dt.datetime(2020, 1, 1))


@pytest.mark.parametrize("token_id", [0, 99, 2**63, -1])
def test_revoking_no_token_is_not_found(register: Register, token_id: int) -> None:
    with pytest.raises(NotFoundError, match="has no token"):
        register.revoke_token(token_id, "ana")


@pytest.mark.parametrize("name", ["", " ", "a\nb", "x" * 201, "\udcff"])
def test_names_are_one_printable_line(register: Register, name: str) -> None:
    with pytest.raises(InvalidInputError):
        register.create_token(name, Role.READER, "ana")


@settings(max_examples=20, deadline=None)
@given(mine=st.sampled_from(list(Role)), needed=st.sampled_from(list(Role)))
def test_roles_are_ordered_and_admin_may_do_everything(mine: Role, needed: Role) -> None:
    order = [Role.READER, Role.SUBMITTER, Role.APPROVER, Role.ADMIN]
    assert mine.allows(needed) == (order.index(mine) >= order.index(needed))
    assert Role.ADMIN.allows(needed)


def test_the_audit_chain_records_tokens_without_secrets(
    register: Register, register_url: str
) -> None:
    made = register.create_token("board", Role.APPROVER, "ana")
    register.revoke_token(made.token.id, "carl")
    events = [json.loads(r[0]) for r in rows(register_url, "SELECT event_json FROM audit_events")]
    assert [e["kind"] for e in events] == ["token.created", "token.revoked"]
    assert events[0]["data"]["name"] == "board" and events[0]["data"]["role"] == "approver"
    assert events[1]["data"]["token_id"] == made.token.id
    assert register.verify().intact


def test_a_token_promoted_behind_the_registers_back_is_found(
    register: Register, register_url: str
) -> None:
    register.create_token("intern", Role.READER, "ana")
    drop_guard(register_url, "api_tokens")
    raw(register_url, "UPDATE api_tokens SET role = 'admin'")
    result = register.verify()
    assert not result.intact
    assert result.problems[0].message == "token 1: differs from its audit event (role)"


def test_a_revocation_deleted_behind_the_registers_back_is_found(
    register: Register, register_url: str
) -> None:
    made = register.create_token("intern", Role.READER, "ana")
    register.revoke_token(made.token.id, "ana")
    drop_guard(register_url, "token_revocations")
    raw(register_url, "DELETE FROM token_revocations")
    assert register.authenticate(made.secret) is not None  # it works again...
    messages = [p.message for p in register.verify().problems]
    assert messages == ["token revocation 1: recorded in the audit chain but missing"]  # ...found


def test_a_token_slipped_in_without_an_event_is_found(
    register: Register, register_url: str
) -> None:
    raw(
        register_url,
        "INSERT INTO api_tokens (name, role, secret_sha256, prefix, created_by, created_at) "
        "VALUES ('mallory', 'admin', :digest, 'tg_x', 'mallory', '2026-01-01T00:00:00.000000Z')",
        digest="0" * 64,
    )
    assert [p.message for p in register.verify().problems] == ["token 1: no audit event records it"]


# -- the command line --------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_token_create_prints_the_secret_alone_on_stdout(register_url: str) -> None:
    code, out, err = run(
        "token", "create", "first admin", "--role", "admin", "--by", "ops", "--db", register_url
    )
    assert code == 0, err
    assert SECRET.match(out.rstrip("\n")) and out.count("\n") == 1
    assert "not shown again" in err
    with api.open_register(register_url) as opened:
        principal = opened.authenticate(out.strip())
    assert principal is not None and principal.role is Role.ADMIN


def test_token_list_and_revoke(register_url: str) -> None:
    secret = run("token", "create", "ci", "--role", "submitter", "--db", register_url)[1].strip()
    code, out, _ = run("token", "list", "--db", register_url)
    assert code == 0 and "submitter" in out and "ci" in out and secret not in out
    code, out, _ = run("token", "list", "--db", register_url, "-f", "json")
    listed = json.loads(out)
    assert listed[0]["name"] == "ci" and "secret" not in listed[0]
    assert run("token", "revoke", "1", "--by", "ops", "--db", register_url)[0] == 0
    code, out, _ = run("token", "list", "--db", register_url)
    assert "revoked" in out
    code, _, err = run("token", "revoke", "7", "--db", register_url)
    assert code == ExitCode.INVALID and "has no token 7" in err


def test_token_create_refuses_a_bad_role_or_a_past_expiry(register_url: str) -> None:
    assert run("token", "create", "x", "--role", "root", "--db", register_url)[0] == 2
    code, _, err = run(
        "token", "create", "x", "--role", "reader", "--expires", "2001-01-01", "--db", register_url
    )
    assert code == ExitCode.INVALID and "expires before" in err
