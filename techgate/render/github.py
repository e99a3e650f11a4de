"""The decision record as GitHub Actions workflow commands: one annotation per line.

    ::error file=proposals/x.yaml,title=techgate: NO-GO for x (pack ...)::no-go: ...
    ::error file=proposals/x.yaml,title=gate human-route: A person can be reached::...
    ::warning file=...,title=gate service-led: ...::...

The decision comes first (GitHub shows at most ten errors and ten warnings of
a step; the decision is never the one cut off): '::error' for no-go,
'::warning' for conditional, '::notice' for go. Then one line per failed gate:
'::error' for severity no-go, '::warning' for conditional; and one
'::notice' per waived gate naming its waiver, ticket and expiry. Gates that
passed or do not apply say nothing.

Escaping is GitHub's own (@actions/core): in the message '%', CR and LF
become %25, %0D and %0A; in a property ':' and ',' too (%3A, %2C), so that no
text from a proposal can end a property, start another, or start a line of
its own. Control and bidi characters are shown as escapes first.
"""

from __future__ import annotations

from pathlib import PurePath

from techgate.model.evaluation import Decision, Evaluation
from techgate.render.ci import (
    GateOutcome,
    decision_heading,
    decision_message,
    gate_heading,
    gate_message,
    gate_outcome,
    source_path,
    visible,
    waiver_message,
)

_COMMAND = {
    GateOutcome.BLOCKS: "error",
    GateOutcome.WARNS: "warning",
    GateOutcome.WAIVED: "notice",
}
_DECISION_COMMAND = {
    Decision.NO_GO: "error",
    Decision.CONDITIONAL: "warning",
    Decision.GO: "notice",
}


def escape_data(text: str) -> str:
    """A workflow command's message: '%', CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and ':' and ',' too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str) -> str:
    """One line: '::command key=value,...::message'."""
    listed = ",".join(
        f"{key}={escape_property(visible(value))}" for key, value in properties.items()
    )
    return f"::{command} {listed}::{escape_data(visible(message))}"


def render_github(record: Evaluation, source: PurePath | None = None) -> str:
    """The annotations, one per line, with a trailing newline."""
    where = {} if source is None else {"file": source_path(source)}
    lines = [
        workflow_command(
            _DECISION_COMMAND[record.decision],
            decision_message(record),
            **where,
            title=decision_heading(record),
        )
    ]
    for gate in record.gates:
        outcome = gate_outcome(gate)
        if outcome in _COMMAND:
            waived = outcome is GateOutcome.WAIVED
            lines.append(
                workflow_command(
                    _COMMAND[outcome],
                    waiver_message(gate) if waived else gate_message(gate),
                    **where,
                    title=f"gate {gate_heading(gate)} "
                    f"({'waived' if waived else gate.severity.value})",
                )
            )
    return "\n".join(lines) + "\n"
