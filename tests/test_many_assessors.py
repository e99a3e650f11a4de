"""Reports of many assessors stay short: a summary beside each indicator, an appendix.

Up to a handful of assessors (every shipped example) reports list each answer
beside its indicator, as the golden files show. Beyond, every format
summarises each indicator's answers and names those far from the median; the
PDF and HTML list everyone's answers in a compact appendix; the JSON record
keeps every answer.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from conftest import EXAMPLE_DECISIONS, ROOT
from pypdf import PdfReader

import techgate
from techgate.model import CriteriaPack, Evaluation
from techgate.render import OutputFormat, render
from techgate.render import panel as panel_module
from techgate.render.documents import DocumentFormat, render_document
from techgate.render.panel import INLINE_ASSESSORS, NAMED_OUTLIERS, panel_view

sys.path.insert(0, str(ROOT / "bench"))
from crowd import crowd_proposal

PAGE_BOUND = 20  # issue 11: a 1,000-assessor report is at most about 20 pages
DISSENTER = "Dissenting Dana"
HOSTILE = "<script>alert(1)</script> **bold** | pipe | [x](http://127.0.0.1:9) {{ 7 * 7 }}"


def with_dissenter(count: int, name: str = DISSENTER) -> dict[str, Any]:
    """`count` assessors at the panel's median everywhere, and one far from it everywhere."""
    data = crowd_proposal(count, outliers=0.0, noise=0.0)
    agreed = data["assessments"][0]["scores"]
    far = {}
    for key, answer in agreed.items():
        level = answer["score"] if isinstance(answer, dict) else answer
        if level != "n/a":
            far[key] = 0 if level >= 2 else 4
    data["assessments"].append({"assessor": name, "role": "Dissenter", "scores": far})
    return data


@pytest.fixture(scope="module")
def thousand(contact_centre: CriteriaPack) -> Evaluation:
    return techgate.evaluate(techgate.load_proposal(crowd_proposal(1000)), contact_centre)


@pytest.fixture(scope="module")
def panel_of_twelve(contact_centre: CriteriaPack) -> Evaluation:
    return techgate.evaluate(techgate.load_proposal(with_dissenter(11)), contact_centre)


def test_every_shipped_example_lists_each_answer_inline(records: dict[str, Evaluation]) -> None:
    assert set(records) == set(EXAMPLE_DECISIONS)
    for record in records.values():
        assert len(record.proposal.assessors) <= INLINE_ASSESSORS
        assert panel_view(record) is None


def test_a_thousand_assessors_fit_the_page_bound_with_summary_and_appendix(
    thousand: Evaluation,
) -> None:
    pdf = render_document(thousand, DocumentFormat.PDF)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= PAGE_BOUND
    text = " ".join("\n".join(page.extract_text() for page in reader.pages).split())
    assert "1,000: their answers are summarised beside each indicator" in text
    assert "1,000 answers: median" in text and "Levels 0–4:" in text
    assert "far from the median (2+ levels)" in text
    assert "Appendix: assessors' answers" in text and "Every assessor's answers" in text


def test_a_thousand_assessors_each_appear_once_in_the_appendix(thousand: Evaluation) -> None:
    html = render_document(thousand, DocumentFormat.HTML).decode()
    appendix = html.split("<h3>Every assessor's answers</h3>")[1]
    for name in thousand.proposal.assessors:
        assert appendix.count(f'<td class="who">{name}</td>') == 1, name
    # Beside the indicators only answers far from the median are named, a few a row.
    criteria = html.split('<section class="criteria">')[1].split("</section>")[0]
    named = sum(criteria.count(f"{name} gave") for name in thousand.proposal.assessors)
    answered = sum(1 for c in thousand.criteria for i in c.indicators if i.assessors)
    assert 0 < named <= NAMED_OUTLIERS * answered
    cover = html.split('<section class="summary">')[0]
    assert not any(name in cover for name in thousand.proposal.assessors)


def test_text_and_markdown_stay_bounded(thousand: Evaluation) -> None:
    view = panel_view(thousand)
    assert view is not None
    listed = {d.assessor for d in view.dissenters} | {
        a.assessor for s in view.summaries.values() for a in s.far[:NAMED_OUTLIERS]
    }
    for output in (
        render(thousand, OutputFormat.TEXT, width=120),
        render_document(thousand, DocumentFormat.MARKDOWN).decode(),
    ):
        assert len(output.splitlines()) < 400
        shown = {name for name in thousand.proposal.assessors if name in output}
        assert shown and shown <= listed
    markdown = render_document(thousand, DocumentFormat.MARKDOWN).decode()
    assert "1,000 answers: median" in markdown or "| 1,000 |" in markdown
    assert "## Assessors' answers" in markdown and "Every answer is in the JSON record" in markdown


def test_the_json_record_keeps_every_answer(thousand: Evaluation) -> None:
    record = json.loads(render(thousand, OutputFormat.JSON))
    for criterion in record["criteria"]:
        for indicator in criterion["indicators"]:
            if indicator["assessors"]:
                assert len(indicator["assessors"]) == 1000


def test_a_summary_counts_levels_and_names_who_is_far(panel_of_twelve: Evaluation) -> None:
    view = panel_view(panel_of_twelve)
    assert view is not None and view.assessors == 12
    availability = view.summaries["availability"]
    assert availability.levels == (1, 0, 0, 11, 0)
    assert availability.median == 3 and availability.middle == (3, 3)
    assert availability.counts == "12 answers: median 3; middle half all at 3; range 0–3"
    assert availability.distribution == "Levels 0–4: 1 · 0 · 0 · 11 · 0"
    assert availability.outliers == (f"1 far from the median (2+ levels): {DISSENTER} gave 0.")
    answered = [i for c in panel_of_twelve.criteria for i in c.indicators if i.assessors]
    assert [d.assessor for d in view.dissenters] == [DISSENTER]
    assert len(view.dissenters[0].far) == len(answered)
    assert view.far_once == 0 and view.more_dissenters == 0


def test_outliers_are_named_in_every_format(panel_of_twelve: Evaluation) -> None:
    html = render_document(panel_of_twelve, DocumentFormat.HTML).decode()
    markdown = render_document(panel_of_twelve, DocumentFormat.MARKDOWN).decode()
    text = " ".join(render(panel_of_twelve, OutputFormat.TEXT, width=200).split())
    assert f"1 far from the median (2+ levels): {DISSENTER} gave 0." in html
    assert f'<tr><td>{DISSENTER}</td><td class="num">' in html
    assert f"| 1: {DISSENTER} gave 0 |" in markdown
    assert f"| {DISSENTER} | " in markdown
    # One dissenter among twelve does not make the panel split (the spread of
    # a large panel is its middle half), so the text lists no disagreement,
    # but still names who stands apart, and where.
    assert "Assessor disagreements" not in text
    assert "Assessors far from the median on several indicators" in text
    assert f"│ {DISSENTER} │ 16 │ Availability under load 0 (median 3)" in text


def test_beyond_the_listed_limit_the_appendix_points_to_the_record(
    panel_of_twelve: Evaluation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panel_module, "LISTED_ASSESSORS", 10)
    html = render_document(panel_of_twelve, DocumentFormat.HTML).decode()
    assert 'class="grid answers"' not in html
    assert "Every answer is in the decision record" in html
    assert "every answer is in the decision record (JSON)" in html


def test_the_same_panel_gives_the_same_pdf(panel_of_twelve: Evaluation) -> None:
    again = techgate.evaluate(
        techgate.load_proposal(with_dissenter(11)), techgate.load_criteria("contact-centre")
    )
    first = render_document(panel_of_twelve, DocumentFormat.PDF)
    assert render_document(again, DocumentFormat.PDF) == first


def test_hostile_assessor_names_stay_inert(contact_centre: CriteriaPack) -> None:
    record = techgate.evaluate(
        techgate.load_proposal(with_dissenter(11, name=HOSTILE)), contact_centre
    )
    html = render_document(record, DocumentFormat.HTML).decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7 * 7 }}" in html and ">49<" not in html
    markdown = render_document(record, DocumentFormat.MARKDOWN).decode()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "| pipe |" not in markdown and "\\| pipe \\|" in markdown
    assert "[x](" not in markdown and "\\*\\*bold\\*\\*" in markdown
    text = render(record, OutputFormat.TEXT, width=300)
    assert HOSTILE in " ".join(text.split())
    pdf_text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(render_document(record, DocumentFormat.PDF))).pages
    )
    assert "<script>alert(1)</script>" in "".join(pdf_text.split())


def test_an_indicator_nobody_gave_a_level_is_counted_not_summarised(
    contact_centre: CriteriaPack,
) -> None:
    data = with_dissenter(11)
    for assessment in data["assessments"]:
        assessment["scores"]["channel-valued"] = "n/a"
    record = techgate.evaluate(techgate.load_proposal(data), contact_centre)
    view = panel_view(record)
    assert view is not None
    summary = view.summaries["channel-valued"]
    assert summary.counts == "12 answers: none of them a level"
    assert summary.distribution == "Levels 0–4: 0 · 0 · 0 · 0 · 0; n/a 12"
    assert summary.outliers == "" and summary.far == ()
    html = render_document(record, DocumentFormat.HTML).decode()
    assert "12 answers: none of them a level<br>Levels 0–4: 0 · 0 · 0 · 0 · 0; n/a 12" in html
    # Suitability's run of codes: transaction fit, then n/a for channel-valued, then insight.
    assert all(row.codes.split()[1][1] == "n" for line in view.rows for row in line)
