"""Shared base for every techgate model: frozen, strict about unknown keys."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Ids appear in file names, command lines and report anchors, so they are
# kept to a conservative, URL- and shell-safe alphabet.
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(gt=0.0, le=1000.0)]


class Frozen(BaseModel):
    """Immutable model that rejects keys it does not know.

    Field docstrings become the JSON Schema descriptions (see
    techgate.model.docstrings), so the schema an editor shows and the code
    read the same words.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_default=False,
    )
