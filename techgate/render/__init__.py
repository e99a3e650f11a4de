"""Turn a decision record into text, JSON or Markdown. Renderers never see the engine."""

from __future__ import annotations

from techgate.model.evaluation import Evaluation
from techgate.render.documents import DocumentFormat, render_document
from techgate.render.formats import OutputFormat

__all__ = ["DocumentFormat", "OutputFormat", "render", "render_document"]


def render(evaluation: Evaluation, output_format: OutputFormat, *, width: int = 100) -> str:
    """The record in the given format, as a string."""
    if output_format is OutputFormat.JSON:
        from techgate.render.json import render_json

        return render_json(evaluation)
    if output_format is OutputFormat.MARKDOWN:
        from techgate.render.environment import render_markdown

        return render_markdown(evaluation)
    from techgate.render.text import render_text

    return render_text(evaluation, width=width)
