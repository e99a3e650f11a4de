"""Moderation and spread bands: engine cases as data, properties, the command, the record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CASES, EXAMPLES, baseline, read_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import techgate
from techgate import api
from techgate.cli import cli
from techgate.errors import InvalidInputError
from techgate.loading import read_evaluation
from techgate.model import CriteriaPack
from techgate.model.evaluation import Evaluation, IndicatorResult
from techgate.model.moderation import assessments_sha256, panel_start
from techgate.model.proposal import Assessment
from techgate.render import OutputFormat, render

CASE_LIST = read_yaml(CASES / "moderation-cases.yaml")
LEVELS = {n: f"level {n}" for n in range(5)}


def mini_pack(policy: dict[str, Any] | None = None) -> CriteriaPack:
    indicators = [
        {"id": "i1", "title": "One", "question": "?", "levels": LEVELS},
        {"id": "i2", "title": "Two", "question": "?", "levels": LEVELS},
        {"id": "i3", "title": "Three", "question": "?", "levels": LEVELS, "allow_na": True},
    ]
    return CriteriaPack.model_validate(
        {
            "id": "mini",
            "title": "Minimal",
            "version": "1",
            "criteria": [{"id": "c", "title": "C", "question": "?", "indicators": indicators}],
            "policy": policy or {},
        }
    )


def assessments(answers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"assessor": name, "scores": scores} for name, scores in answers.items()]


def proposal_data(case: dict[str, Any]) -> dict[str, Any]:
    data = baseline()
    data["assessments"] = assessments(case["answers"])
    if "moderation" in case:
        block: dict[str, Any] = {"started": "2026-02-01", "scores": case["moderation"]}
        if "lock_on" in case:
            locked = [Assessment.model_validate(a) for a in assessments(case["lock_on"])]
            block["answers_sha256"] = assessments_sha256(locked)
        data["moderation"] = block
    return data


def indicator(record: Evaluation, key: str) -> IndicatorResult:
    return next(i for c in record.criteria for i in c.indicators if i.id == key)


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_case(case: dict[str, Any]) -> None:
    pack = mini_pack(case.get("policy"))
    data = proposal_data(case)
    if "problems" in case:
        with pytest.raises(InvalidInputError) as caught:
            api.evaluate(data, pack=pack)
        text = "\n".join(str(p) for p in caught.value.problems)
        for expected in case["problems"]:
            assert expected in text, text
        return
    record = api.evaluate(data, pack=pack)
    for key, expect in case["expect"].items():
        result = indicator(record, key)
        moderation = result.moderation
        for field, value in expect.items():
            if field == "band":
                assert result.spread_band == value
            elif field == "score":
                assert result.score == value
            elif field == "status":
                assert result.status.value == value
            elif field == "answers":
                assert [a.score for a in result.assessors] == value
            elif field == "moderation":
                assert moderation is None
            else:
                assert moderation is not None
                assert getattr(moderation, field) == value, field


def test_moderation_problems_are_located_at_their_line(tmp_path: Path) -> None:
    data = proposal_data({"answers": {"A": {"i1": 2}, "B": {"i1": 3}}, "moderation": {"i1": 4}})
    from ruamel.yaml import YAML

    path = tmp_path / "p.yaml"
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    with path.open("w") as handle:
        yaml.dump(data, handle)
    line = next(
        n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == "i1: 4"
    )
    with pytest.raises(InvalidInputError) as caught:
        api.load(path, pack=mini_pack())
    [problem] = caught.value.problems
    assert problem.line == line and problem.field == "moderation.scores.i1"


def test_the_record_tells_who_moderated_and_what_changed() -> None:
    data = proposal_data(
        {
            "answers": {"A": {"i1": 1, "i2": 3}, "B": {"i1": 3, "i2": 3}},
            "moderation": {"i1": {"score": 3, "comment": "Pilot data"}, "i2": 3},
        }
    )
    data["moderation"]["chair"] = "Chair Person"
    record = api.evaluate(data, pack=mini_pack())
    assert record.moderation is not None
    assert record.moderation.chair == "Chair Person"
    assert record.moderation.moderated == ("i1", "i2")
    assert record.moderation.changed == ("i1",)
    assert record.provenance.as_of.isoformat() == "2026-02-01"


def test_moderation_changes_the_score_and_one_answer_no_longer_flips_it() -> None:
    plain = {"answers": {"A": {"i1": 0, "i2": 4, "i3": 4}, "B": {"i1": 4, "i2": 4, "i3": 4}}}
    moderated = {**plain, "moderation": {"i1": {"score": 4, "comment": "Seen in production"}}}
    before = api.evaluate(proposal_data(plain), pack=mini_pack())
    after = api.evaluate(proposal_data(moderated), pack=mini_pack())
    assert indicator(before, "i1").score == 2.0 and indicator(after, "i1").score == 4.0
    assert after.score > before.score
    flips = [f for f in after.margin.flips if f.kind == "assessor"]
    assert not any(" on One " in f.change for f in flips)


@settings(max_examples=60, deadline=None)
@given(
    panel=st.lists(st.one_of(st.integers(0, 4), st.sampled_from(["n/a"])), min_size=1, max_size=7)
)
def test_starting_at_the_panel_median_needs_no_comment_and_scores_it(panel: list[Any]) -> None:
    answers = {f"A{n}": {"i3": answer} for n, answer in enumerate(panel)}
    start = panel_start([Assessment.model_validate(a) for a in assessments(answers)], "i3").start
    assert start is not None
    record = api.evaluate(
        proposal_data({"answers": answers, "moderation": {"i3": start}}), pack=mini_pack()
    )
    result = indicator(record, "i3")
    assert result.moderation is not None and not result.moderation.changed
    levels = sorted(a for a in panel if isinstance(a, int))
    if levels:
        # Never above the median, and less than a level below it.
        median = result.moderation.median
        assert median is not None and median - 1 < start <= median  # type: ignore[operator]
        assert result.score == float(start)
    else:
        assert result.status.value == "not-applicable"


@settings(max_examples=40, deadline=None)
@given(
    panel=st.lists(st.integers(0, 4), min_size=2, max_size=9),
    low=st.floats(0, 1),
    high=st.floats(0, 1),
)
def test_bands_follow_the_spread_and_the_thresholds(
    panel: list[int], low: float, high: float
) -> None:
    low, high = min(low, high), max(low, high)
    policy = {"spread_medium_from": low, "spread_high_above": high}
    answers = {f"A{n}": {"i1": answer} for n, answer in enumerate(panel)}
    record = api.evaluate(proposal_data({"answers": answers}), pack=mini_pack(policy))
    result = indicator(record, "i1")
    assert result.spread is not None
    width = result.spread / 4
    expected = "low" if width < low else "medium" if width <= high else "high"
    assert result.spread_band == expected


def test_band_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="spread_medium_from"):
        mini_pack({"spread_medium_from": 0.6, "spread_high_above": 0.5})


# --- the command -------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def panel(tmp_path: Path) -> Path:
    path = tmp_path / "panel.yaml"
    shutil.copyfile(EXAMPLES / "self-service-portal-panel.yaml", path)
    return path


def test_moderate_start_writes_medians_and_keeps_the_file(panel: Path) -> None:
    before = panel.read_text("utf-8")
    code, _, err = run("moderate", "start", str(panel), "--chair", "Ann", "--date", "2026-11-20")
    assert code == 0, err
    after = panel.read_text("utf-8")
    assert after.startswith(before)  # the block is added; nothing above it moves
    added = after[len(before) :]
    assert "moderation:\n  started: 2026-11-20\n  chair: Ann\n" in added
    assert "data-credibility: 2" in added and "# panel median 2" in added
    loaded = api.load(panel)
    moderation = loaded.proposal.moderation
    assert moderation is not None and len(moderation.scores) == 16
    # Odd panel: moderated answers at the median give the same score as before.
    record = api.evaluate(loaded)
    original = api.evaluate(EXAMPLES / "self-service-portal-panel.yaml")
    assert record.score == original.score
    assert record.moderation is not None and record.moderation.changed == ()


def test_moderate_start_twice_is_refused(panel: Path) -> None:
    assert run("moderate", "start", str(panel), "--date", "2026-11-20")[0] == 0
    before = panel.read_bytes()
    code, _, err = run("moderate", "start", str(panel))
    assert code == 2 and "moderation already started on 2026-11-20" in err
    assert panel.read_bytes() == before


def test_moderate_start_without_answers_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    text = (EXAMPLES / "callback-queue.yaml").read_text("utf-8")
    path.write_text(text.split("\nassessments:")[0] + "\n", "utf-8")
    code, _, err = run("moderate", "start", str(path))
    assert code == 2 and "has no assessments to moderate" in err


def test_a_moved_answer_without_comment_is_exit_2_at_its_line(panel: Path) -> None:
    assert run("moderate", "start", str(panel), "--date", "2026-11-20")[0] == 0
    text = panel.read_text("utf-8")
    moved = text.replace("    data-credibility: 2 ", "    data-credibility: 4 ")
    assert moved != text
    panel.write_text(moved, "utf-8")
    line = moved[: moved.index("    data-credibility: 4")].count("\n") + 1
    code, _, err = run("evaluate", str(panel))
    assert code == 2
    assert f"{panel}:{line}:" in err and "moderation.scores.data-credibility" in err
    panel.write_text(
        moved.replace(
            "    data-credibility: 4 ", "    data-credibility: {score: 4, comment: Register fixed} "
        ),
        "utf-8",
    )
    code, out, err = run("evaluate", str(panel), "-f", "json")
    assert code in (0, 3), err
    result = next(
        i
        for c in json.loads(out)["criteria"]
        for i in c["indicators"]
        if i["id"] == "data-credibility"
    )
    assert result["moderation"]["changed"] and result["moderation"]["comment"] == "Register fixed"
    assert result["score"] == 4.0
    assert [a["score"] for a in result["assessors"]] == [1, 4, 2]


def test_editing_an_answer_after_moderation_started_is_refused(panel: Path) -> None:
    assert run("moderate", "start", str(panel), "--date", "2026-11-20")[0] == 0
    text = panel.read_text("utf-8")
    panel.write_text(
        text.replace("      agent-workload: 4\n", "      agent-workload: 1\n"), "utf-8"
    )
    code, _, err = run("evaluate", str(panel))
    assert code == 2 and "the assessments changed after moderation started" in err


# --- reports and records ------------------------------------------------------


def _moderated_record(panel: Path) -> Evaluation:
    assert run("moderate", "start", str(panel), "--date", "2026-11-20")[0] == 0
    text = panel.read_text("utf-8").replace(
        "    data-credibility: 2 ", "    data-credibility: {score: 3, comment: Register fixed} "
    )
    panel.write_text(text, "utf-8")
    return api.evaluate(panel)


def test_reports_show_the_moderation_and_bands(panel: Path) -> None:
    record = _moderated_record(panel)
    markdown = render(record, OutputFormat.MARKDOWN)
    assert "Moderated on 2026-11-20" in markdown
    assert "Register fixed" in markdown
    html = api.render(record, ["html"])[api.DocumentFormat.HTML].decode()
    assert "Moderated on 2026-11-20" in html and "Register fixed" in html
    assert "spread-high" in html
    text = render(record, OutputFormat.TEXT, width=120)
    assert "Moderated on 2026-11-20" in text and "Register fixed" in text


def test_reports_without_moderation_say_nothing_of_it() -> None:
    record = api.evaluate(EXAMPLES / "self-service-portal-panel.yaml")
    assert record.moderation is None
    assert "Moderated on" not in render(record, OutputFormat.MARKDOWN)


def test_a_record_from_before_bands_and_moderation_reads(tmp_path: Path, panel: Path) -> None:
    record = json.loads(_moderated_record(panel).model_dump_json())
    record.pop("moderation")
    for criterion in record["criteria"]:
        for item in criterion["indicators"]:
            item.pop("spread_band")
            item.pop("moderation")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(record), "utf-8")
    old = read_evaluation(path)
    assert old.moderation is None
    assert all(i.spread_band is None for c in old.criteria for i in c.indicators)
    assert render(old, OutputFormat.MARKDOWN)


def test_a_moderated_record_reads_back_equal(tmp_path: Path, panel: Path) -> None:
    record = _moderated_record(panel)
    path = tmp_path / "record.json"
    path.write_text(record.model_dump_json(), "utf-8")
    assert read_evaluation(path).model_dump_json() == record.model_dump_json()
    assert techgate.evaluate  # the public API still exposes evaluate
