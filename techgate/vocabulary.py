"""techgate's closed vocabularies, defined once: formats, paper sizes, schema kinds.

Every command-line choice, renderer table and HTTP media type is built from
these enums, and a test checks that each member has a renderer. The module
imports nothing heavier than the standard library, so '--help' can build its
choices from it without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    """What a command prints (or writes with -o): 'techgate evaluate --format'."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"

    @property
    def suffix(self) -> str:
        return _OUTPUT_SUFFIX[self]

    @property
    def media_type(self) -> str:
        return _OUTPUT_MEDIA[self]


_OUTPUT_SUFFIX = {
    OutputFormat.TEXT: ".txt",
    OutputFormat.JSON: ".json",
    OutputFormat.MARKDOWN: ".md",
}
_OUTPUT_MEDIA = {
    OutputFormat.TEXT: "text/plain; charset=utf-8",
    OutputFormat.JSON: "application/json",
    OutputFormat.MARKDOWN: "text/markdown; charset=utf-8",
}


class DocumentFormat(StrEnum):
    """The files a record (or a comparison) can be written as: --pdf, --html, --md, --json."""

    PDF = "pdf"
    HTML = "html"
    MARKDOWN = "md"
    JSON = "json"

    @property
    def suffix(self) -> str:
        return f".{self.value}"

    @property
    def media_type(self) -> str:
        return _DOCUMENT_MEDIA[self]

    @property
    def description(self) -> str:
        """What the document is, for help texts."""
        return _DOCUMENT_DESCRIPTION[self]

    @property
    def needs_html(self) -> bool:
        """Whether the document is made from the HTML report (built once for both)."""
        return self in (DocumentFormat.HTML, DocumentFormat.PDF)


_DOCUMENT_MEDIA = {
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.HTML: "text/html; charset=utf-8",
    DocumentFormat.MARKDOWN: "text/markdown; charset=utf-8",
    DocumentFormat.JSON: "application/json",
}
_DOCUMENT_DESCRIPTION = {
    DocumentFormat.PDF: "PDF report",
    DocumentFormat.HTML: "HTML report",
    DocumentFormat.MARKDOWN: "Markdown report",
    DocumentFormat.JSON: "JSON record",
}


class Paper(StrEnum):
    """Paper sizes of the PDF report; the value is the CSS page size."""

    A4 = "a4"
    LETTER = "letter"


class SchemaKind(StrEnum):
    """Documents techgate publishes a JSON Schema for ('techgate schema KIND')."""

    PROPOSAL = "proposal"
    CRITERIA = "criteria"
    EVALUATION = "evaluation"


def choices(vocabulary: type[StrEnum]) -> list[str]:
    """The values of a vocabulary, in declaration order, for click.Choice."""
    return [member.value for member in vocabulary]
