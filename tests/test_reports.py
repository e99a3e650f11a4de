"""The report pipeline: PDF content, tagging, reproducibility, golden HTML and Markdown."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLE_DECISIONS, EXAMPLES
from pypdf import PdfReader

from techgate.cli import cli
from techgate.model import Evaluation
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
    assert len(figures) == 2
    assert str(figures[0]["/Alt"]).startswith("Criterion scores out of 100: Reliability")
    assert str(figures[1]["/Alt"]).startswith("Points each criterion adds")
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
