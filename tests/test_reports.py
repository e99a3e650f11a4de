"""The report pipeline: PDF content, tagging, reproducibility, golden HTML and Markdown."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_DECISIONS, EXAMPLES, read_yaml
from pypdf import PdfReader

import techgate
from techgate.cli import cli
from techgate.model import Evaluation
from techgate.render import OutputFormat, render
from techgate.render.documents import DocumentFormat, render_document

GOLDEN = Path(__file__).resolve().parent / "golden"
SIGNATURES = {
    DocumentFormat.PDF: b"%PDF-",
    DocumentFormat.HTML: b"<!DOCTYPE html>",
    DocumentFormat.MARKDOWN: b"# ",
    DocumentFormat.JSON: b"{\n",
}


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def pdfs(records: dict[str, Evaluation]) -> dict[str, bytes]:
    return {name: render_document(record, DocumentFormat.PDF) for name, record in records.items()}


@pytest.mark.parametrize("document_format", list(DocumentFormat))
def test_every_document_format_renders(
    document_format: DocumentFormat, records: dict[str, Evaluation]
) -> None:
    content = render_document(records["callback-queue"], document_format)
    assert content.startswith(SIGNATURES[document_format])
    assert len(content) > 1000


@pytest.mark.parametrize("name", sorted(EXAMPLE_DECISIONS))
def test_pdf_holds_decision_title_criteria_and_failed_gates(
    name: str, records: dict[str, Evaluation], pdfs: dict[str, bytes]
) -> None:
    record = records[name]
    text = " ".join(pdf_text(pdfs[name]).split())
    assert f"Decision: {record.decision.value.upper()}" in text
    assert record.proposal.title in text
    for criterion in record.criteria:
        assert criterion.title in text
    for gate in record.gates:
        if not gate.passed:
            assert gate.title in text
    pages = len(PdfReader(io.BytesIO(pdfs[name])).pages)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text


def test_pdf_is_tagged_titled_and_has_no_embedded_files(pdfs: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(pdfs["self-service-portal-panel"]))
    root: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
    assert str(root["/Lang"]) == "en"
    assert "EmbeddedFiles" not in str(root.get("/Names", {}))
    assert reader.metadata is not None
    assert reader.metadata.title.startswith("Self-service portal for account changes")
    assert root.get("/Outlines") is not None, "headings should become bookmarks"


def structure_elements(node: Any, found: list[Any]) -> list[Any]:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, dict):
        found.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            structure_elements(kid, found)
    return found


def test_charts_carry_alternative_text_and_tables_header_cells(pdfs: dict[str, bytes]) -> None:
    root: Any = PdfReader(io.BytesIO(pdfs["crm-consolidation"])).trailer["/Root"]
    elements = structure_elements(root["/StructTreeRoot"], [])
    figures = [e for e in elements if e.get("/S") == "/Figure"]
    assert len(figures) == 3
    assert str(figures[0]["/Alt"]).startswith("Criterion scores out of 100: Reliability")
    assert str(figures[1]["/Alt"]).startswith("Points each criterion adds")
    assert str(figures[2]["/Alt"]).startswith("Claimed and measured benefits a year: Customers")
    assert any(e.get("/S") == "/TH" for e in elements)


def test_pdf_is_byte_identical_for_the_same_record(
    records: dict[str, Evaluation], pdfs: dict[str, bytes]
) -> None:
    assert (
        render_document(records["crm-consolidation"], DocumentFormat.PDF)
        == pdfs["crm-consolidation"]
    )


def test_letter_paper(records: dict[str, Evaluation]) -> None:
    pdf = render_document(records["callback-queue"], DocumentFormat.PDF, paper="letter")
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


@pytest.mark.parametrize("name", sorted(EXAMPLE_DECISIONS))
@pytest.mark.parametrize("document_format", [DocumentFormat.HTML, DocumentFormat.MARKDOWN])
def test_golden_html_and_markdown(
    name: str, document_format: DocumentFormat, records: dict[str, Evaluation], update_golden: bool
) -> None:
    produced = render_document(records[name], document_format).decode("utf-8")
    golden = GOLDEN / f"{name}{document_format.suffix}"
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "run pytest --update-golden once, then review the files"
    assert produced == golden.read_text(encoding="utf-8"), (
        "output changed: rerun with --update-golden and review the diff"
    )


def test_report_renders_a_saved_record_without_rescoring(tmp_path: Path) -> None:
    runner = CliRunner()
    direct = runner.invoke(
        cli,
        [
            "evaluate",
            str(EXAMPLES / "chatbot-no-human.yaml"),
            "--json",
            str(tmp_path),
            "--pdf",
            str(tmp_path / "direct.pdf"),
            "-f",
            "json",
        ],
    )
    assert direct.exit_code == 4
    again = runner.invoke(
        cli,
        [
            "report",
            str(tmp_path / "chatbot-no-human.json"),
            "--pdf",
            str(tmp_path / "again.pdf"),
            "--md",
            str(tmp_path),
        ],
    )
    assert again.exit_code == 4, again.stderr
    assert (tmp_path / "again.pdf").read_bytes() == (tmp_path / "direct.pdf").read_bytes()
    assert (tmp_path / "chatbot-no-human.md").read_text().startswith("# Automated web chat")


def test_report_needs_an_output_and_a_valid_record(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["report", str(tmp_path / "x.json")]).exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "decision": "maybe"\n}\n')
    result = runner.invoke(cli, ["report", str(broken), "--pdf", str(tmp_path / "out.pdf")])
    assert result.exit_code == 2
    assert f"{broken}:2:3: decision" in result.stderr
    assert not (tmp_path / "out.pdf").exists()


def test_failed_render_writes_nothing_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import techgate.render.pdf

    def broken(*_: object) -> bytes:
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(techgate.render.pdf, "html_to_pdf", broken)
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(EXAMPLES / "callback-queue.yaml"),
            "--md",
            str(tmp_path),
            "--pdf",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "could not render the pdf report" in result.stderr and "layout exploded" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_batch_renders_the_valid_and_reports_the_invalid(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: [unclosed\n")
    out = tmp_path / "out"
    inputs = [
        str(EXAMPLES / "callback-queue.yaml"),
        str(bad),
        str(EXAMPLES / "chatbot-no-human.yaml"),
    ]
    result = CliRunner().invoke(
        cli, ["batch", *inputs, "--out-dir", str(out), "--formats", "md,json", "--jobs", "2"]
    )
    assert result.exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "callback-queue.json",
        "callback-queue.md",
        "chatbot-no-human.json",
        "chatbot-no-human.md",
    ]
    assert "Batch summary" in result.stdout and "INVALID" in result.stdout
    assert f"{bad}:3:1" in result.stderr


def test_batch_exit_code_is_the_worst_decision(tmp_path: Path) -> None:
    inputs = [str(EXAMPLES / "callback-queue.yaml"), str(EXAMPLES / "crm-consolidation.yaml")]
    result = CliRunner().invoke(
        cli, ["batch", *inputs, "--out-dir", str(tmp_path), "--formats", "json", "--jobs", "1"]
    )
    assert result.exit_code == 3
    assert (
        CliRunner()
        .invoke(cli, ["batch", *inputs, "--out-dir", str(tmp_path), "--formats", "pdf,docx"])
        .exit_code
        == 2
    )


def test_batch_flags_two_inputs_with_one_id(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text((EXAMPLES / "callback-queue.yaml").read_text())
    result = CliRunner().invoke(
        cli,
        [
            "batch",
            str(EXAMPLES / "callback-queue.yaml"),
            str(copy),
            "--out-dir",
            str(tmp_path / "out"),
            "--formats",
            "json",
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert "is also used by" in result.stderr


# The new content of record layout 2, in every format.


def outputs(record: Evaluation) -> dict[str, str]:
    """The record as terminal text, Markdown and HTML."""
    return {
        "text": render(record, OutputFormat.TEXT, width=120),
        "md": render_document(record, DocumentFormat.MARKDOWN).decode(),
        "html": render_document(record, DocumentFormat.HTML).decode(),
    }


def test_benefits_show_claimed_against_measured(records: dict[str, Evaluation]) -> None:
    shown = outputs(records["speech-analytics-savings"])
    assert (
        "| Reduce headcount by twelve posts | efficiency | EUR 420,000 | 42% | **measured** | "
        "EUR 280,000 | 67% |" in shown["md"]
    )
    assert (
        "| Identify upsell moments | revenue | EUR 150,000 | 15% | claimed (estimate) | "
        "not measured | — |" in shown["md"]
    )
    assert '<td><strong>measured</strong></td><td class="num">280,000</td>' in shown["html"]
    assert 'claimed (estimate)</td><td class="num">not measured</td>' in shown["html"]
    assert "Claimed and measured benefits a year: Cut average handle time" in shown["html"]
    assert "Benefits case (EUR a year): claimed and measured" in shown["text"]
    text_row = next(line for line in shown["text"].splitlines() if "Reduce headcount" in line)
    assert "420,000" in text_row and "MEASURED" in text_row and "280,000" in text_row
    for output in shown.values():
        assert "51% of the case is measured here" in output
        assert "37,400" in output and "36,000" in output  # workforce: capacity against demand


def test_knife_edge_and_what_would_flip_it_lead_the_report(
    records: dict[str, Evaluation], pdfs: dict[str, bytes]
) -> None:
    record = records["crm-consolidation"]
    assert record.margin.knife_edge
    shown = outputs(record)
    assert "> **Knife-edge:** one level on one indicator" in shown["md"]
    assert shown["md"].index("Knife-edge") < shown["md"].index("## Why")
    assert "  - Privacy one level down (2 to 1) → NO-GO" in shown["md"]
    cover = shown["html"][: shown["html"].index('<section class="summary">')]
    assert "<strong>Knife-edge:</strong>" in cover and "Privacy one level down (2 to 1)" in cover
    assert f"gate &#39;Staff and customers consulted&#39;; the score ({record.score:g})" in cover
    assert shown["text"].index("KNIFE-EDGE") < shown["text"].index("Failed gates")
    assert "→ NO-GO if Security one level down (2 to 1)" in shown["text"]
    first_page = PdfReader(io.BytesIO(pdfs["crm-consolidation"])).pages[0].extract_text()
    assert "Knife-edge" in first_page and "How close the decision is" in first_page
    calm = outputs(records["callback-queue"])
    assert "Knife-edge" not in calm["md"] and "KNIFE-EDGE" not in calm["text"]


def test_automation_findings_show_trait_indicators_and_gates(
    records: dict[str, Evaluation],
) -> None:
    shown = outputs(records["chatbot-no-human"])
    assert (
        "| Indicator: Says it is a machine | 2/4 | Adequate: Stated at the start only. |"
        in (shown["md"])
    )
    assert "| Gate: A person can be reached | failed |" in shown["md"]
    assert "<td>Gate: A person can be reached</td><td>FAILED</td>" in shown["html"]
    assert "Traits: customer-facing." in shown["text"]
    assert "Gate: A person is close at hand" in shown["text"]


@pytest.fixture(scope="module")
def tailored(tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    """A generative chatbot judged by a pack that is lenient about the route to a person.

    It leaves the route out, answers 'unchanged' on privacy, leaves readiness
    unassessed and heard at least six employee representatives.
    """
    folder = tmp_path_factory.mktemp("pack")
    (folder / "lenient.yaml").write_text(
        "id: lenient-centre\ntitle: Lenient contact centre\nversion: '1.0.0'\n"
        "extends: contact-centre\ngates:\n  - id: human-route\n    kind: human-escalation\n"
        "    title: A person can be reached\n    severity: no-go\n    on_missing: conditional\n"
        "    condition: Give customers a way to reach a person.\n"
    )
    data = read_yaml(EXAMPLES / "chatbot-no-human.yaml")
    del data["human_escalation"]
    data["automation"] = {"generates_answers": True, "knowledge_source": "Renewal policy v3"}
    scores = data["assessments"][0]["scores"]
    scores["privacy"] = "unchanged"
    del scores["readiness"]
    data["stakeholder_input"].append(
        {
            "group": "employee-representatives",
            "method": "workshop",
            "participants": {"at_least": 6},
            "date": "2026-08-02",
        }
    )
    pack = techgate.load_criteria(folder / "lenient.yaml")
    return techgate.evaluate(techgate.load_proposal(data), pack)


def test_a_lenient_gate_is_flagged_in_every_format(tailored: Evaluation) -> None:
    gate = next(g for g in tailored.gates if g.id == "human-route")
    assert gate.lenient and gate.missing_facts
    shown = outputs(tailored)
    assert "LENIENT: the pack judges gate 'A person can be reached' more lightly" in (
        " ".join(shown["text"].split())
    )
    assert "CONDITIONAL (LENIENT)" in shown["text"]
    assert "> **Lenient:** the pack judges 'A person can be reached' more lightly" in shown["md"]
    assert "| A person can be reached | failed **(LENIENT)** | conditional |" in shown["md"]
    assert (
        "Not stated: the route to a person (human\\_escalation) (the pack is lenient here)"
        in (shown["md"])
    )
    cover = shown["html"][: shown["html"].index('<section class="summary">')]
    assert '<th scope="row">Lenient gates</th>' in cover
    assert '<td>FAILED<br><strong class="flag">LENIENT</strong></td>' in shown["html"]
    pdf = render_document(tailored, DocumentFormat.PDF)
    assert "Lenient" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_unchanged_is_shown_as_unchanged_and_never_as_a_reason(tailored: Evaluation) -> None:
    assert tailored.unchanged == ("privacy",)
    assert all(reason.ref != "privacy" for reason in tailored.reasons)
    shown = outputs(tailored)
    assert "Unchanged (covered, not in the score): Privacy — unchanged" in shown["text"]
    reasons = shown["text"].split("Reasons that weighed most")[1].split("Criteria")[0]
    assert "Privacy" not in reasons
    assert "| Privacy | — | 2 | unchanged | — | — |" in shown["md"]
    assert "## Unchanged: covered, but not in the score\n\n- Privacy: unchanged" in shown["md"]
    assert "Privacy" not in shown["md"].split("## Why")[1].split("## How close")[0]
    assert "<td>Privacy</td>" in shown["html"]
    assert "<li>Privacy: unchanged, the technology leaves it as it is.</li>" in shown["html"]
    assert "Tom Becker: unchanged" in shown["html"]
    summary = shown["html"].split('<ol class="reasons">')[1].split("</ol>")[0]
    assert "Privacy" not in summary


def test_gaps_count_at_level_0_and_generative_safeguards_are_grouped(
    tailored: Evaluation,
) -> None:
    assert "generative" in tailored.analyses.automation.traits
    shown = outputs(tailored)
    assert (
        "| People, process and training | 0 | 2 | gap: not assessed, counted at level 0 |"
        in (shown["md"])
    )
    assert "Gaps (not assessed, counted at level 0)" in shown["text"]
    assert "<strong>Not assessed, counted at level 0</strong>" in shown["html"]
    assert "| Indicator: Answers grounded in an authoritative source | 0/4 (gap) |" in shown["md"]
    assert "| Gate: Generated answers come from an authoritative source | failed |" in shown["md"]
    assert (
        "<td>Gate: Generated answers come from an authoritative source</td><td>FAILED"
        in (shown["html"])
    )


def test_third_stakeholder_group_and_lower_bound_counts(tailored: Evaluation) -> None:
    shown = outputs(tailored)
    assert "| employee representatives | at least 6 | 0 | not recorded |" in shown["md"]
    assert "<tr><td>employee representatives</td><td>at least 6</td>" in shown["html"]
    row = next(line for line in shown["text"].splitlines() if "at least 6" in line)
    assert "employee" in row
