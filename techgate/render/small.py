"""The three formats of a small document (a diff, a what-if): JSON of its model, Markdown from
its template, text from its rich view; shared so that each says only what differs."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console, RenderableType

from techgate.render.formats import OutputFormat


def render_small(
    model: BaseModel,
    output_format: OutputFormat,
    *,
    kind: str,
    template: str,
    view: Callable[[], Any],
    text_view: Callable[[], RenderableType],
    width: int,
    user_templates: Path | None,
) -> str:
    """The document as a string: the same model, the same bytes. The CI formats and the
    documents are one proposal's; a {kind} has none of them (ValueError)."""
    if output_format is OutputFormat.JSON:
        from techgate.render.json import json_text

        return json_text(model)
    if output_format is OutputFormat.MARKDOWN:
        from techgate.render.environment import markdown_environment, render_template

        environment = markdown_environment(user_templates)
        return render_template(environment, template, view(), user_templates)
    if output_format is not OutputFormat.TEXT:
        raise ValueError(f"a {kind} has no {output_format.value} format")
    buffer = io.StringIO()
    Console(file=buffer, width=width, highlight=False, color_system=None).print(text_view())
    return buffer.getvalue()
