"""techgate's closed vocabularies, defined once: formats, paper sizes, schema kinds.

Every command-line choice, renderer table and HTTP media type is built from
these enums, and a test checks that each member has a renderer. The module
imports nothing heavier than the standard library, so '--help' can build its
choices from it without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum

LARGEST_ID = 2**31 - 1
"""The largest number a register row can have on either database: the id columns are
INTEGER, signed 64-bit in SQLite but 32-bit in PostgreSQL (which answered a larger id with
'integer out of range' where SQLite said 'not found'). A larger one is refused as input,
the same on both, never handed to the driver."""

MAX_PAGE = 500
"""The most items one page of a listing holds (register, service)."""


class OutputFormat(StrEnum):
    """What a command prints (or writes with -o): 'techgate evaluate --format'."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    SARIF = "sarif"
    GITHUB = "github"

    @property
    def suffix(self) -> str:
        return _OUTPUT_SUFFIX[self]

    @property
    def media_type(self) -> str:
        return _OUTPUT_MEDIA[self]

    @property
    def for_pipelines(self) -> bool:
        """A CI format (JUnit, SARIF, GitHub annotations): one record's gates, for a pipeline.

        Only 'evaluate' offers these; a comparison ranks several records and has no one
        file for a pipeline to point at.
        """
        return self in (OutputFormat.JUNIT, OutputFormat.SARIF, OutputFormat.GITHUB)


_OUTPUT_SUFFIX = {
    OutputFormat.TEXT: ".txt",
    OutputFormat.JSON: ".json",
    OutputFormat.MARKDOWN: ".md",
    OutputFormat.JUNIT: ".junit.xml",
    OutputFormat.SARIF: ".sarif",
    OutputFormat.GITHUB: ".annotations.txt",
}
_OUTPUT_MEDIA = {
    OutputFormat.TEXT: "text/plain; charset=utf-8",
    OutputFormat.JSON: "application/json",
    OutputFormat.MARKDOWN: "text/markdown; charset=utf-8",
    # JUnit XML has no registered media type of its own; it is XML.
    OutputFormat.JUNIT: "application/xml",
    # Registered with IANA by OASIS for SARIF 2.1.0.
    OutputFormat.SARIF: "application/sarif+json",
    # Workflow commands are lines of text a GitHub runner reads from the step's output.
    OutputFormat.GITHUB: "text/plain; charset=utf-8",
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


class WebhookEvent(StrEnum):
    """What a webhook subscriber can be told of (Standard Webhooks event types)."""

    EVALUATION_CREATED = "evaluation.created"
    """A new evaluation was stored (a submission that stored nothing new sends nothing)."""
    DECISION_RECORDED = "decision.recorded"
    """People recorded a decision on an evaluation."""
    WAIVER_CREATED = "waiver.created"
    """A gate failure was waived for a proposal."""
    WAIVER_EXPIRED = "waiver.expired"
    """A waiver reached its expiry date."""
