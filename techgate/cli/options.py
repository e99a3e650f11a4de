"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_CHOICES = ("text", "json", "markdown")


def criteria_option(function: F) -> F:
    return click.option(
        "--criteria",
        "-c",
        metavar="ID|PATH",
        default=None,
        help="Criteria pack: a built-in id (see 'techgate criteria list') or a .yaml path. "
        "Default: the proposal's own 'criteria' field, else contact-centre.",
    )(function)


def format_option(function: F) -> F:
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(FORMAT_CHOICES),
        default="text",
        show_default=True,
        help="Output format.",
    )(function)


def output_option(function: F) -> F:
    return click.option(
        "--output",
        "-o",
        metavar="FILE",
        type=click.Path(dir_okay=True, writable=True),
        default=None,
        help="Write the output to FILE (atomically) instead of the terminal. "
        "A directory receives <proposal-id>.<ext>.",
    )(function)
