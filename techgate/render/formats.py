"""The output vocabularies, re-exported for renderers (defined in techgate.vocabulary)."""

from __future__ import annotations

from techgate.vocabulary import DocumentFormat, OutputFormat, Paper

__all__ = ["DocumentFormat", "OutputFormat", "Paper"]
