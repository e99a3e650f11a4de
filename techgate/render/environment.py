"""The one place Jinja environments are made, and the typed context templates receive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from techgate.model.evaluation import Evaluation
from techgate.resources import data_dir

# Characters that start emphasis, code, links or table cells wherever they stand.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape_markdown(value: Any) -> str:
    """Make any value inert in Markdown: user text must never become markup or HTML."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A newline would end a table row or start a heading; fold it.
    return " ".join(text.split())


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template may use."""

    evaluation: Evaluation
    top_reasons: int = 3


def markdown_environment() -> Environment:
    """Jinja for Markdown: every expression's output is escaped for Markdown."""
    environment = Environment(
        loader=FileSystemLoader(data_dir("templates")),
        # HTML escaping is wrong for Markdown; finalize escapes every value instead.
        autoescape=False,  # noqa: S701
        finalize=escape_markdown,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["pct"] = lambda value: f"{float(value):.0%}"
    environment.filters["num"] = lambda value: "—" if value is None else f"{float(value):g}"
    return environment


def render_markdown(evaluation: Evaluation) -> str:
    template = markdown_environment().get_template("report.md.j2")
    return template.render(ctx=ReportContext(evaluation))
