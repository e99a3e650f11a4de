"""A proposal's history in the register as Markdown (text and JSON are the command's own)."""

from __future__ import annotations

from pathlib import Path

from techgate.model.register import History


def history_markdown(history: History, user_templates: Path | None = None) -> str:
    """Every evaluation and decision of one proposal id, oldest first; user text escaped."""
    from techgate.render.environment import markdown_environment, render_template

    environment = markdown_environment(user_templates)
    return render_template(environment, "history.md.j2", history, user_templates)
