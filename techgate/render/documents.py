"""Report documents written to files: PDF, HTML, Markdown and the JSON record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from techgate.errors import RenderError, TechgateError, single_problem
from techgate.model.evaluation import Evaluation
from techgate.vocabulary import DocumentFormat, Paper

if TYPE_CHECKING:
    # Model classes a plain report never needs; importing them costs a fresh process.
    from techgate.model.diff import RecordDiff
    from techgate.model.register import HumanDecision

__all__ = ["DocumentFormat", "render_document", "render_documents"]


def render_document(
    evaluation: Evaluation,
    document_format: DocumentFormat,
    *,
    paper: Paper = Paper.A4,
    user_templates: Path | None = None,
) -> bytes:
    """One document's bytes (see render_documents)."""
    return render_documents(
        evaluation, (document_format,), paper=paper, user_templates=user_templates
    )[document_format]


def render_documents(
    evaluation: Evaluation,
    formats: Iterable[DocumentFormat],
    *,
    paper: Paper = Paper.A4,
    user_templates: Path | None = None,
    changes: RecordDiff | None = None,
    decisions: tuple[HumanDecision, ...] = (),
) -> dict[DocumentFormat, bytes]:
    """Each requested document's bytes; the HTML report is built once for --html and --pdf.

    With 'changes' (the diff from a previous record) the Markdown, HTML and
    PDF reports add "what changed since the last evaluation"; the JSON record
    stays the record. Raises InvalidInputError (a broken user template) or RenderError, before
    anything is returned: all or none.
    """
    with template_errors(user_templates, "the record"):
        try:
            return _render_all(
                evaluation,
                tuple(dict.fromkeys(formats)),
                paper,
                user_templates,
                changes,
                decisions,
            )
        except _Failed as failed:
            cause = failed.__cause__
            raise RenderError(
                f"could not render the {failed.document_format.value} report: "
                f"{type(cause).__name__}: {cause}"
            ) from cause


@contextmanager
def template_errors(user_templates: Path | None, what: str) -> Iterator[None]:
    """Template failures as bad input (exit 2) at the template's file and line.

    A broken or hostile user template is the user's input, not a bug.
    """
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        yield
    except TemplateSyntaxError as error:
        raise single_problem(
            error.filename or error.name or "template",
            error.message or "",
            "fix the template's syntax",
            line=error.lineno,
        ) from error
    except TemplateError as error:
        name = str(user_templates or "built-in templates")
        raise single_problem(
            name, f"template failed: {error}", f"templates may only read {what} ('ctx')"
        ) from error


class _Failed(Exception):
    """An unexpected failure while one document was made; says which."""

    def __init__(self, document_format: DocumentFormat) -> None:
        super().__init__(document_format.value)
        self.document_format = document_format


def _render_all(
    evaluation: Evaluation,
    formats: tuple[DocumentFormat, ...],
    paper: Paper,
    user_templates: Path | None,
    changes: RecordDiff | None,
    decisions: tuple[HumanDecision, ...] = (),
) -> dict[DocumentFormat, bytes]:
    """The documents' bytes. Only the PDF needs WeasyPrint, imported here on demand."""
    from jinja2 import TemplateError

    rendered: dict[DocumentFormat, bytes] = {}
    html: str | None = None
    for document_format in formats:
        try:
            html = _render_one(
                evaluation,
                document_format,
                paper,
                user_templates,
                html,
                rendered,
                changes,
                decisions,
            )
        except (TechgateError, TemplateError):
            raise
        except Exception as error:
            raise _Failed(document_format) from error
    return rendered


def _render_one(
    evaluation: Evaluation,
    document_format: DocumentFormat,
    paper: Paper,
    user_templates: Path | None,
    html: str | None,
    rendered: dict[DocumentFormat, bytes],
    changes: RecordDiff | None = None,
    decisions: tuple[HumanDecision, ...] = (),
) -> str | None:
    """Render one document into 'rendered'; returns the HTML report, made on first need."""
    if document_format is DocumentFormat.JSON:
        from techgate.render.json import render_json

        rendered[document_format] = render_json(evaluation).encode("utf-8")
        return html
    if document_format is DocumentFormat.MARKDOWN:
        from techgate.render.environment import render_markdown

        markdown = render_markdown(evaluation, user_templates, changes, decisions)
        rendered[document_format] = markdown.encode("utf-8")
        return html
    from techgate.render.environment import render_html, template_dirs

    if html is None:
        html = render_html(evaluation, paper, user_templates, changes, decisions)
    if document_format is DocumentFormat.HTML:
        rendered[document_format] = html.encode("utf-8")
    else:
        # The command's prewarmed worker if it started one, else in process.
        from techgate.render.pdf_worker import html_to_pdf

        rendered[document_format] = html_to_pdf(html, template_dirs(user_templates))
    return html
