"""The comparison report of the shipped tender: golden documents, PDF content, tagging."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from techgate import api
from techgate.model.comparison import Comparison
from techgate.vocabulary import DocumentFormat

ROOT = Path(__file__).resolve().parent.parent
TENDER = sorted((ROOT / "examples" / "procurement").glob("vendor-*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return api.compare(TENDER).comparison


@pytest.fixture(scope="module")
def documents(comparison: Comparison) -> dict[DocumentFormat, bytes]:
    return api.render_comparison(comparison, list(DocumentFormat))


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (DocumentFormat.HTML, "tender-comparison.html"),
        (DocumentFormat.MARKDOWN, "tender-comparison.md"),
        (DocumentFormat.JSON, "tender-comparison.json"),
        # The PDF's words, page by page: the golden of what a reader sees,
        # independent of how WeasyPrint lays the bytes out.
        (DocumentFormat.PDF, "tender-comparison.pdf.txt"),
    ],
)
def test_golden_comparison(
    documents: dict[DocumentFormat, bytes], kind: DocumentFormat, name: str, update_golden: bool
) -> None:
    data = documents[kind]
    produced = _pdf_text(data) if kind is DocumentFormat.PDF else data.decode("utf-8")
    golden = GOLDEN / name
    if update_golden:
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "run pytest --update-golden once, then review the files"
    assert produced == golden.read_text(encoding="utf-8"), (
        "output changed: rerun with --update-golden and review the diff"
    )


def test_the_pdf_is_reproducible_tagged_and_titled(
    comparison: Comparison, documents: dict[DocumentFormat, bytes]
) -> None:
    again = api.render_comparison(api.compare(TENDER).comparison, [DocumentFormat.PDF])
    assert again[DocumentFormat.PDF] == documents[DocumentFormat.PDF]
    reader = PdfReader(io.BytesIO(documents[DocumentFormat.PDF]))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata is not None and comparison.title in (reader.metadata.title or "")
    text = _pdf_text(documents[DocumentFormat.PDF])
    for words in ("Ranking", "Knocked out", "Price: the second stage", "How robust the ranking"):
        assert words in text
    # The knocked-out bid's price was never opened, so no page shows it.
    assert "160,000" not in text and "brisa-assist" in text
