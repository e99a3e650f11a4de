"""Exceptions the library raises; the CLI turns them into exit codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class TechgateError(Exception):
    """Base of every error techgate raises on purpose."""


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input, located as precisely as it can be."""

    file: str
    line: int | None
    column: int | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.field or '(document)'}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class InvalidInputError(TechgateError):
    """One or more inputs are invalid; every problem found is listed."""

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NotFoundError(InvalidInputError):
    """What was asked for (an evaluation, a token, a pack) is not in the register."""


class UnavailableError(InvalidInputError):
    """The database did not answer (down, unreachable, or locked past the busy timeout).

    Not the input's fault: the service answers 503 and asks the caller to retry.
    """


class RenderError(TechgateError):
    """A report could not be rendered; nothing was written."""


class PackNotFoundError(InvalidInputError):
    """A criteria pack id or path names nothing."""


def single_problem(
    file: str, message: str, hint: str = "", *, line: int | None = None, field: str = ""
) -> InvalidInputError:
    """An InvalidInputError for one problem, the common case for file-level errors."""
    return InvalidInputError([InputProblem(file, line, 1 if line else None, field, message, hint)])
