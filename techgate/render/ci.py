"""What a pipeline reads from a record: each gate's outcome, the decision, and their words.

Shared by the three CI formats (render.junit, render.sarif, render.github), so
that a gate is judged the same way in a test report, a code-scanning alert
and an annotation. They read the decision record only, never the engine; the
proposal's file name, which the record does not hold, is handed in by the
caller as it should appear in the pipeline (a path relative to the
repository's root, as the command was given it).
"""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import PurePath
from typing import assert_never
from urllib.parse import quote

from techgate.model.criteria import Severity
from techgate.model.evaluation import Evaluation, GateResult, GateStatus
from techgate.render.safe_text import printable

# What printable() leaves and no CI format can carry: lone surrogates (a str from code can
# hold one; UTF-8 cannot encode it) and the two noncharacters XML 1.0 refuses.
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def visible(text: str) -> str:
    """The text with every control, bidi and unencodable character shown as an escape."""
    return _UNENCODABLE.sub(_escape, printable(text))


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


class GateOutcome(Enum):
    """How a pipeline sees one gate."""

    PASSED = "passed"
    BLOCKS = "blocks"
    """Failed with severity no-go: an error."""
    WARNS = "warns"
    """Failed with severity conditional: a warning."""
    NOT_APPLICABLE = "not-applicable"
    """Skipped."""
    WAIVED = "waived"
    """Failed, with a waiver in force: a notice (never shown as passed)."""


def gate_outcome(gate: GateResult) -> GateOutcome:
    """The outcome of one gate.

    A waived gate has an outcome of its own, shown as a notice in every CI
    format: a skipped test case with the waiver as its message, a SARIF
    result of level 'note' with an external suppression, '::notice'. It is
    never shown as passed. (A new GateStatus stops mypy here until it is
    given an outcome.)
    """
    match gate.status:
        case GateStatus.PASSED:
            return GateOutcome.PASSED
        case GateStatus.FAILED:
            blocks = gate.severity is Severity.NO_GO
            return GateOutcome.BLOCKS if blocks else GateOutcome.WARNS
        case GateStatus.NOT_APPLICABLE:
            return GateOutcome.NOT_APPLICABLE
        case GateStatus.WAIVED:
            return GateOutcome.WAIVED
        case unreachable:
            assert_never(unreachable)


def gate_heading(gate: GateResult) -> str:
    """One line naming the gate: its id and title."""
    return visible(f"{gate.id}: {gate.title}")


def gate_message(gate: GateResult) -> str:
    """Why the gate came out as it did, and for a failed gate what must change."""
    lines = [gate.reason]
    if gate.condition:
        lines.append(f"To pass: {gate.condition}")
    if gate.missing_facts:
        lines.append("Judged at their worst, as not stated: " + "; ".join(gate.missing_facts))
    if gate.lenient:
        lines.append("The pack lets this gate off more lightly than the worst honest answer.")
    return visible("\n".join(lines))


def waiver_message(gate: GateResult) -> str:
    """Which waiver accepts a waived gate's failure, until when, why, and on what condition."""
    waiver = gate.waiver
    if waiver is None:
        return visible(f"waived: {gate.reason}")
    lines = [
        f"waived by waiver {waiver.id} (ticket {waiver.ticket}, owner {waiver.owner}, "
        f"granted by {waiver.granted_by}) until {waiver.expires.isoformat()}: {waiver.reason}",
        f"The gate failed ({gate.severity.value}): {gate.reason}",
    ]
    if waiver.condition:
        lines.append(f"Condition: {waiver.condition}")
    return visible("\n".join(lines))


def decision_heading(record: Evaluation) -> str:
    """The decision in one line: what, for which proposal, by which pack."""
    return visible(
        f"techgate: {record.decision.value.upper()} for {record.proposal.id} "
        f"(pack {record.pack.id} {record.pack.version})"
    )


def decision_message(record: Evaluation) -> str:
    """The decision, its figures, the gates that failed, and what the policy held against it.

    Each failed gate has an entry of its own with its condition; here they are only named,
    and the conditions listed are the rest (score, confidence, coverage, evidence).
    """
    lines = [
        f"{record.decision.value}: {record.proposal.title} "
        f"(score {record.score:g}, confidence {record.confidence:g})"
    ]
    failed = [gate.id for gate in record.gates if gate.status is GateStatus.FAILED]
    if failed:
        lines.append("Failed gates: " + ", ".join(failed))
    waived = [gate.id for gate in record.gates if gate.status is GateStatus.WAIVED]
    if waived:
        lines.append("Waived gates (failed, accepted by a waiver): " + ", ".join(waived))
    lines += [
        f"- {reason.text}"
        for reason in record.reasons
        if reason.direction == "against" and reason.kind not in ("gate", "indicator")
    ]
    gates = {gate.id for gate in record.gates}
    rest = [condition.text for condition in record.conditions if condition.source not in gates]
    if rest:
        lines.append("Conditions:")
        lines += [f"- {text}" for text in rest]
    return visible("\n".join(lines))


def source_path(source: PurePath) -> str:
    """The proposal's path as pipelines name files: forward slashes, as given."""
    return source.as_posix()


def source_uri(source: PurePath) -> str:
    """The proposal's path as a URI reference (SARIF): relative stays relative, escaped."""
    if source.is_absolute():
        return source.as_uri()
    # ':' is escaped too, so that a first segment such as 'c:' is not read as a scheme.
    # The bytes are quoted, not the str: a file name that is not UTF-8 reaches Python
    # with lone surrogates standing for its bytes, which no text encoding accepts.
    return quote(os.fsencode(source.as_posix()), safe="/")
