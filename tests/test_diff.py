"""techgate diff: what changed between two decision records, through the API and the CLI."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techgate import api
from techgate.cli import ExitCode, cli
from techgate.errors import InvalidInputError
from techgate.model.diff import RecordDiff
from techgate.model.evaluation import Evaluation

CRM = EXAMPLES / "crm-consolidation.yaml"  # conditional
CALLBACK = EXAMPLES / "callback-queue.yaml"  # go


@cache
def loaded(path: Path) -> api.Loaded:
    return api.load(path)


@cache
def record(path: Path) -> Evaluation:
    return api.evaluate(loaded(path))


def with_answer(path: Path, assessor: int, indicator: str, score: int | str | None) -> Evaluation:
    base = loaded(path)
    name = base.proposal.assessments[assessor].assessor
    changed = api.proposal_with_answer(base.proposal, name, indicator, score)
    return api.evaluate(changed, pack=base.pack)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- cases: a change to an example proposal or its pack, and what the diff must say ------


def test_a_record_against_itself_is_empty() -> None:
    same = api.diff_records(record(CRM), record(CRM))
    assert same.nothing_changed and not same.decision_changed
    assert same.direction == "same"
    assert not (same.gates or same.indicators or same.criteria)
    assert {c.state for c in same.conditions} == {"open"}
    assert same.score.delta == same.confidence.delta == same.coverage.delta == 0
    assert same.summary.startswith("Nothing changed")


def test_a_lowered_answer_that_fails_a_gate() -> None:
    before = record(CRM)
    after = with_answer(CRM, 0, "availability", 0)
    diff = api.diff_records(before, after)
    assert (diff.before.decision.value, diff.after.decision.value) == ("conditional", "no-go")
    assert diff.decision_changed and diff.direction == "worse"
    assert diff.proposal_changed and not diff.pack_changed and diff.pack_relation == "same"
    assert diff.score.delta == round(after.score - before.score, 2) < 0
    [gate] = diff.gates
    assert (gate.id, gate.before, gate.after) == ("reliability-floor", "passed", "failed")
    assert gate.title == "Reliability is at least adequate"
    [indicator] = diff.indicators
    assert indicator.id == "availability" and indicator.changed == ("score", "answers")
    [answer] = indicator.answers
    assert answer.before is not None and answer.after is not None
    assert (answer.before.score, answer.after.score) == (3, 0)
    states = {c.source: c.state for c in diff.conditions}
    assert states["reliability-floor"] == "new"
    assert "worsened from conditional to no-go" in diff.summary


def test_conditions_met_when_the_proposal_goes() -> None:
    before, after = record(CRM), record(CALLBACK)
    diff = api.diff_records(before, after)
    assert diff.direction == "better" and not diff.same_proposal
    assert {c.state for c in diff.conditions} == {"met"}
    assert [c.source for c in diff.conditions] == [c.source for c in before.conditions]
    assert "two proposals" in diff.summary


def test_an_answer_withdrawn_makes_a_gap_and_is_listed_as_removed() -> None:
    after = with_answer(CRM, 0, "availability", None)
    diff = api.diff_records(record(CRM), after)
    [indicator] = [i for i in diff.indicators if i.id == "availability"]
    [answer] = indicator.answers
    assert answer.after is None and answer.before is not None
    assert "answers" in indicator.changed


def test_a_changed_pack_policy_is_said() -> None:
    base = loaded(CRM)
    laxer = api.pack_with(base.pack, policy={"go_threshold": 60})
    diff = api.diff_records(record(CRM), api.evaluate(base.proposal, pack=laxer))
    assert diff.pack_relation == "changed" and diff.pack_changed
    assert not diff.proposal_changed and not diff.pack_version_changed
    assert diff.before.pack_sha256 != diff.after.pack_sha256
    assert "The pack contact-centre changed" in diff.summary


def test_records_of_different_packs_are_matched_by_id_and_say_so() -> None:
    base = loaded(CRM)
    other = base.pack.model_copy(update={"id": "contact-centre-eu", "version": "9.0.0"})
    diff = api.diff_records(record(CRM), api.evaluate(base.proposal, pack=other))
    assert diff.pack_relation == "different" and diff.pack_version_changed
    assert "different packs" in diff.summary and "where their ids match" in diff.summary
    # The same criteria under another pack id: nothing to list beyond the pack.
    assert not (diff.gates or diff.indicators or diff.criteria)


def _without(data: dict[str, Any], gate: str, criterion: str) -> Evaluation:
    data = json.loads(json.dumps(data))
    data["gates"] = [g for g in data["gates"] if g["id"] != gate]
    data["criteria"] = [c for c in data["criteria"] if c["id"] != criterion]
    return Evaluation.model_validate(data)


def test_what_only_one_record_has_is_added_or_removed() -> None:
    full = record(CRM)
    gate, criterion = full.gates[0], full.criteria[-1]
    partial = _without(full.model_dump(mode="json"), gate.id, criterion.id)
    diff = api.diff_records(full, partial)
    removed_gate = next(g for g in diff.gates if g.id == gate.id)
    assert (removed_gate.before, removed_gate.after) == (gate.status, None)
    assert diff.gates[-1].id == gate.id  # removed ones last
    removed = {i.id for i in diff.indicators if i.changed == ("removed",)}
    assert removed == {i.id for i in criterion.indicators}
    back = api.diff_records(partial, full)
    assert {i.id for i in back.indicators if i.changed == ("added",)} == removed
    assert next(c for c in back.criteria if c.id == criterion.id).presence == "added"


# -- properties ----------------------------------------------------------------------------

INDICATORS = sorted(loaded(CRM).proposal.assessments[0].scores)
CHANGES = st.tuples(
    st.sampled_from([CRM, CALLBACK]),
    st.integers(0, 1),
    st.sampled_from(INDICATORS),
    st.one_of(st.integers(0, 4), st.sampled_from(["n/a", None])),
)


def changed(change: tuple[Path, int, str, int | str | None]) -> Evaluation:
    path, assessor, indicator, score = change
    base = loaded(path)
    if assessor >= len(base.proposal.assessments) or indicator not in {
        i.id for c in base.pack.criteria for i in c.indicators
    }:
        return record(path)
    try:
        return with_answer(path, assessor, indicator, score)
    except InvalidInputError:  # an answer the pack refuses here: no change
        return record(path)


def mirrored(diff: RecordDiff) -> dict[str, Any]:
    """The diff of the records the other way round, as a dict without its summary."""
    data = diff.model_dump(mode="json")
    data.pop("summary")
    data["before"], data["after"] = data["after"], data["before"]
    data["direction"] = {"better": "worse", "worse": "better", "same": "same"}[data["direction"]]
    for name in ("score", "confidence", "coverage"):
        figure = data[name]
        figure["before"], figure["after"] = figure["after"], figure["before"]
        figure["delta"] = -figure["delta"] + 0.0
    for gate in data["gates"]:
        gate["before"], gate["after"] = gate["after"], gate["before"]
        gate["reason_before"], gate["reason_after"] = gate["reason_after"], gate["reason_before"]
    for criterion in data["criteria"]:
        for a, b in (
            ("score_before", "score_after"),
            ("weight_share_before", "weight_share_after"),
        ):
            criterion[a], criterion[b] = criterion[b], criterion[a]
        criterion["presence"] = {"both": "both", "added": "removed", "removed": "added"}[
            criterion["presence"]
        ]
    for indicator in data["indicators"]:
        indicator["before"], indicator["after"] = indicator["after"], indicator["before"]
        indicator["changed"] = [
            {"added": "removed", "removed": "added"}.get(a, a) for a in indicator["changed"]
        ]
        for answer in indicator["answers"]:
            answer["before"], answer["after"] = answer["after"], answer["before"]
    for condition in data["conditions"]:
        condition["before"], condition["after"] = condition["after"], condition["before"]
        condition["state"] = {"met": "new", "new": "met", "open": "open"}[condition["state"]]
    return data


def comparable(diff: RecordDiff) -> dict[str, Any]:
    """The diff as a dict without its summary, its lists in an order that does not depend on
    which record came first."""
    data = diff.model_dump(mode="json")
    data.pop("summary")
    for key in ("gates", "criteria", "indicators", "conditions"):
        data[key] = sorted(data[key], key=lambda item: item.get("id") or item.get("source"))
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES)
def test_a_record_against_itself_is_always_empty(change: Any) -> None:
    one = changed(change)
    assert api.diff_records(one, one).nothing_changed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES, CHANGES)
def test_the_diff_backwards_is_the_mirror_image(first: Any, second: Any) -> None:
    a, b = changed(first), changed(second)
    forwards, backwards = api.diff_records(a, b), api.diff_records(b, a)
    mirror = mirrored(forwards)
    for key in ("gates", "criteria", "indicators", "conditions"):
        mirror[key] = sorted(mirror[key], key=lambda item: item.get("id") or item.get("source"))
    assert mirror == comparable(backwards)
    assert forwards.nothing_changed == backwards.nothing_changed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES, CHANGES)
def test_everything_listed_really_differs_and_nothing_is_missed(first: Any, second: Any) -> None:
    a, b = changed(first), changed(second)
    diff = api.diff_records(a, b)
    gates_a = {g.id: g.status for g in a.gates}
    gates_b = {g.id: g.status for g in b.gates}
    assert {g.id for g in diff.gates} == {k for k in gates_a if gates_a[k] != gates_b.get(k)}
    for gate in diff.gates:
        assert gate.before != gate.after
    rows_a = {i.id: i for c in a.criteria for i in c.indicators}
    rows_b = {i.id: i for c in b.criteria for i in c.indicators}
    differing = {
        key
        for key in rows_a
        if (
            rows_a[key].score,
            rows_a[key].status,
            rows_a[key].assessors,
            rows_a[key].evidence_strength,
        )
        != (
            rows_b[key].score,
            rows_b[key].status,
            rows_b[key].assessors,
            rows_b[key].evidence_strength,
        )
    }
    assert {i.id for i in diff.indicators} == differing
    for indicator in diff.indicators:
        assert indicator.before != indicator.after or indicator.answers
    assert diff.decision_changed == (a.decision != b.decision)
    assert diff.nothing_changed == (a == b)


# -- renderers -----------------------------------------------------------------------------


def test_every_format_renders_the_same_bytes_twice() -> None:
    diff = api.diff_records(record(CRM), with_answer(CRM, 0, "availability", 0))
    for output_format in ("text", "json", "markdown"):
        first = api.render_diff(diff, output_format)
        assert first == api.render_diff(diff, output_format)
        assert "Reliability is at least adequate" in first
    assert RecordDiff.model_validate_json(api.render_diff(diff, "json")) == diff


def test_reports_gain_the_section_only_when_given_a_previous_record() -> None:
    after = with_answer(CRM, 0, "availability", 0)
    plain = api.render(after, ["md", "html"])
    since = api.render(after, ["md", "html"], previous=record(CRM))
    heading = "What changed since the last evaluation"
    assert heading not in plain["md"].decode() and heading not in plain["html"].decode()
    assert "## What changed since the last evaluation" in since["md"].decode()
    assert "### Gates whose status changed" in since["md"].decode()
    assert f"<h2>{heading}</h2>" in since["html"].decode()
    # The rest of the report is the report.
    assert plain["md"].decode().splitlines()[0] == since["md"].decode().splitlines()[0]


HOSTILE = "<script>alert(1)</script> **bold** [link](https://evil.example) @team #12"


def _hostile(data: dict[str, Any]) -> Evaluation:
    data = json.loads(json.dumps(data))
    data["proposal"]["title"] = HOSTILE
    data["gates"][0]["title"] = HOSTILE
    data["gates"][0]["status"] = "failed" if data["gates"][0]["status"] != "failed" else "passed"
    data["conditions"].append({"source": "x-gate", "text": HOSTILE})
    data["criteria"][0]["indicators"][0]["title"] = HOSTILE
    data["criteria"][0]["indicators"][0]["score"] = None
    data["criteria"][0]["indicators"][0]["status"] = "gap"
    return Evaluation.model_validate(data)


def test_markup_in_titles_stays_inert_in_markdown_and_html() -> None:
    before = record(CRM)
    after = _hostile(before.model_dump(mode="json"))
    diff = api.diff_records(before, after)
    markdown = api.render_diff(diff, "markdown")
    reports = api.render(after, ["md", "html"], previous=before)
    for text in (markdown, reports["md"].decode()):
        assert "<script>" not in text and "**bold**" not in text and "[link](" not in text
        assert "&lt;script&gt;" in text and "\\*\\*bold\\*\\*" in text
    html = reports["html"].decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- the command line ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("records")
    files = {}
    for name, evaluation in (
        ("crm", record(CRM)),
        ("crm-worse", with_answer(CRM, 0, "availability", 0)),
        ("callback", record(CALLBACK)),
    ):
        files[name] = folder / f"{name}.json"
        files[name].write_bytes(api.render(evaluation, ["json"])["json"])
    return files


def test_diff_exit_codes_follow_the_decision(saved: dict[str, Path]) -> None:
    code, out, _ = run("diff", str(saved["crm"]), str(saved["crm"]))
    assert code == ExitCode.GO == 0 and "Nothing changed" in out
    code, out, _ = run("diff", str(saved["crm"]), str(saved["callback"]))
    assert code == ExitCode.DECISION_BETTER == 5 and "CONDITIONAL → GO (BETTER)" in out
    code, _, _ = run("diff", str(saved["crm"]), str(saved["crm-worse"]), "-f", "json")
    assert code == ExitCode.DECISION_WORSE == 6


def test_diff_formats_and_output_file(saved: dict[str, Path], tmp_path: Path) -> None:
    code, out, _ = run("diff", str(saved["crm"]), str(saved["crm-worse"]), "-f", "json")
    assert json.loads(out)["gates"][0]["after"] == "failed"
    target = tmp_path / "changes.md"
    code, out, err = run(
        "diff", str(saved["crm"]), str(saved["crm-worse"]), "-f", "markdown", "-o", str(target)
    )
    assert code == 6 and out == "" and f"wrote {target}" in err
    assert target.read_text().startswith("# What changed: ")


def test_diff_of_invalid_records_says_both_and_exits_2(
    saved: dict[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"decision": "maybe"}')
    code, out, err = run("diff", str(bad), str(tmp_path / "missing.json"))
    assert code == ExitCode.INVALID and out == ""
    assert "bad.json" in err and "missing.json" in err and "Traceback" not in err
    code, _, err = run("diff", str(saved["crm"]), str(saved["crm"]), "-o", str(saved["crm"]))
    assert code == ExitCode.INVALID  # an input is never overwritten
    assert json.loads(saved["crm"].read_text())["decision"] == "conditional"


def test_report_and_evaluate_since_add_the_section(saved: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    code, _, err = run(
        "report", str(saved["crm-worse"]), "--md", str(md), "--since", str(saved["crm"])
    )
    assert code == ExitCode.NO_GO, err
    assert "## What changed since the last evaluation" in md.read_text()
    html = tmp_path / "now.html"
    code, _, err = run(
        "evaluate", str(CALLBACK), "--html", str(html), "--since", str(saved["crm"]), "-f", "json"
    )
    assert code == ExitCode.GO, err
    assert "What changed since the last evaluation" in html.read_text()
    code, _, err = run("evaluate", str(CALLBACK), "--since", str(saved["crm"]))
    assert code == ExitCode.INVALID and "--since" in err
    code, _, err = run(
        "report", str(saved["crm"]), "--md", str(md), "--since", str(tmp_path / "nope.json")
    )
    assert code == ExitCode.INVALID and "nope.json" in err
