"""Checking the register: the audit chain link by link, then every row against its event.

The chain alone proves the events were not changed; the rows are checked
against the events (and content-addressed rows against their own hash), so a
row changed or removed behind the register's back is found too. Problems are
reported in the order found: the chain from its first event, then the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from techgate.model.register import BrokenLink, VerifyResult
from techgate.register import chain
from techgate.register.installs import install_event
from techgate.register.store import decision_event, evaluation_event
from techgate.register.tables import (
    ApiTokenRow,
    AuditEventRow,
    DecisionRow,
    EvaluationRow,
    OutboxRow,
    PackInstallRow,
    PackRow,
    ProposalRow,
    SubscriptionChangeRow,
    TokenRevocationRow,
    WaiverRevocationRow,
    WaiverRow,
    WebhookSubscriptionRow,
)
from techgate.register.tokens import revoked_event, token_event
from techgate.register.waivers import revocation_event, waiver_event
from techgate.register.webhooks import CHANGE_KINDS, SUBSCRIBED, change_event, subscription_event

MAX_PROBLEMS = 100


def verify(connection: Connection) -> VerifyResult:
    problems: list[BrokenLink] = []

    def broken(table: str, key: object, message: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(BrokenLink.trusted(table=table, key=str(key), message=message))

    previous = chain.GENESIS
    count = 0
    said: dict[tuple[str, int], dict[str, Any]] = {}
    moments: set[str] = set()
    events = connection.execute(select(AuditEventRow).order_by(AuditEventRow.seq))
    for event in events:
        count += 1
        where = f"event {event.seq}"
        if event.seq != count:
            broken(
                "audit_events", event.seq, f"{where}: expected event {count} here (one is missing)"
            )
        if event.prev_hash != previous:
            broken("audit_events", event.seq, f"{where}: does not follow the event before it")
        if chain.event_hash(event.prev_hash, event.event_json) != event.hash:
            broken("audit_events", event.seq, f"{where}: its hash does not match its content")
        previous = event.hash
        moments.add(event.at)
        body = _parsed(event.event_json)
        if body is None or (body.get("seq"), body.get("kind"), body.get("at")) != (
            event.seq,
            event.kind,
            event.at,
        ):
            broken("audit_events", event.seq, f"{where}: its columns differ from its content")
            continue
        data = body.get("data")
        if isinstance(data, dict):
            if event.kind == "evaluation.submitted":
                said[("evaluations", int(data.get("evaluation_id", 0)))] = data
            elif event.kind == "decision.recorded":
                said[("decisions", int(data.get("decision_id", 0)))] = data
            elif event.kind == SUBSCRIBED:
                said[("webhook_subscriptions", int(data.get("subscription_id", 0)))] = data
            elif event.kind in CHANGE_KINDS.values():
                said[("subscription_changes", int(data.get("change_id", 0)))] = data
            elif event.kind == "waiver.created":
                said[("waivers", int(data.get("waiver_id", 0)))] = data
            elif event.kind == "waiver.revoked":
                said[("waiver_revocations", int(data.get("revocation_id", 0)))] = data
            elif event.kind in _SERVICE_EVENTS:
                table, id_key = _SERVICE_EVENTS[event.kind]
                said[(table, int(data.get(id_key, 0)))] = data

    for table, row_type in (("proposals", ProposalRow), ("packs", PackRow)):
        for content in connection.execute(select(row_type.sha256, row_type.canonical_json)):
            if chain.sha256_text(content.canonical_json) != content.sha256:
                broken(
                    table, content.sha256, f"{table[:-1]} {content.sha256[:12]}: content changed"
                )

    for row in connection.execute(select(EvaluationRow).order_by(EvaluationRow.id)):
        where = f"evaluation {row.id}"
        if chain.sha256_text(row.record_json) != row.record_sha256:
            broken("evaluations", row.id, f"{where}: its record's bytes do not match their sha256")
        expected = said.pop(("evaluations", row.id), None)
        if expected is None:
            broken("evaluations", row.id, f"{where}: no audit event records it")
            continue
        values = dict(row._mapping)
        actual = evaluation_event(row.id, values)
        if {k: expected.get(k) for k in actual} != actual:
            changed = sorted(k for k in actual if expected.get(k) != actual[k])
            broken(
                "evaluations",
                row.id,
                f"{where}: differs from its audit event ({', '.join(changed)})",
            )

    for decision in connection.execute(select(DecisionRow).order_by(DecisionRow.id)):
        where = f"decision {decision.id}"
        expected = said.pop(("decisions", decision.id), None)
        if expected is None:
            broken("decisions", decision.id, f"{where}: no audit event records it")
            continue
        actual = decision_event(decision.id, dict(decision._mapping))
        if {k: expected.get(k) for k in actual} != actual:
            changed = sorted(k for k in actual if expected.get(k) != actual[k])
            broken(
                "decisions",
                decision.id,
                f"{where}: differs from its audit event ({', '.join(changed)})",
            )

    _check_webhooks(connection, said, moments, broken)

    appended: tuple[tuple[str, Any, Callable[[int, dict[str, Any]], dict[str, Any]], str], ...] = (
        ("waivers", WaiverRow, waiver_event, "waiver"),
        ("waiver_revocations", WaiverRevocationRow, revocation_event, "waiver revocation"),
        ("api_tokens", ApiTokenRow, token_event, "token"),
        ("token_revocations", TokenRevocationRow, revoked_event, "token revocation"),
        ("pack_installs", PackInstallRow, install_event, "pack install"),
    )
    for table, model, event_of, label in appended:
        for entry in connection.execute(select(model).order_by(model.id)):
            where = f"{label} {entry.id}"
            expected = said.pop((table, entry.id), None)
            if expected is None:
                broken(table, entry.id, f"{where}: no audit event records it")
                continue
            actual = event_of(entry.id, dict(entry._mapping))
            if {k: expected.get(k) for k in actual} != actual:
                changed = sorted(k for k in actual if expected.get(k) != actual[k])
                broken(
                    table, entry.id, f"{where}: differs from its audit event ({', '.join(changed)})"
                )

    for table, key in sorted(said):
        label = _SINGULAR.get(table, table[:-1])
        broken(table, key, f"{label} {key}: recorded in the audit chain but missing")

    return VerifyResult.trusted(
        intact=not problems, events=count, head=previous, problems=tuple(problems)
    )


def _check_webhooks(
    connection: Connection,
    said: dict[tuple[str, int], dict[str, Any]],
    moments: set[str],
    broken: Callable[[str, object, str], None],
) -> None:
    """Subscriptions and their changes against their events; queued messages against theirs.

    A queued message has no event of its own: it is written in the transaction of
    the change it reports, at that change's time, so its time must be an audited
    one, its body must say its type, and its subscriber must have asked for it.
    Delivery tries are the outbox's log and are not audited.
    """
    subscribed: dict[int, list[str]] = {}
    for table, row_type, event_of, label in (
        ("webhook_subscriptions", WebhookSubscriptionRow, subscription_event, "subscription"),
        ("subscription_changes", SubscriptionChangeRow, change_event, "subscription change"),
    ):
        for row in connection.execute(select(row_type).order_by(row_type.id)):
            values = dict(row._mapping)
            if table == "webhook_subscriptions":
                subscribed[row.id] = _parsed_list(row.events)
            where = f"{label} {row.id}"
            expected = said.pop((table, row.id), None)
            if expected is None:
                broken(table, row.id, f"{where}: no audit event records it")
                continue
            try:
                actual = event_of(row.id, values)
            except ValueError:
                broken(table, row.id, f"{where}: its columns cannot be read")
                continue
            if {k: expected.get(k) for k in actual} != actual:
                changed = sorted(k for k in actual if expected.get(k) != actual[k])
                broken(
                    table, row.id, f"{where}: differs from its audit event ({', '.join(changed)})"
                )

    for message in connection.execute(select(OutboxRow).order_by(OutboxRow.id)):
        where = f"outbox message {message.id}"
        body = _parsed(message.payload_json)
        if body is None or body.get("type") != message.event_type:
            broken("outbox", message.id, f"{where}: its body does not say its event type")
        elif message.event_type not in subscribed.get(message.subscription_id, []):
            broken("outbox", message.id, f"{where}: its subscriber never asked for this event")
        elif message.created_at not in moments or body.get("timestamp") != message.created_at:
            broken("outbox", message.id, f"{where}: no audited change happened at its time")


def _parsed_list(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


_SINGULAR = {
    "waiver_revocations": "waiver revocation",
    "api_tokens": "token",
    "token_revocations": "token revocation",
    "pack_installs": "pack install",
}
# The service's events: the table of the row each one records, and that row's key in its data.
_SERVICE_EVENTS = {
    "token.created": ("api_tokens", "token_id"),
    "token.revoked": ("token_revocations", "revocation_id"),
    "pack.installed": ("pack_installs", "install_id"),
    "pack.removed": ("pack_installs", "install_id"),
}


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
