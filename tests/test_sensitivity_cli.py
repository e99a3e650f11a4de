"""--sensitivity through the command line, the record (old and new layouts) and the views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from techgate import api
from techgate.cli import ExitCode, cli
from techgate.model.evaluation import Decision, Evaluation, SensitivityRequest, WeightSwing
from techgate.render.charts import tornado_chart
from techgate.render.sensitivity_view import WeightRange, weight_ranges
from techgate.render.text import render_text

SPEECH = str(EXAMPLES / "speech-analytics-savings.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_block_states_samples_seed_and_concentration() -> None:
    code, out, err = run(
        "evaluate", SPEECH, "-f", "json", "--sensitivity", "--samples", "500", "--seed", "4",
        "--concentration", "30",
    )  # fmt: skip
    assert code == ExitCode.CONDITIONAL, err
    record = json.loads(out)
    block = record["sensitivity"]
    assert (block["samples"], block["seed"], block["concentration"]) == (500, 4, 30.0)
    assert record["provenance"]["record_schema"] == 3
    assert [w["criterion"] for w in block["weights"]] == [c["id"] for c in record["criteria"]]
    motive = next(w for w in block["weights"] if w["criterion"] == "motive")
    assert motive["up"] == 21.06 and motive["up_to"] == "no-go"


def test_the_same_seed_gives_the_same_bytes() -> None:
    args = ("evaluate", SPEECH, "-f", "json", "--sensitivity", "--samples", "2000", "--seed", "9")
    assert run(*args)[1] == run(*args)[1]


def test_without_the_flag_there_is_no_block() -> None:
    code, out, _ = run("evaluate", SPEECH, "-f", "json")
    assert code == ExitCode.CONDITIONAL
    assert json.loads(out)["sensitivity"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--samples", "100"), "--samples means nothing without --sensitivity"),
        (("--seed", "1", "--concentration", "5"), "--seed, --concentration mean nothing"),
        (("--sensitivity", "--samples", "0"), "--samples"),
        (("--sensitivity", "--concentration", "0"), "--concentration"),
        (("--sensitivity", "--seed", "-1"), "--seed"),
    ],
)
def test_sensitivity_options_out_of_place_or_range_are_usage_errors(
    args: tuple[str, ...], message: str
) -> None:
    code, _, err = run("evaluate", SPEECH, *args)
    assert code == 2
    assert message in err


def test_text_view_has_a_short_section() -> None:
    code, out, _ = run("evaluate", SPEECH, "--sensitivity", "--samples", "300", "--width", "120")
    assert code == ExitCode.CONDITIONAL
    assert "Sensitivity: The decision (conditional) holds for" in out
    assert "Criterion weight shares that keep the decision" in out
    assert "Security" in out and "−3 → no-go" in out
    assert out.index("Sensitivity:") < out.index("Failed gates")


def _without_layout_3(record: dict[str, object]) -> dict[str, object]:
    old = dict(record)
    old.pop("sensitivity")
    old["provenance"] = {**old["provenance"], "record_schema": 2}  # type: ignore[dict-item]
    return old


def test_a_layout_2_record_still_reads_and_renders_as_before(tmp_path: Path) -> None:
    code, out, _ = run("evaluate", SPEECH, "-f", "json", "--md", str(tmp_path / "new.md"))
    assert code == ExitCode.CONDITIONAL
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_without_layout_3(json.loads(out))), encoding="utf-8")
    code, _, err = run("report", str(old), "--md", str(tmp_path / "old.md"))
    assert code == ExitCode.CONDITIONAL, err
    assert (tmp_path / "old.md").read_bytes() == (tmp_path / "new.md").read_bytes()
    record = api.read_record(old)
    assert record.sensitivity is None and record.provenance.record_schema == 2


def test_report_renders_a_saved_block_with_its_tornado(tmp_path: Path) -> None:
    saved = tmp_path / "record.json"
    code, _, _ = run("evaluate", SPEECH, "--sensitivity", "--samples", "200", "--json", str(saved))
    assert code == ExitCode.CONDITIONAL
    code, _, err = run(
        "report", str(saved), "--html", str(tmp_path / "r.html"), "--md", str(tmp_path / "r.md")
    )
    assert code == ExitCode.CONDITIONAL, err
    html = (tmp_path / "r.html").read_text("utf-8")
    markdown = (tmp_path / "r.md").read_text("utf-8")
    assert html.count('class="chart tornado"') == 1
    assert "What would change it: sensitivity" in html
    assert "| Motive and measures | 13.33 % | 0.00 % | 34.38 % | above: no-go |" in markdown
    assert "| Security | 4 | — | −3 → no-go |" in markdown


def _with_hostile_titles(record: Evaluation) -> Evaluation:
    block = record.sensitivity
    assert block is not None
    hostile = '<script>alert(1)</script> | **x** & "q"'
    weights = tuple(w.model_copy(update={"title": hostile}) for w in block.weights)
    return record.model_copy(update={"sensitivity": block.model_copy(update={"weights": weights})})


def test_titles_in_the_chart_and_tables_are_escaped() -> None:
    record = api.evaluate(SPEECH, sensitivity=SensitivityRequest(samples=100))
    documents = api.render(_with_hostile_titles(record), ["html", "md"])
    html = documents[api.DocumentFormat.HTML].decode()
    markdown = documents[api.DocumentFormat.MARKDOWN].decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "| <script>" not in markdown and "\\| \\*\\*x\\*\\*" in markdown


def test_the_tornado_is_deterministic_and_draws_each_range() -> None:
    record = api.evaluate(SPEECH, sensitivity=SensitivityRequest(samples=100))
    assert record.sensitivity is not None
    ranges = weight_ranges(record.sensitivity)
    first, second = tornado_chart(ranges), tornado_chart(weight_ranges(record.sensitivity))
    assert str(first) == str(second)
    assert str(first).count("<rect") == len(ranges)
    # Narrowest range first: motive (0-34.38 %) leads.
    assert ranges[0].id == "motive" and ranges[0].high == 34.38
    assert str(tornado_chart(())) == ""


def test_weight_ranges_run_to_the_last_share_that_keeps_the_decision() -> None:
    swing = WeightSwing.trusted(
        criterion="c",
        title="C",
        share=0.25,
        up=10.0,
        up_to=Decision.NO_GO,
        down=25.0,
        down_to=Decision.GO,
    )
    block = api.evaluate(SPEECH, sensitivity=SensitivityRequest(samples=10)).sensitivity
    assert block is not None
    (only,) = weight_ranges(block.model_copy(update={"weights": (swing,)}))
    assert only == WeightRange("c", "C", 25.0, 0.01, 34.99, Decision.GO, Decision.NO_GO)


def test_plain_text_view_of_a_record_without_a_block_is_unchanged_by_it() -> None:
    record = api.evaluate(SPEECH)
    with_block = api.evaluate(SPEECH, sensitivity=SensitivityRequest(samples=10))
    plain, extended = render_text(record), render_text(with_block)
    assert "Sensitivity" not in plain
    # The section sits between the margin and the failed gates; nothing else moves.
    cut = plain.index("Failed gates")
    assert extended.startswith(plain[:cut]) and extended.endswith(plain[cut:])
    assert "Sensitivity:" in extended[cut : len(extended) - len(plain) + cut]


@pytest.mark.slow
def test_batch_adds_the_block_to_every_record(tmp_path: Path) -> None:
    code, _, err = run(
        "batch", SPEECH, str(EXAMPLES / "callback-queue.yaml"), "-d", str(tmp_path),
        "--formats", "json", "--sensitivity", "--samples", "300", "-j", "1",
    )  # fmt: skip
    assert code == ExitCode.CONDITIONAL, err
    for name in ("speech-analytics-savings", "callback-queue"):
        block = json.loads((tmp_path / f"{name}.json").read_text("utf-8"))["sensitivity"]
        assert block["samples"] == 300
