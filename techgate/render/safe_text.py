"""User text shown safely: on a terminal, and in pages laid out.

On a terminal, control characters are shown as escapes, never obeyed.

Proposal and pack text can hold anything YAML or JSON can carry: ESC and
the sequences it starts (set the window title, clear the screen, rewrite
what was printed), BEL, backspace and carriage return, the C1 controls
(CSI U+009B works like ESC [ on many terminals), the line and paragraph
separators, and the Unicode controls that reverse the order text is shown in
(U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C). printable() turns each
into its Python escape ('\\x1b', '\\u202e'), so the reader sees that it is
there and the terminal does nothing with it. Tabs and newlines are kept.

In the PDF and HTML, names that repeat are shortened (short_name).
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ufeff]"
)
# One line of the CLI's own (a problem, a summary): line breaks escaped too,
# so that text from an input cannot start a line that looks like techgate's.
_LINE_CONTROLS = re.compile(f"[\n{_CONTROLS.pattern[1:-1]}]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def printable(text: str) -> str:
    """The text with every control character shown as an escape; the same text if it has none."""
    return _CONTROLS.sub(_escape, text)


def printable_line(text: str) -> str:
    """Like printable, and newlines escaped too: the text stays one line."""
    return _LINE_CONTROLS.sub(_escape, text)


NAME_CHARS = 80
"""Longest name (an assessor's) the PDF and HTML show; the JSON record keeps every name whole."""


def short_name(text: str, limit: int = NAME_CHARS) -> str:
    """The name, or its first characters and an ellipsis if it is longer than 'limit'.

    A name is repeated beside every indicator its owner answered; a name of
    thousands of characters would fill pages at each of them.
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"
