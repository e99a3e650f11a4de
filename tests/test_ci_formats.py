"""The CI formats (JUnit XML, SARIF 2.1.0, GitHub annotations): structure, escaping, exit codes.

Every example proposal in every CI format, each output read back the way its
reader reads it (an XML parser, the official SARIF schema, GitHub's own
escaping rules) and its structure compared with the record's gates.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path, PurePath
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_DECISIONS, EXAMPLES

from techgate import api
from techgate.cli import ExitCode, cli
from techgate.model.evaluation import Evaluation, GateStatus
from techgate.render import OutputFormat, render
from techgate.render.github import escape_data, escape_property
from techgate.render.sarif import DECISION_RULE

SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
CI_FORMATS = [f for f in OutputFormat if f.for_pipelines]
EXIT_FOR = {"go": 0, "conditional": 3, "no-go": 4}
SOURCE = PurePath("proposals/my proposal.yaml")


@cache
def record_of(example: str) -> Evaluation:
    return api.evaluate(EXAMPLES / f"{example}.yaml")


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def failed(record: Evaluation) -> list[str]:
    return [g.id for g in record.gates if g.status is GateStatus.FAILED]


def not_applicable(record: Evaluation) -> list[str]:
    return [g.id for g in record.gates if g.status is GateStatus.NOT_APPLICABLE]


# -- GitHub's workflow commands, read back as the runner reads them -------------------------

COMMAND = re.compile(
    r"^::(?P<command>error|warning|notice)(?: (?P<properties>[^:]*))?::(?P<message>.*)$"
)


def unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def annotations(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Each line as (command, properties, message); a line that is not a command fails."""
    assert text.endswith("\n")
    parsed = []
    for line in text[:-1].split("\n"):
        match = COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        properties = {}
        for pair in (match["properties"] or "").split(","):
            if pair:
                key, _, value = pair.partition("=")
                assert key in ("file", "title"), pair
                properties[key] = unescape_property(value)
        parsed.append((match["command"], properties, unescape_data(match["message"])))
    return parsed


# -- Jenkins' JUnit schema, as a structure check ---------------------------------------------

# Elements, their allowed attributes (required ones in the second set) and children, from
# the JUnit schema Jenkins' xunit plugin validates with (jenkinsci/xunit-plugin,
# src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd, MIT); no XSD
# validator is installed, so its rules for what techgate writes are restated here.
JUNIT_XSD: dict[str, tuple[set[str], set[str], set[str]]] = {
    "testsuites": ({"name", "time", "tests", "failures", "errors"}, set(), {"testsuite"}),
    "testsuite": (
        {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp"}
        | {"hostname", "id", "package", "file", "log", "url"},
        {"name", "tests", "failures", "errors"},
        {"testsuite", "properties", "testcase", "system-out", "system-err"},
    ),
    "properties": (set(), set(), {"property"}),
    "property": ({"name", "value"}, {"name", "value"}, set()),
    "testcase": (
        {"name", "time", "classname", "group"},
        {"name"},
        {"skipped", "error", "failure", "system-out", "system-err"},
    ),
    "failure": ({"type", "message"}, set(), set()),
    "skipped": ({"type", "message"}, set(), set()),
    "system-out": (set(), set(), set()),
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


def check_junit_schema(element: ET.Element) -> None:
    allowed, required, children = JUNIT_XSD[element.tag]
    assert set(element.attrib) <= allowed, (element.tag, set(element.attrib) - allowed)
    assert required <= set(element.attrib), (element.tag, required - set(element.attrib))
    if element.tag.startswith("testsuite") and "time" in element.attrib:
        assert SUREFIRE_TIME.fullmatch(element.attrib["time"])
    for child in element:
        assert child.tag in children, (element.tag, child.tag)
        check_junit_schema(child)
    if not children:
        assert len(element) == 0


# -- every example in every format ---------------------------------------------------------


@pytest.mark.parametrize("example", sorted(EXAMPLE_DECISIONS))
def test_junit_has_a_test_case_per_gate_and_one_for_the_decision(example: str) -> None:
    record = record_of(example)
    root = ET.fromstring(render(record, OutputFormat.JUNIT, source=SOURCE).encode("utf-8"))
    assert root.tag == "testsuites"
    check_junit_schema(root)
    (suite,) = root.findall("testsuite")
    assert suite.get("file") == "proposals/my proposal.yaml"
    cases = suite.findall("testcase")
    assert len(cases) == len(record.gates) + 1
    for case, gate in zip(cases, record.gates, strict=False):
        assert case.get("name", "").startswith(f"gate {gate.id}: ")
        assert case.get("classname") == f"techgate.{record.proposal.id}.gates"
        failure, skipped = case.find("failure"), case.find("skipped")
        if gate.status is GateStatus.FAILED:
            assert failure is not None and skipped is None
            assert failure.get("type") == gate.severity.value
            assert failure.get("message") == gate.reason
            assert gate.condition and gate.condition in (failure.text or "")
        elif gate.status is GateStatus.NOT_APPLICABLE:
            assert skipped is not None and failure is None
        else:
            assert failure is None and skipped is None
    decision = cases[-1]
    assert decision.get("name") == "decision"
    no_go = record.decision.value == "no-go"
    assert (decision.find("failure") is not None) is no_go
    if not no_go:
        out = decision.find("system-out")
        assert out is not None and (out.text or "").startswith(record.decision.value + ": ")
    # The counts a reader shows agree with the cases.
    counts = {"tests": len(cases), "failures": len(failed(record)) + no_go, "errors": 0}
    for element in (root, suite):
        assert {key: int(element.get(key, "-1")) for key in counts} == counts
    assert int(suite.get("skipped", "-1")) == len(not_applicable(record))
    assert sum(case.find("failure") is not None for case in cases) == counts["failures"]
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["decision"] == record.decision.value
    assert properties["proposal_sha256"] == record.provenance.proposal_sha256


@pytest.mark.parametrize("example", sorted(EXAMPLE_DECISIONS))
def test_sarif_is_valid_and_reports_each_failed_gate(example: str) -> None:
    record = record_of(example)
    log = json.loads(render(record, OutputFormat.SARIF, source=SOURCE))
    sarif_validator().validate(log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "techgate"
    assert [rule["id"] for rule in rules] == [g.id for g in record.gates] + [DECISION_RULE]
    assert all(rule["shortDescription"]["text"] and rule["help"]["text"] for rule in rules)
    by_gate = {g.id: g for g in record.gates}
    results = run["results"]
    gate_results = [r for r in results if r["ruleId"] != DECISION_RULE]
    assert [r["ruleId"] for r in gate_results] == failed(record)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        assert location["physicalLocation"]["artifactLocation"] == {
            "uri": "proposals/my%20proposal.yaml",
            "uriBaseId": "%SRCROOT%",
        }
    for result in gate_results:
        gate = by_gate[result["ruleId"]]
        assert result["level"] == ("error" if gate.severity.value == "no-go" else "warning")
        assert gate.reason in result["message"]["text"]
    decision = [r for r in results if r["ruleId"] == DECISION_RULE]
    expected = {"go": [], "conditional": ["warning"], "no-go": ["error"]}[record.decision.value]
    assert [r["level"] for r in decision] == expected
    assert run["properties"]["decision"] == record.decision.value


@pytest.mark.parametrize("example", sorted(EXAMPLE_DECISIONS))
def test_github_annotations_give_the_decision_then_each_failed_gate(example: str) -> None:
    record = record_of(example)
    parsed = annotations(render(record, OutputFormat.GITHUB, source=SOURCE))
    command, properties, message = parsed[0]
    expected = {"go": "notice", "conditional": "warning", "no-go": "error"}
    assert command == expected[record.decision.value]
    assert properties["file"] == "proposals/my proposal.yaml"
    assert record.decision.value.upper() in properties["title"]
    assert message.startswith(f"{record.decision.value}: {record.proposal.title}")
    gates = parsed[1:]
    assert [p["title"].split(":")[0] for _, p, _ in gates] == [f"gate {g}" for g in failed(record)]
    for (command, _, message), gate_id in zip(gates, failed(record), strict=True):
        gate = next(g for g in record.gates if g.id == gate_id)
        assert command == ("error" if gate.severity.value == "no-go" else "warning")
        assert message.startswith(gate.reason)


# -- hostile text -------------------------------------------------------------------------

HOSTILE = (
    '<b a="1">&amp; ]]> <![CDATA[x]]> \x00\x01\x08\x0b\x0c\x1b[31m\x7f\x85 '
    "\u202eevil\u202c \u2066x\u2069 \u200f \u2028 \ufeff \ud800 \ufffe \uffff "
    "100% a,b:c :: \r\n::error file=x::injected\n%0A%25 \t end"
)


@cache
def hostile_record() -> Evaluation:
    """A real no-go record whose every free text is hostile."""
    record = record_of("chatbot-no-human")
    gates = tuple(
        gate.model_copy(
            update={
                "title": HOSTILE,
                "reason": HOSTILE,
                "condition": HOSTILE if gate.condition else None,
                "missing_facts": (HOSTILE,) if gate.missing_facts else (),
            }
        )
        for gate in record.gates
    )
    proposal = record.proposal.model_copy(update={"title": HOSTILE})
    return record.model_copy(update={"gates": gates, "proposal": proposal})


def test_hostile_text_never_breaks_the_xml() -> None:
    record = hostile_record()
    text = render(record, OutputFormat.JUNIT, source=PurePath("a&b<c>.yaml"))
    root = ET.fromstring(text.encode("utf-8"))  # XML 1.0 with nothing it refuses
    check_junit_schema(root)
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(record.gates) + 1
    assert len(suite.findall("testcase/failure")) == len(failed(record)) + 1
    assert suite.get("file") == "a&b<c>.yaml"
    failure = suite.find("testcase/failure")
    assert failure is not None
    message, body = failure.get("message", ""), failure.text or ""
    # Markup survives as text; controls and bidi are shown, not obeyed.
    for shown in ('<b a="1">&amp; ]]> <![CDATA[x]]>', "\\x1b[31m", "\\u202eevil", "\\ud800"):
        assert shown in message and shown in body
    assert "\u202e" not in text and "\x1b" not in text and "\x00" not in text
    assert "100% a,b:c" in message and "\t end" in message


def test_hostile_text_never_breaks_the_annotations() -> None:
    record = hostile_record()
    source = PurePath("dir,with:odd%name.yaml")
    text = render(record, OutputFormat.GITHUB, source=source)
    parsed = annotations(text)  # every line a command, with only file= and title=
    assert len(parsed) == 1 + len(failed(record))
    assert all(props["file"] == "dir,with:odd%name.yaml" for _, props, _ in parsed)
    _, props, message = parsed[1]
    assert props["title"].startswith("gate human-route: <b a=")
    assert "a,b:c :: \\r" in props["title"] and "%0A%25" in props["title"]
    assert "\\x1b[31m" in message and "\\u202eevil" in message
    # The hostile '::error' stays inside its message: no line of its own.
    assert not any(line.startswith("::error file=x") for line in text.splitlines())


def test_hostile_text_keeps_the_sarif_valid() -> None:
    record = hostile_record()
    text = render(record, OutputFormat.SARIF, source=PurePath("a b/c:d.yaml"))
    assert "\u202e" not in text and "\ud800" not in text
    log = json.loads(text)
    sarif_validator().validate(log)
    (run,) = log["runs"]
    assert len(run["results"]) == len(failed(record)) + 1
    assert "\\u202eevil" in run["results"][0]["message"]["text"]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "a%20b/c%3Ad.yaml"
    text.encode("utf-8")  # nothing left that UTF-8 cannot carry


@pytest.mark.parametrize(
    ("raw", "data", "property_value"),
    [
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k:v,w", "k:v,w", "k%3Av%2Cw"),
        ("%3A", "%253A", "%253A"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_github_escaping_is_githubs(raw: str, data: str, property_value: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == property_value
    assert unescape_property(escape_property(raw)) == raw


# -- the same bytes, the same exit codes ------------------------------------------------------


@pytest.mark.parametrize("output_format", CI_FORMATS)
def test_the_same_inputs_give_the_same_bytes(output_format: OutputFormat) -> None:
    first = render(api.evaluate(EXAMPLES / "voicebot-projected-savings.yaml"), output_format)
    second = render(api.evaluate(EXAMPLES / "voicebot-projected-savings.yaml"), output_format)
    assert first.encode("utf-8") == second.encode("utf-8")


def test_without_a_source_no_file_is_named() -> None:
    record = record_of("chatbot-no-human")
    assert "file=" not in render(record, OutputFormat.GITHUB)
    assert "file=" not in render(record, OutputFormat.JUNIT)
    log = json.loads(render(record, OutputFormat.SARIF))
    sarif_validator().validate(log)
    assert all("locations" not in r for r in log["runs"][0]["results"])


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("output_format", CI_FORMATS)
@pytest.mark.parametrize("example", ["callback-queue", "crm-consolidation", "chatbot-no-human"])
def test_one_exit_code_table_across_formats_and_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: str, output_format: OutputFormat
) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    path = f"examples/{example}.yaml"
    code, out, _ = run("evaluate", path, "--format", output_format.value)
    assert code == EXIT_FOR[EXAMPLE_DECISIONS[example]]
    written = tmp_path / "report"
    code_o, out_o, _ = run("evaluate", path, "-f", output_format.value, "-o", str(written))
    assert code_o == code and out_o == ""
    # The file and the terminal get the same bytes.
    assert written.read_bytes() == out.encode("utf-8")
    # The proposal is named as given (relative to where the pipeline runs), except by a
    # SARIF log of a go, which has no result to place.
    silent = output_format is OutputFormat.SARIF and code == 0
    assert (path in out) is not silent


def test_an_absolute_path_is_a_file_uri() -> None:
    record = record_of("chatbot-no-human")
    log = json.loads(render(record, OutputFormat.SARIF, source=PurePath("/srv/repo/p q.yaml")))
    sarif_validator().validate(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "file:///srv/repo/p%20q.yaml"}


def test_a_folder_gets_the_formats_suffix(tmp_path: Path) -> None:
    for output_format in CI_FORMATS:
        code, _, err = run(
            "evaluate",
            str(EXAMPLES / "callback-queue.yaml"),
            "-f",
            output_format.value,
            "-o",
            str(tmp_path),
        )
        assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"callback-queue{f.suffix}" for f in CI_FORMATS
    )


def test_compare_does_not_offer_the_ci_formats() -> None:
    vendors = EXAMPLES / "procurement"
    code, _, err = run(
        "compare", str(vendors / "vendor-a.yaml"), str(vendors / "vendor-b.yaml"), "-f", "junit"
    )
    assert code == 2
    assert "'junit' is not one of" in err


# -- waived gates: a notice in every format, never a pass ---------------------------------------


def waiver_of(gate: str, proposal: str, number: int = 1, text: str = "pilot only") -> Any:
    from techgate.model.waiver import Waiver

    return Waiver.trusted(
        id=number,
        proposal_id=proposal,
        gate_id=gate,
        owner=f"owner {text}",
        reason=f"reason {text}",
        ticket=f"CHG-{number}",
        expires=dt.date(2099, 12, 31),
        condition=f"condition {text}",
        requested_by="requester",
        granted_by=f"approver {text}",
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        revocation=None,
    )


@cache
def waived_record(text: str = "pilot only") -> Evaluation:
    """voicebot-projected-savings with its no-go gate and one conditional gate waived."""
    loaded = api.load(EXAMPLES / "voicebot-projected-savings.yaml")
    waivers = [
        waiver_of("cuts-on-measured-benefits", loaded.proposal.id, 7, text),
        waiver_of("service-led", loaded.proposal.id, 8, text),
    ]
    return api.evaluate(loaded, waivers=waivers)


def waived(record: Evaluation) -> list[str]:
    return [g.id for g in record.gates if g.status is GateStatus.WAIVED]


def test_a_waived_gate_is_a_skipped_junit_case_naming_its_waiver() -> None:
    record = waived_record()
    assert waived(record) == ["service-led", "cuts-on-measured-benefits"]
    root = ET.fromstring(render(record, OutputFormat.JUNIT, source=SOURCE).encode("utf-8"))
    check_junit_schema(root)
    (suite,) = root.findall("testsuite")
    cases = {c.get("name", "").split(":")[0]: c for c in suite.findall("testcase")}
    for gate_id, number in (("service-led", 7 + 1), ("cuts-on-measured-benefits", 7)):
        case = cases[f"gate {gate_id}"]
        assert case.find("failure") is None
        skipped = case.find("skipped")
        assert skipped is not None and skipped.get("type") == "waived"
        assert skipped.get("message", "").startswith(f"waived by waiver {number} (ticket CHG-")
        assert "2099-12-31" in (skipped.text or "") and "condition pilot only" in (
            skipped.text or ""
        )
    assert int(suite.get("skipped", "-1")) == len(not_applicable(record)) + 2
    assert int(suite.get("failures", "-1")) == len(failed(record))
    assert record.decision.value == "conditional"


def test_a_waived_gate_is_a_sarif_note_with_an_external_suppression() -> None:
    record = waived_record()
    log = json.loads(render(record, OutputFormat.SARIF, source=SOURCE))
    sarif_validator().validate(log)
    (run,) = log["runs"]
    gate_results = {r["ruleId"]: r for r in run["results"] if r["ruleId"] != DECISION_RULE}
    assert sorted(gate_results) == sorted(failed(record) + waived(record))
    note = gate_results["cuts-on-measured-benefits"]
    assert note["level"] == "note"
    (suppression,) = note["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == "reason pilot only"
    assert suppression["properties"] == {
        "waiver": 7,
        "ticket": "CHG-7",
        "owner": "owner pilot only",
        "grantedBy": "approver pilot only",
        "expires": "2099-12-31",
        "condition": "condition pilot only",
    }
    for rule, result in gate_results.items():
        assert ("suppressions" in result) is (rule in waived(record))


def test_a_waived_gate_is_a_github_notice() -> None:
    record = waived_record()
    parsed = annotations(render(record, OutputFormat.GITHUB, source=SOURCE))
    assert parsed[0][0] == "warning"  # the decision: conditional
    assert "Waived gates" in parsed[0][2]
    notices = [(p["title"], m) for c, p, m in parsed[1:] if c == "notice"]
    assert [t.split(":")[0] for t, _ in notices] == [f"gate {g}" for g in waived(record)]
    assert all(t.endswith("(waived)") and m.startswith("waived by waiver") for t, m in notices)
    assert [c for c, _, _ in parsed[1:] if c != "notice"] == ["warning"] * len(failed(record))


def test_hostile_waiver_text_stays_inside_every_format() -> None:
    record = waived_record(HOSTILE)
    root = ET.fromstring(render(record, OutputFormat.JUNIT).encode("utf-8"))
    check_junit_schema(root)
    log = json.loads(render(record, OutputFormat.SARIF))
    sarif_validator().validate(log)
    text = render(record, OutputFormat.GITHUB)
    annotations(text)
    assert not any(line.startswith("::error file=x") for line in text.splitlines())
    for rendered in (render(record, f) for f in CI_FORMATS):
        assert "\u202e" not in rendered and "\x1b" not in rendered


@pytest.mark.parametrize("output_format", CI_FORMATS)
def test_the_exit_code_follows_the_waived_decision(
    tmp_path: Path, output_format: OutputFormat
) -> None:
    from techgate.model.waiver import WaiverList
    from techgate.render.json import json_text

    path = str(EXAMPLES / "voicebot-projected-savings.yaml")
    file = tmp_path / "waivers.json"
    file.write_text(
        json_text(
            WaiverList.trusted(
                waivers=(waiver_of("cuts-on-measured-benefits", "voicebot-projected-savings"),)
            )
        ),
        encoding="utf-8",
    )
    assert run("evaluate", path, "-f", output_format.value)[0] == ExitCode.NO_GO
    code, out, err = run("evaluate", path, "-f", output_format.value, "--waivers", str(file))
    assert code == ExitCode.CONDITIONAL, err
    assert "waived by waiver 1" in out
