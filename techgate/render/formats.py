"""The closed set of output formats; every member has a renderer."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Paper = Literal["a4", "letter"]


class OutputFormat(StrEnum):
    """Formats 'techgate evaluate --format' can produce."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"

    @property
    def suffix(self) -> str:
        return {
            OutputFormat.TEXT: ".txt",
            OutputFormat.JSON: ".json",
            OutputFormat.MARKDOWN: ".md",
        }[self]
