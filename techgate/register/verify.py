"""Checking the register: the audit chain link by link, then every row against its event.

The chain alone proves the events were not changed; the rows are checked
against the events (and content-addressed rows against their own hash), so a
row changed or removed behind the register's back is found too. Problems are
reported in the order found: the chain from its first event, then the rows.
"""

from __future__ import annotations

import json
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
    PackInstallRow,
    PackRow,
    ProposalRow,
    TokenRevocationRow,
)
from techgate.register.tokens import revoked_event, token_event

# Each kind of event, the table its row lives in, the key of that row in the event's data,
# how to say what the event should say of the row, and how to name the row in a message.
_ROWS: tuple[tuple[str, str, str, Any, Any], ...] = (
    ("token.created", "api_tokens", "token_id", ApiTokenRow, token_event),
    ("token.revoked", "token_revocations", "revocation_id", TokenRevocationRow, revoked_event),
    ("pack.installed", "pack_installs", "install_id", PackInstallRow, install_event),
    ("pack.removed", "pack_installs", "install_id", PackInstallRow, install_event),
)
_NAMES = {
    "api_tokens": "token",
    "token_revocations": "token revocation",
    "pack_installs": "pack install",
}

MAX_PROBLEMS = 100


def verify(connection: Connection) -> VerifyResult:
    problems: list[BrokenLink] = []

    def broken(table: str, key: object, message: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(BrokenLink.trusted(table=table, key=str(key), message=message))

    previous = chain.GENESIS
    count = 0
    said: dict[tuple[str, int], dict[str, Any]] = {}
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
            for kind, table, id_key, _, _ in _ROWS:
                if event.kind == kind:
                    said[(table, _number(data.get(id_key)))] = data

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

    seen_tables: set[str] = set()
    for _, table, _, row_type, expected_of in _ROWS:
        if table in seen_tables:
            continue
        seen_tables.add(table)
        for row in connection.execute(select(row_type).order_by(row_type.id)):
            where = f"{_NAMES[table]} {row.id}"
            expected = said.pop((table, row.id), None)
            if expected is None:
                broken(table, row.id, f"{where}: no audit event records it")
                continue
            actual = expected_of(row.id, dict(row._mapping))
            if {k: expected.get(k) for k in actual} != actual:
                changed = sorted(k for k in actual if expected.get(k) != actual[k])
                broken(
                    table, row.id, f"{where}: differs from its audit event ({', '.join(changed)})"
                )

    for table, key in sorted(said):
        noun = _NAMES.get(table, table[:-1])
        broken(table, key, f"{noun} {key}: recorded in the audit chain but missing")

    return VerifyResult.trusted(
        intact=not problems, events=count, head=previous, problems=tuple(problems)
    )


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
