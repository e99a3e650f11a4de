"""The decision record as a JUnit XML test report (GitLab's and Jenkins' test-report reader).

Valid against Jenkins' JUnit schema (xunit-plugin's junit-10.xsd), which GitLab's
reader accepts too: the proposal's file is named on the <testsuite>.

One <testsuite> for the proposal; one <testcase> per gate of the pack, in pack
order, and a last one for the overall decision:

- a failed gate is a <failure> (type: its severity, no-go or conditional;
  message: its reason; text: reason, what must change, facts judged missing);
- a gate that does not apply is <skipped>;
- a waived gate (failed, accepted by a waiver in force) is <skipped> too, its
  message naming the waiver, its ticket and expiry: a pipeline shows it as
  neither passed nor failed, and the exit code (3: conditional at best) says
  the rest;
- the decision is a <failure> for no-go; for conditional it passes, with the
  conditions in <system-out>: the conditional gates that failed are already
  failures of their own, and the pipeline tells conditional from go by the exit
  code (3), one table for every format.

Written with xml.etree, which escapes markup; what XML 1.0 cannot carry at
all (control characters, U+FFFE, U+FFFF, lone surrogates) is shown as an
escape first, as the terminal shows it. No timestamps or host names: the
same record gives the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
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


def xml_safe(text: str) -> str:
    """The text with controls, and every character XML 1.0 cannot hold, as visible escapes.

    visible() escapes every C0 control but tab and newline, the noncharacters U+FFFE and
    U+FFFF and lone surrogates: all that XML 1.0 refuses. Markup characters are left to
    xml.etree, which escapes them, so ']]>' needs nothing (no CDATA is written).
    """
    return visible(text)


def _element(
    parent: ET.Element, tag: str, text: str | None = None, **attributes: str
) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {name: xml_safe(value) for name, value in attributes.items()}
    )
    if text is not None:
        element.text = xml_safe(text)
    return element


def render_junit(record: Evaluation, source: PurePath | None = None) -> str:
    """The record as a JUnit XML document (UTF-8, with declaration, one trailing newline)."""
    suite_name = f"techgate: {record.proposal.id}"
    classname = f"techgate.{record.proposal.id}"
    where = {} if source is None else {"file": source_path(source)}
    outcomes = [gate_outcome(gate) for gate in record.gates]
    failed = sum(o in (GateOutcome.BLOCKS, GateOutcome.WARNS) for o in outcomes)
    failures = failed + (record.decision is Decision.NO_GO)
    skipped = outcomes.count(GateOutcome.NOT_APPLICABLE) + outcomes.count(GateOutcome.WAIVED)
    counts = {"tests": str(len(record.gates) + 1), "failures": str(failures), "errors": "0"}
    # Jenkins' schema (junit-10.xsd) allows 'skipped' and 'file' on a <testsuite> only, not
    # on <testsuites> or <testcase>.
    root = ET.Element("testsuites", {"name": "techgate", **counts, "time": "0"})
    suite = _element(
        root, "testsuite", name=suite_name, **counts, skipped=str(skipped), time="0", **where
    )
    properties = _element(suite, "properties")
    for name, value in (
        ("decision", record.decision.value),
        ("score", f"{record.score:g}"),
        ("confidence", f"{record.confidence:g}"),
        ("proposal", record.proposal.title),
        ("pack", f"{record.pack.id} {record.pack.version}"),
        ("proposal_sha256", record.provenance.proposal_sha256),
        ("pack_sha256", record.provenance.pack_sha256),
        ("techgate_version", record.provenance.techgate_version),
    ):
        _element(properties, "property", name=name, value=value)
    for gate, outcome in zip(record.gates, outcomes, strict=True):
        case = _element(
            suite,
            "testcase",
            name=f"gate {gate_heading(gate)}",
            classname=f"{classname}.gates",
            time="0",
        )
        if outcome in (GateOutcome.BLOCKS, GateOutcome.WARNS):
            _element(
                case,
                "failure",
                gate_message(gate),
                message=gate.reason,
                type=gate.severity.value,
            )
        elif outcome is GateOutcome.NOT_APPLICABLE:
            _element(case, "skipped", message=f"not applicable: {gate.reason}")
        elif outcome is GateOutcome.WAIVED:
            message = waiver_message(gate)
            _element(case, "skipped", message, message=message.split("\n", 1)[0], type="waived")
    decision = _element(suite, "testcase", name="decision", classname=classname, time="0")
    if record.decision is Decision.NO_GO:
        _element(
            decision,
            "failure",
            decision_message(record),
            message=decision_heading(record),
            type=record.decision.value,
        )
    else:
        _element(decision, "system-out", decision_message(record))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
