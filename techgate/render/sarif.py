"""The decision record as a SARIF 2.1.0 log, for code scanning (GitHub) and other SARIF readers.

One run; tool.driver is techgate, its rules the pack's gates in pack order
(as the record lists them, applicable or not) and one more rule,
'techgate/decision', for the overall decision. Results:

- one per failed gate: level 'error' for severity no-go, 'warning' for conditional;
- one per waived gate (failed, accepted by a waiver in force): level 'note',
  with a suppression of kind 'external' (the waiver lives in the register,
  not in the proposal), status 'accepted', the waiver's reason as its
  justification and its id, ticket, owner and expiry as properties;
- one for the decision when it is not go (the score or confidence alone can
  make a proposal no-go or conditional with no gate failing): error or warning.

Every result points at the proposal file (artifactLocation, relative to the
repository's root when the path given was relative); the record holds no
line numbers, so there is no region. partialFingerprints (proposal id and
rule id) let code scanning follow one alert across runs. The run's
automationDetails id is 'techgate/<proposal id>/', a category of its own for
each proposal, so that several proposals can be uploaded for one commit.

Limits (GitHub's, per run: 25,000 rules and results): a pack has far fewer
gates than its 1 MiB file could describe at that count. Text is never
shortened; control, bidi and unencodable characters are shown as escapes
('\\x1b', '\\u202e'), as the terminal shows them.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from techgate.model.evaluation import Decision, Evaluation, GateResult
from techgate.render.ci import (
    GateOutcome,
    decision_heading,
    decision_message,
    gate_message,
    gate_outcome,
    source_uri,
    visible,
    waiver_message,
)
from techgate.render.json import escape_risky

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DECISION_RULE = "techgate/decision"
"""The decision's rule id: a gate id cannot hold '/', so no pack's gate can take it."""

_LEVEL = {GateOutcome.BLOCKS: "error", GateOutcome.WARNS: "warning"}


def _pascal(identifier: str) -> str:
    """'human-route-speed' → 'HumanRouteSpeed': SARIF's advice for a rule's name."""
    parts = identifier.replace(".", "-").replace("_", "-").split("-")
    return "".join(part[:1].upper() + part[1:] for part in parts if part)


def _gate_rule(gate: GateResult) -> dict[str, Any]:
    level = "error" if gate.severity.value == "no-go" else "warning"
    return {
        "id": gate.id,
        "name": _pascal(gate.id),
        "shortDescription": {"text": gate.title},
        "fullDescription": {
            "text": f"A '{gate.kind}' gate; failing it makes the proposal {gate.severity.value}."
        },
        "help": {
            "text": f"{gate.title}. Failing this gate makes the decision at best "
            f"{gate.severity.value}; the result says what must change for it to pass.",
        },
        "defaultConfiguration": {"level": level},
        "properties": {"kind": gate.kind, "severity": gate.severity.value},
    }


def _decision_rule() -> dict[str, Any]:
    return {
        "id": DECISION_RULE,
        "name": "Decision",
        "shortDescription": {"text": "The overall decision is not go"},
        "fullDescription": {
            "text": "The proposal's decision under its pack's policy: no-go is an error, "
            "conditional a warning. Reported when the decision is not go."
        },
        "help": {
            "text": "Meet the conditions the result lists (failed gates, score, confidence, "
            "coverage, evidence) and evaluate again."
        },
        "defaultConfiguration": {"level": "error"},
    }


def _result(
    record: Evaluation,
    rule: str,
    index: int,
    level: str,
    text: str,
    source: PurePath | None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": rule,
        "ruleIndex": index,
        "level": level,
        "message": {"text": text},
    }
    if source is not None:
        location = {"uri": source_uri(source)}
        if not source.is_absolute():
            location["uriBaseId"] = "%SRCROOT%"
        result["locations"] = [{"physicalLocation": {"artifactLocation": location}}]
    result["partialFingerprints"] = {"techgateProposalRule/v1": f"{record.proposal.id}/{rule}"}
    return result


def _suppression(gate: GateResult) -> dict[str, Any]:
    waiver = gate.waiver
    suppression: dict[str, Any] = {"kind": "external", "status": "accepted"}
    if waiver is not None:
        suppression["justification"] = waiver.reason
        suppression["properties"] = {
            "waiver": waiver.id,
            "ticket": waiver.ticket,
            "owner": waiver.owner,
            "grantedBy": waiver.granted_by,
            "expires": waiver.expires.isoformat(),
            **({"condition": waiver.condition} if waiver.condition else {}),
        }
    return suppression


def sarif_log(record: Evaluation, source: PurePath | None = None) -> dict[str, Any]:
    """The SARIF log as plain data (what render_sarif writes)."""
    rules = [_gate_rule(gate) for gate in record.gates]
    results = []
    for index, gate in enumerate(record.gates):
        outcome = gate_outcome(gate)
        if outcome in _LEVEL:
            text = f"{gate.title} failed ({gate.severity.value}): {gate_message(gate)}"
            results.append(_result(record, gate.id, index, _LEVEL[outcome], text, source))
        elif outcome is GateOutcome.WAIVED:
            text = f"{gate.title} failed ({gate.severity.value}) and is {waiver_message(gate)}"
            result = _result(record, gate.id, index, "note", text, source)
            result["suppressions"] = [_suppression(gate)]
            results.append(result)
    rules.append(_decision_rule())
    if record.decision is not Decision.GO:
        level = "error" if record.decision is Decision.NO_GO else "warning"
        text = f"{decision_heading(record)}\n{decision_message(record)}"
        results.append(_result(record, DECISION_RULE, len(rules) - 1, level, text, source))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "techgate",
                        "version": record.provenance.techgate_version,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"techgate/{record.proposal.id}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "decision": record.decision.value,
                    "score": record.score,
                    "confidence": record.confidence,
                    "proposal": record.proposal.id,
                    "pack": record.pack.id,
                    "packVersion": record.pack.version,
                    "proposalSha256": record.provenance.proposal_sha256,
                    "packSha256": record.provenance.pack_sha256,
                },
            }
        ],
    }


def _visible(value: Any) -> Any:
    """Every string in the log with its controls shown as escapes, as the terminal shows them."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {key: _visible(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_visible(item) for item in value]
    return value


def render_sarif(record: Evaluation, source: PurePath | None = None) -> str:
    """The SARIF log as JSON text: two-space indent, risky characters escaped, one newline."""
    text = json.dumps(_visible(sarif_log(record, source)), indent=2, ensure_ascii=False)
    return escape_risky(text) + "\n"
