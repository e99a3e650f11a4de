"""Webhooks: Standard Webhooks signing, confined targets, the outbox, and delivery over loopback.

The register runs on SQLite and PostgreSQL (register_url); receivers are real
HTTP servers on 127.0.0.1, so delivery allows private targets where it must.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from receiver import Receiver

from techgate import api
from techgate.errors import InvalidInputError
from techgate.model.register import Outcome
from techgate.model.webhooks import DeliveryOutcome
from techgate.register import Register
from techgate.register.database import make_engine, writing
from techgate.register.webhooks import GONE, enqueue
from techgate.vocabulary import WebhookEvent
from techgate.webhooks import signing
from techgate.webhooks.settings import DeliverySettings
from techgate.webhooks.targets import TargetRefused, check_url, resolve

GO = EXAMPLES / "callback-queue.yaml"
NO_GO = EXAMPLES / "chatbot-no-human.yaml"
CREATED = WebhookEvent.EVALUATION_CREATED
DECIDED = WebhookEvent.DECISION_RECORDED
START = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


class Clock:
    """Stands still until moved: retries fall due exactly when a test says."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def register(register_url: str, clock: Clock) -> Iterator[Register]:
    with api.open_register(register_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


LOCAL = DeliverySettings(allow_private_targets=True, timeout=2.0, backoff=(5.0, 60.0), workers=2)


def rows(url: str, statement: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(statement)))
    finally:
        engine.dispose()


def raw(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def drop_guard(url: str, table: str) -> None:
    if url.startswith("sqlite"):
        raw(url, f"DROP TRIGGER {table}_no_update")
        raw(url, f"DROP TRIGGER {table}_no_delete")
    else:
        raw(url, f"DROP TRIGGER {table}_append_only ON {table}")


# -- signing -------------------------------------------------------------------

# The specification's published example (standard-webhooks, libraries/python/tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector() -> None:
    headers = signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert headers == {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": VECTOR_SIGNATURE,
    }
    assert signing.verify(headers, VECTOR_BODY, VECTOR_SECRET, now=VECTOR_TIMESTAMP) == VECTOR_ID
    # Receivers' libraries accept the secret without its prefix too.
    bare = VECTOR_SECRET.removeprefix("whsec_")
    assert signing.verify(headers, VECTOR_BODY, bare, now=VECTOR_TIMESTAMP) == VECTOR_ID


def test_one_good_signature_among_several_is_enough() -> None:
    headers = signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    headers["webhook-signature"] = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v1a,bm90IGFuIGVkMjU1MTkgc2lnbmF0dXJl",
            "v2," + VECTOR_SIGNATURE[3:],
            "v1,not base64!",
            VECTOR_SIGNATURE,
        ]
    )
    assert signing.verify(headers, VECTOR_BODY, VECTOR_SECRET, now=VECTOR_TIMESTAMP) == VECTOR_ID
    headers["webhook-signature"] = "v2," + VECTOR_SIGNATURE[3:]
    with pytest.raises(signing.SignatureError, match="no signature matches"):
        signing.verify(headers, VECTOR_BODY, VECTOR_SECRET, now=VECTOR_TIMESTAMP)


BAD_HEADERS = [
    ({"webhook-timestamp": "1614265330", "webhook-signature": VECTOR_SIGNATURE}, "missing"),
    ({"webhook-id": VECTOR_ID, "webhook-signature": VECTOR_SIGNATURE}, "missing"),
    ({"webhook-id": VECTOR_ID, "webhook-timestamp": "1614265330"}, "missing"),
    (
        {"webhook-id": VECTOR_ID, "webhook-timestamp": "16142653.3", "webhook-signature": "v1,x"},
        "whole",
    ),
    (
        {"webhook-id": VECTOR_ID, "webhook-timestamp": "-1614265330", "webhook-signature": "v1,x"},
        "whole",
    ),
    (
        {"webhook-id": VECTOR_ID, "webhook-timestamp": "1" * 40, "webhook-signature": "v1,x"},
        "whole",
    ),
    (
        {"webhook-id": VECTOR_ID, "webhook-timestamp": "1614265330", "webhook-signature": ""},
        "missing",
    ),
]


@pytest.mark.parametrize(("headers", "message"), BAD_HEADERS)
def test_headers_that_do_not_check_out(headers: dict[str, str], message: str) -> None:
    with pytest.raises(signing.SignatureError, match=message):
        signing.verify(headers, VECTOR_BODY, VECTOR_SECRET, now=VECTOR_TIMESTAMP)


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    secrets = {signing.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "whsec_%%%%"])
def test_a_secret_that_is_not_base64_is_refused(secret: str) -> None:
    with pytest.raises(signing.SignatureError, match="secret"):
        signing.signature(secret, "msg_1", 1, b"{}")


message_ids = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="."),
    min_size=1,
    max_size=64,
)
timestamps = st.integers(min_value=0, max_value=10**12)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2048), message_id=message_ids, timestamp=timestamps)
def test_any_message_signed_verifies(body: bytes, message_id: str, timestamp: int) -> None:
    secret = signing.new_secret()
    headers = signing.sign(secret, message_id, timestamp, body)
    assert signing.verify(headers, body, secret, now=timestamp) == message_id
    # Header names are case-insensitive on the wire.
    shouted = {name.upper(): value for name, value in headers.items()}
    assert signing.verify(shouted, body, secret, now=timestamp + 300) == message_id


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=512),
    message_id=message_ids,
    timestamp=timestamps,
    data=st.data(),
)
def test_one_flipped_byte_fails(body: bytes, message_id: str, timestamp: int, data: Any) -> None:
    secret = signing.new_secret()
    headers = signing.sign(secret, message_id, timestamp, body)
    where = data.draw(st.integers(0, len(body) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(body)
    flipped[where] ^= 1 << bit
    with pytest.raises(signing.SignatureError):
        signing.verify(headers, bytes(flipped), secret, now=timestamp)
    with pytest.raises(signing.SignatureError):
        signing.verify(headers, body, signing.new_secret(), now=timestamp)
    with pytest.raises(signing.SignatureError):
        signing.verify({**headers, "webhook-id": message_id + "x"}, body, secret, now=timestamp)
    signature = bytearray(base64.b64decode(headers["webhook-signature"][3:]))
    signature[where % 32] ^= 1 << bit
    forged = "v1," + base64.b64encode(bytes(signature)).decode()
    with pytest.raises(signing.SignatureError):
        signing.verify({**headers, "webhook-signature": forged}, body, secret, now=timestamp)


@settings(max_examples=200, deadline=None)
@given(timestamp=timestamps, skew=st.integers(min_value=-10_000, max_value=10_000))
def test_the_replay_window_holds_both_ways(timestamp: int, skew: int) -> None:
    secret = signing.new_secret()
    headers = signing.sign(secret, "msg_1", timestamp, b"{}")
    now = timestamp + skew
    if abs(skew) <= 300:
        assert signing.verify(headers, b"{}", secret, now=now) == "msg_1"
    else:
        with pytest.raises(signing.SignatureError, match=r"too old|future"):
            signing.verify(headers, b"{}", secret, now=now)


# -- where messages may go --------------------------------------------------------

REFUSED_URLS = [
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://example.com:70/_POST", "scheme 'gopher'"),
    ("javascript:alert(1)", "scheme 'javascript'"),
    ("ftp://example.com/", "scheme 'ftp'"),
    ("example.com/hook", "scheme '(none)'"),
    ("https://ana:s3cret@example.com/hook", "user name or password"),
    ("https://token@example.com/hook", "user name or password"),
    ("https://example.com/hook#part", "fragment"),
    ("https:///hook", "names no host"),
    ("https://example.com:0/", "port"),
    ("https://example.com:70000/", "port"),
    ("https://exa mple.com/", "space, a control character"),
    ("https://example.com/\r\nX-Injected: 1", "space, a control character"),
    ("https://example.com/\x00", "space, a control character"),
    ("https://exa_mple.com/", "not a valid DNS name"),
    ("https://" + "a" * 64 + ".com/", "not a valid DNS name"),
    ("https://example.com/" + "a" * 2100, "longer than 2048"),
    ("https://example.com/caf\udce9", "not UTF-8"),
    ("https://bücher.example/ü", "outside its host name"),
    ("http://127.0.0.1/hook", "loopback address 127.0.0.1"),
    ("http://127.1/hook", "loopback address 127.0.0.1"),
    ("http://2130706433/hook", "loopback address 127.0.0.1"),
    ("http://0x7f000001/hook", "loopback address 127.0.0.1"),
    ("http://[::1]:8080/hook", "loopback address ::1"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback address 127.0.0.1"),
    ("http://[fe80::1%25eth0]/hook", "IPv6 zone"),
    ("http://localhost:8080/hook", "localhost"),
    ("http://api.localhost/hook", "localhost"),
    ("http://10.0.0.7/hook", "private or reserved address 10.0.0.7"),
    ("http://192.168.1.1/hook", "private or reserved"),
    ("http://100.64.0.1/hook", "private or reserved"),
    ("http://203.0.113.9/hook", "private or reserved"),  # documentation range
    ("http://[fd00::1]/hook", "private or reserved address fd00::1"),
    ("http://169.254.169.254/latest/meta-data", "link-local address 169.254.169.254"),
    ("http://0.0.0.0/hook", "names no single receiver"),
    ("http://224.0.0.1/hook", "names no single receiver"),
]


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS)
def test_targets_that_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)) as caught:
        check_url(url)
    (problem,) = caught.value.problems
    assert problem.field == "url"
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "host", "port", "target"),
    [
        ("https://hooks.example.com/in?team=7", "hooks.example.com", 443, "/in?team=7"),
        ("HTTP://Hooks.Example.COM:8080", "hooks.example.com", 8080, "/"),
        ("https://bücher.example/hook", "xn--bcher-kva.example", 443, "/hook"),
        ("https://93.184.215.14/x", "93.184.215.14", 443, "/x"),
        ("https://[2606:4700::1]:8443/x", "2606:4700::1", 8443, "/x"),
        ("https://8.8.8.8/x", "8.8.8.8", 443, "/x"),
    ],
)
def test_targets_that_are_allowed(url: str, host: str, port: int, target: str) -> None:
    checked = check_url(url)
    assert (checked.host, checked.port, checked.request_target) == (host, port, target)


def test_private_targets_only_when_allowed() -> None:
    for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/"):
        with pytest.raises(InvalidInputError):
            check_url(url)
        assert check_url(url, allow_private=True).scheme == "http"
    # Allowing private targets never allows an address that names no one.
    for url in ("http://0.0.0.0/", "http://[::]/", "http://239.1.1.1/"):
        with pytest.raises(InvalidInputError, match="no single receiver"):
            check_url(url, allow_private=True)


def test_a_name_is_resolved_and_every_address_checked() -> None:
    target = check_url("http://localhost:9/hook", allow_private=True)
    with pytest.raises(TargetRefused, match="loopback"):
        resolve(target, allow_private=False)
    assert resolve(target, allow_private=True) in ("127.0.0.1", "::1")
    with pytest.raises(TargetRefused, match="does not resolve"):
        resolve(check_url("http://no-such-host.invalid/"), allow_private=False)


# -- subscriptions and the outbox -------------------------------------------------


def test_subscribing_shows_the_secret_once_and_audits_without_it(
    register: Register, register_url: str
) -> None:
    made = api.subscribe(
        register, "https://hooks.example.com/in", [DECIDED, "evaluation.created"], by="ana"
    )
    assert made.secret.startswith("whsec_")
    subscription = made.subscription
    assert subscription.events == (DECIDED, CREATED) and subscription.enabled  # sorted
    assert subscription.created_by == "ana" and subscription.created_at == START
    listed = register.webhooks.subscriptions()
    assert listed == (subscription,)
    assert made.secret not in listed[0].model_dump_json()
    ((kind, text),) = rows(register_url, "SELECT kind, event_json FROM audit_events")
    assert kind == "webhook.subscribed" and made.secret not in text
    data = json.loads(text)["data"]
    assert data["events"] == ["decision.recorded", "evaluation.created"]
    assert data["secret_sha256"] == __import__("hashlib").sha256(made.secret.encode()).hexdigest()
    assert register.verify().intact


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([], "names no event type"),
        (["evaluation.deleted"], "'evaluation.deleted' is not an event type"),
        (["EVALUATION.CREATED"], "is not an event type"),
        (["evaluation.created\x00"], "is not an event type"),
        (["x" * 10_000], "is not an event type"),
        (["decision\udce9"], "not UTF-8"),
    ],
)
def test_events_not_in_the_list_are_refused(
    register: Register, register_url: str, events: list[str], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        api.subscribe(register, "https://hooks.example.com/in", events, by="ana")
    assert rows(register_url, "SELECT COUNT(*) FROM webhook_subscriptions") == [(0,)]


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS[:3] + REFUSED_URLS[-5:])
def test_a_refused_target_stores_nothing(
    register: Register, register_url: str, url: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        api.subscribe(register, url, [CREATED], by="ana")
    assert rows(register_url, "SELECT COUNT(*) FROM webhook_subscriptions") == [(0,)]


def test_each_change_queues_one_message_per_enabled_subscriber(
    register: Register, register_url: str
) -> None:
    both = api.subscribe(register, "https://a.example/in", [CREATED, DECIDED], by="ana")
    decisions = api.subscribe(register, "https://b.example/in", [DECIDED], by="ana")
    off = api.subscribe(register, "https://c.example/in", [CREATED, DECIDED], by="ana")
    register.webhooks.change(off.subscription.id, False, "ana", "on holiday")
    stored = api.submit(register, NO_GO, by="lee").evaluation
    assert not api.submit(register, NO_GO).created  # stored nothing, so tells no one
    register.decide(stored.id, Outcome.REJECTED, "board")
    queued = rows(
        register_url,
        "SELECT subscription_id, event_type, payload_json, message_id FROM outbox ORDER BY id",
    )
    assert [(s, t) for s, t, _, _ in queued] == [
        (both.subscription.id, "evaluation.created"),
        (both.subscription.id, "decision.recorded"),
        (decisions.subscription.id, "decision.recorded"),
    ]
    assert len({m for *_, m in queued}) == 3
    created = json.loads(queued[0][2])
    assert created["type"] == "evaluation.created"
    assert created["timestamp"] == "2026-03-04T05:06:07.000000Z"
    assert created["data"]["evaluation_id"] == stored.id
    assert created["data"]["decision"] == "no-go" and created["data"]["submitted_by"] == "lee"
    assert created["data"]["record_sha256"] == stored.record_sha256
    decided = json.loads(queued[1][2])
    assert decided["data"]["outcome"] == "rejected"
    assert decided["data"]["proposal_id"] == "chatbot-no-human"
    # The same change tells every subscriber the same bytes.
    assert queued[1][2] == queued[2][2]
    # Bodies are compact, key-sorted ASCII JSON: the bytes that are signed.
    for *_, body, _ in queued:
        assert body.isascii() and body == json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":")
        )
    assert register.verify().intact


def test_enqueue_commits_and_rolls_back_with_its_change(
    register: Register, register_url: str
) -> None:
    api.subscribe(register, "https://a.example/in", [WebhookEvent.WAIVER_CREATED], by="ana")
    engine = make_engine(register_url)
    try:
        with pytest.raises(RuntimeError), writing(engine) as connection:
            assert (
                enqueue(
                    connection, "waiver.created", {"waiver_id": 1}, "2026-01-01T00:00:00.000000Z"
                )
                == 1
            )
            raise RuntimeError("the change failed")
        assert rows(register_url, "SELECT COUNT(*) FROM outbox") == [(0,)]
        with writing(engine) as connection:
            assert (
                enqueue(connection, WebhookEvent.WAIVER_EXPIRED, {}, "2026-01-01T00:00:00.000000Z")
                == 0
            )
            assert (
                enqueue(connection, "waiver.created", {"w": "é"}, "2026-01-01T00:00:00.000000Z")
                == 1
            )
        with pytest.raises(ValueError), writing(engine) as connection:
            enqueue(connection, "waiver.forgotten", {}, "2026-01-01T00:00:00.000000Z")
    finally:
        engine.dispose()
    ((body,),) = rows(register_url, "SELECT payload_json FROM outbox")
    assert body.endswith('"type":"waiver.created"}') and "\\u00e9" in body


def test_disable_and_enable_are_audited_and_checked(
    register: Register, register_url: str, clock: Clock
) -> None:
    subscription = api.subscribe(register, "https://a.example/in", [CREATED], by="ana").subscription
    clock.advance(60)
    off = register.webhooks.change(subscription.id, False, "ana", "receiver being replaced")
    assert not off.enabled and off.changed_why == "receiver being replaced"
    assert off.changed_at == START + dt.timedelta(seconds=60)
    on = register.webhooks.change(subscription.id, True, "lee", "replaced")
    assert on.enabled and on.changed_by == "lee"
    kinds = [k for (k,) in rows(register_url, "SELECT kind FROM audit_events ORDER BY seq")]
    assert kinds == ["webhook.subscribed", "webhook.disabled", "webhook.enabled"]
    assert register.verify().intact
    with pytest.raises(InvalidInputError, match="has no webhook subscription 9"):
        register.webhooks.change(9, False, "ana", "x")
    with pytest.raises(InvalidInputError, match="printable line"):
        register.webhooks.change(subscription.id, False, "ana", "two\nlines")


def test_verify_names_tampered_webhook_rows(register: Register, register_url: str) -> None:
    subscription = api.subscribe(register, "https://a.example/in", [CREATED], by="ana").subscription
    register.webhooks.change(subscription.id, False, "ana", "paused")
    register.webhooks.change(subscription.id, True, "ana", "resumed")
    api.submit(register, GO)
    drop_guard(register_url, "webhook_subscriptions")
    raw(register_url, "UPDATE webhook_subscriptions SET url = 'https://evil.example/in'")
    drop_guard(register_url, "subscription_changes")
    raw(register_url, "UPDATE subscription_changes SET enabled = true WHERE id = 1")
    raw(
        register_url,
        "INSERT INTO outbox (subscription_id, message_id, event_type, payload_json, created_at) "
        "VALUES (1, 'msg_forged', 'evaluation.created', "
        '\'{"data":{},"timestamp":"2020-01-01T00:00:00.000000Z","type":"evaluation.created"}\', '
        "'2020-01-01T00:00:00.000000Z')",
    )
    messages = [p.message for p in register.verify().problems]
    assert messages == [
        "subscription 1: differs from its audit event (url)",
        "subscription change 1: differs from its audit event (enabled)",
        "outbox message 2: no audited change happened at its time",
    ]


# -- delivery ------------------------------------------------------------------------


def subscribed(register: Register, receiver: Receiver, *events: WebhookEvent) -> Any:
    return api.subscribe(
        register, receiver.url, events or (CREATED, DECIDED), by="ops", allow_private=True
    )


def test_a_delivered_message_is_signed_as_the_specification_says(
    register: Register, receiver: Receiver
) -> None:
    made = subscribed(register, receiver)
    stored = api.submit(register, GO).evaluation
    (attempt,) = api.deliver_due(register, LOCAL)
    assert attempt.outcome is DeliveryOutcome.DELIVERED and attempt.status_code == 200
    assert attempt.attempt == 1 and attempt.error is None and attempt.next_attempt_at is None
    (got,) = receiver.received
    assert got.path == "/hook" and got.headers["content-type"] == "application/json"
    assert got.headers["webhook-timestamp"] == str(int(START.timestamp()))
    message_id = signing.verify(got.headers, got.body, made.secret, now=START.timestamp())
    assert message_id == attempt.message_id == got.headers["webhook-id"]
    body = json.loads(got.body)
    assert body["type"] == "evaluation.created" and body["data"]["evaluation_id"] == stored.id
    assert api.deliver_due(register, LOCAL) == ()  # delivered once, never again


def test_a_failing_receiver_gets_retries_with_the_same_id(
    register: Register, receiver: Receiver, clock: Clock
) -> None:
    made = subscribed(register, receiver, CREATED)
    receiver.answer(500, 503, 200)
    api.submit(register, GO)
    (first,) = api.deliver_due(register, LOCAL)
    assert first.outcome is DeliveryOutcome.FAILED and first.status_code == 500
    assert first.error == "HTTP 500 Internal Server Error"
    assert first.next_attempt_at == START + dt.timedelta(seconds=5)
    assert api.deliver_due(register, LOCAL) == ()  # not due yet
    clock.advance(5)
    (second,) = api.deliver_due(register, LOCAL)
    assert (second.attempt, second.status_code) == (2, 503)
    assert second.next_attempt_at == clock.now + dt.timedelta(seconds=60)
    clock.advance(60)
    (third,) = api.deliver_due(register, LOCAL)
    assert third.outcome is DeliveryOutcome.DELIVERED and third.attempt == 3
    ids = {r.headers["webhook-id"] for r in receiver.received}
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.received]
    assert ids == {first.message_id} and stamps == sorted(set(stamps))
    for got in receiver.received:  # each try is signed for its own timestamp
        signing.verify(
            got.headers, got.body, made.secret, now=int(got.headers["webhook-timestamp"])
        )
    listed = register.webhooks.attempts()
    assert [a.attempt for a in listed] == [3, 2, 1]  # newest first, claims hidden by results
    assert register.verify().intact


def test_the_schedule_ends_in_giving_up(
    register: Register, receiver: Receiver, clock: Clock
) -> None:
    subscribed(register, receiver, CREATED)
    receiver.default = 502
    api.submit(register, GO)
    outcomes = []
    for _ in range(4):
        outcomes += [a.outcome for a in api.deliver_due(register, LOCAL)]
        clock.advance(3600)
    assert outcomes == [DeliveryOutcome.FAILED, DeliveryOutcome.FAILED, DeliveryOutcome.GAVE_UP]
    assert len(receiver.received) == 3


def test_410_gone_disables_the_subscription(
    register: Register, receiver: Receiver, register_url: str
) -> None:
    made = subscribed(register, receiver)
    receiver.answer(410)
    stored = api.submit(register, GO).evaluation
    (attempt,) = api.deliver_due(register, LOCAL)
    assert attempt.outcome is DeliveryOutcome.DISABLED and attempt.status_code == 410
    subscription = register.webhooks.subscription(made.subscription.id)
    assert not subscription.enabled
    assert (subscription.changed_why, subscription.changed_by) == (GONE, "receiver")
    # Nothing more is queued for it, and the decision is stored all the same.
    decision = register.decide(stored.id, Outcome.APPROVED, "board")
    assert register.show(stored.id).decisions == (decision,)
    assert rows(register_url, "SELECT COUNT(*) FROM outbox") == [(1,)]
    assert api.deliver_due(register, LOCAL) == ()
    kinds = [k for (k,) in rows(register_url, "SELECT kind FROM audit_events ORDER BY seq")]
    assert kinds[-2:] == ["webhook.disabled", "decision.recorded"]
    assert register.verify().intact


def test_a_receiver_that_hangs_is_cut_off_and_never_holds_a_decision(
    register: Register, receiver: Receiver, clock: Clock
) -> None:
    subscribed(register, receiver)
    receiver.answer("hold")
    stored = api.submit(register, NO_GO).evaluation
    quick = DeliverySettings(allow_private_targets=True, timeout=0.5, workers=1)
    done: list[Any] = []
    delivering = threading.Thread(target=lambda: done.append(api.deliver_due(register, quick)))
    delivering.start()
    assert receiver.holding.wait(30)
    # The delivery is under way and its receiver silent: decisions go on regardless.
    decision = register.decide(stored.id, Outcome.REJECTED, "board")
    assert register.show(stored.id).decisions == (decision,)
    delivering.join(30)
    receiver.released.set()
    ((attempt,),) = done
    assert attempt.outcome is DeliveryOutcome.FAILED and attempt.status_code is None
    assert attempt.error == "timed out after 0.5 s"
    clock.advance(5)
    # The decision's own message waited in the outbox; both go out on the next pass.
    later = api.deliver_due(register, quick)
    assert [a.outcome for a in later] == [DeliveryOutcome.DELIVERED] * 2
    # One pass tries several at a time: in either order.
    assert sorted(json.loads(r.body)["type"] for r in receiver.received[1:]) == [
        "decision.recorded",
        "evaluation.created",
    ]


def test_nobody_listening_is_a_failed_try(register: Register, receiver: Receiver) -> None:
    url = receiver.url
    receiver.close()  # the port is free now: connections are refused
    api.subscribe(register, url, [CREATED], by="ops", allow_private=True)
    api.submit(register, GO)
    (attempt,) = api.deliver_due(register, LOCAL)
    assert attempt.outcome is DeliveryOutcome.FAILED
    assert attempt.error == "connection refused"


def test_redirects_are_not_followed(register: Register, receiver: Receiver) -> None:
    elsewhere = Receiver()
    try:
        subscribed(register, receiver, CREATED)
        receiver.answer((307, {"Location": elsewhere.url}))
        api.submit(register, GO)
        (attempt,) = api.deliver_due(register, LOCAL)
        assert attempt.outcome is DeliveryOutcome.FAILED and attempt.status_code == 307
        assert "redirects are not followed" in (attempt.error or "")
        assert elsewhere.received == []
    finally:
        elsewhere.close()


def test_retry_after_is_honoured(register: Register, receiver: Receiver) -> None:
    subscribed(register, receiver, CREATED)
    receiver.answer((429, {"Retry-After": "120"}))
    api.submit(register, GO)
    (attempt,) = api.deliver_due(register, LOCAL)
    assert attempt.next_attempt_at == START + dt.timedelta(seconds=120)


def test_a_private_target_is_refused_when_delivery_does_not_allow_it(
    register: Register, receiver: Receiver
) -> None:
    subscribed(register, receiver, CREATED)
    api.submit(register, GO)
    (attempt,) = api.deliver_due(register, DeliverySettings(timeout=2.0))
    assert attempt.outcome is DeliveryOutcome.FAILED
    assert (
        attempt.error
        == "refused: is the loopback address 127.0.0.1; private targets are not allowed"
    )
    assert receiver.received == []


def test_a_claimed_message_is_not_claimed_twice_until_its_claim_expires(
    register: Register, receiver: Receiver, clock: Clock
) -> None:
    subscribed(register, receiver, CREATED)
    api.submit(register, GO)
    store = register.webhooks
    lease = dt.timedelta(seconds=70)
    claim = store.claim(lease=lease)
    assert claim is not None and claim.attempt == 1
    assert store.claim(lease=lease) is None  # a second deliverer passes it by
    (shown,) = store.attempts()
    assert shown.outcome is DeliveryOutcome.SENDING and shown.next_attempt_at == START + lease
    clock.advance(70)  # the first deliverer died: its claim runs out
    again = store.claim(lease=lease)
    assert again is not None and again.attempt == 2 and again.message_id == claim.message_id
    store.record(
        again, DeliveryOutcome.DELIVERED, status_code=200, error=None, next_attempt_at=None
    )
    # The first deliverer's late answer is kept, but cannot make the message due again.
    store.record(
        claim, DeliveryOutcome.FAILED, status_code=500, error="late", next_attempt_at=clock.now
    )
    assert store.claim(lease=lease) is None
    assert [(a.attempt, a.outcome) for a in store.attempts()] == [
        (1, DeliveryOutcome.FAILED),
        (2, DeliveryOutcome.DELIVERED),
    ]


def test_two_deliverers_at_once_send_each_message_once(
    register_url: str, clock: Clock, receiver: Receiver
) -> None:
    with api.open_register(register_url, clock=clock) as first:
        subscribed(first, receiver, CREATED)
        for n in range(12):
            api.submit(first, {**_proposal(), "id": f"proposal-{n}"})
        with api.open_register(register_url, clock=clock) as second:
            results: list[Any] = []
            start = threading.Barrier(2)

            def run(register: Register) -> None:
                start.wait()
                results.append(api.deliver_due(register, LOCAL))

            threads = [threading.Thread(target=run, args=(r,)) for r in (first, second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert sum(len(r) for r in results) == 12


def _proposal() -> dict[str, Any]:
    from conftest import read_yaml

    return dict(read_yaml(GO))


def test_the_deliverer_thread_delivers_until_stopped(
    register: Register, receiver: Receiver
) -> None:
    subscribed(register, receiver, CREATED)
    deliverer = api.deliverer(register, LOCAL, interval=0.05)
    deliverer.start()
    try:
        assert deliverer.running
        api.submit(register, GO)
        deliverer.wake()
        for _ in range(600):
            if receiver.received:
                break
            threading.Event().wait(0.05)
    finally:
        deliverer.stop(30)
    assert not deliverer.running and deliverer.last_error is None
    assert len(receiver.received) == 1 and deliverer.passes >= 1


def test_a_failing_pass_does_not_kill_the_deliverer(tmp_path: Any, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'techgate.db'}"
    with api.open_register(url, clock=clock) as register:
        deliverer = api.deliverer(register, LOCAL, interval=0.05)
        raw(url, "DROP TABLE delivery_attempts")  # a pass now fails at its first query
        deliverer.start()
        try:
            for _ in range(600):
                if deliverer.passes >= 2:
                    break
                threading.Event().wait(0.05)
            assert deliverer.running and "delivery_attempts" in (deliverer.last_error or "")
        finally:
            deliverer.stop(30)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": 301}, "timeout"),
        ({"workers": 0}, "workers"),
        ({"backoff": (-1.0,)}, "delay"),
    ],
)
def test_settings_out_of_range_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        DeliverySettings(**changes)


def test_the_receiver_check_in_the_docs_verifies_the_vector(monkeypatch: Any) -> None:
    """docs/webhooks.md's standard-library check, run as printed."""
    import time
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "webhooks.md").read_text("utf-8")
    code = re.search(r"```python\n(import base64.*?)```", text, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    monkeypatch.setattr(time, "time", lambda: float(VECTOR_TIMESTAMP))
    headers = signing.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    headers["webhook-signature"] = "v1,bm90IGl0 " + headers["webhook-signature"]
    assert namespace["verify"](headers, VECTOR_BODY, VECTOR_SECRET) == VECTOR_ID
    with pytest.raises(ValueError, match="no signature"):
        namespace["verify"](headers, VECTOR_BODY + b" ", VECTOR_SECRET)
    monkeypatch.setattr(time, "time", lambda: float(VECTOR_TIMESTAMP + 301))
    with pytest.raises(ValueError, match="replay window"):
        namespace["verify"](headers, VECTOR_BODY, VECTOR_SECRET)
