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
from techgate.register.store import decision_event, evaluation_event
from techgate.register.tables import (
    AuditEventRow,
    DecisionRow,
    EvaluationRow,
    PackRow,
    ProposalRow,
    WaiverRevocationRow,
    WaiverRow,
)
from techgate.register.waivers import revocation_event, waiver_event

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
            elif event.kind == "waiver.created":
                said[("waivers", int(data.get("waiver_id", 0)))] = data
            elif event.kind == "waiver.revoked":
                said[("waiver_revocations", int(data.get("revocation_id", 0)))] = data

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

    appended: tuple[tuple[str, Any, Callable[[int, dict[str, Any]], dict[str, Any]], str], ...] = (
        ("waivers", WaiverRow, waiver_event, "waiver"),
        ("waiver_revocations", WaiverRevocationRow, revocation_event, "waiver revocation"),
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


_SINGULAR = {"waiver_revocations": "waiver revocation"}


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
