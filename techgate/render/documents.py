"""Report documents written to files: PDF, HTML, Markdown and the JSON record."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from techgate.errors import RenderError, TechgateError, single_problem
from techgate.model.evaluation import Evaluation
from techgate.render.formats import Paper


class DocumentFormat(StrEnum):
    """The closed set of files 'evaluate', 'report' and 'batch' can write."""

    PDF = "pdf"
    HTML = "html"
    MARKDOWN = "md"
    JSON = "json"

    @property
    def suffix(self) -> str:
        return f".{self.value}"


def render_document(
    evaluation: Evaluation,
    document_format: DocumentFormat,
    *,
    paper: Paper = "a4",
    user_templates: Path | None = None,
) -> bytes:
    """The document's bytes, or InvalidInputError (a broken template) or RenderError."""
    from jinja2 import TemplateError, TemplateSyntaxError

    try:
        return _render(evaluation, document_format, paper, user_templates)
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
            name, f"template failed: {error}", "templates may only read the record ('ctx')"
        ) from error
    except TechgateError:
        raise
    except Exception as error:
        raise RenderError(
            f"could not render the {document_format.value} report: {type(error).__name__}: {error}"
        ) from error


def _render(
    evaluation: Evaluation,
    document_format: DocumentFormat,
    paper: Paper,
    user_templates: Path | None,
) -> bytes:
    """The document's bytes. Only the PDF needs WeasyPrint, imported here on demand."""
    if document_format is DocumentFormat.JSON:
        from techgate.render.json import render_json

        return render_json(evaluation).encode("utf-8")
    if document_format is DocumentFormat.MARKDOWN:
        from techgate.render.environment import render_markdown

        return render_markdown(evaluation, user_templates).encode("utf-8")
    from techgate.render.environment import render_html, template_dirs

    html = render_html(evaluation, paper, user_templates)
    if document_format is DocumentFormat.HTML:
        return html.encode("utf-8")
    from techgate.render.pdf import html_to_pdf

    return html_to_pdf(html, template_dirs(user_templates))
