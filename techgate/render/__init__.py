"""A decision record as text, JSON, Markdown or a CI format. Renderers never see the engine.

Importing this package imports no model class: a command that only asks for
a submodule (the PDF worker, started before anything is read) must not pay
for pydantic here. render_document is imported on first use.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from techgate.render.formats import DocumentFormat, OutputFormat

if TYPE_CHECKING:
    from techgate.model.evaluation import Evaluation
    from techgate.render.documents import render_document

__all__ = ["DocumentFormat", "OutputFormat", "render", "render_document"]


def __getattr__(name: str) -> Any:
    if name == "render_document":
        from techgate.render.documents import render_document

        return render_document
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render(
    evaluation: Evaluation,
    output_format: OutputFormat,
    *,
    width: int = 100,
    source: PurePath | None = None,
) -> str:
    """The record in the given format, as a string.

    source: the proposal's file as a pipeline names it (relative to the repository's root);
    the CI formats point their failures at it. Without it they name no file.
    """
    if output_format is OutputFormat.JUNIT:
        from techgate.render.junit import render_junit

        return render_junit(evaluation, source)
    if output_format is OutputFormat.SARIF:
        from techgate.render.sarif import render_sarif

        return render_sarif(evaluation, source)
    if output_format is OutputFormat.GITHUB:
        from techgate.render.github import render_github

        return render_github(evaluation, source)
    if output_format is OutputFormat.JSON:
        from techgate.render.json import render_json

        return render_json(evaluation)
    if output_format is OutputFormat.MARKDOWN:
        from techgate.render.environment import render_markdown

        return render_markdown(evaluation)
    from techgate.render.text import render_text

    return render_text(evaluation, width=width)
