"""A change as typed ('TARGET=VALUE'): split, and every problem named by the option as given."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

from pydantic import ValidationError

from techgate.errors import InputProblem, InvalidInputError
from techgate.model.criteria import CriteriaPack, Indicator
from techgate.model.problems import suggest
from techgate.model.whatif import ChangeKind, ChangeRequest
from techgate.render.safe_text import printable_line

ORIGIN = "<what-if>"
"""What a what-if's problems name in place of a file: the changes come from a person."""

Level = int | Literal["n/a", "unchanged"]

# What a level may be typed as: digits only (no sign, no decimals, no '1_0').
_DIGITS = re.compile(r"[0-9]{1,3}")
# A weight: a plain decimal number, possibly negative (so that it can be told it is).
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")
MAX_WEIGHT = 1000.0
_SHOWN_CHARS = 120
_SURROGATE = re.compile("[\ud800-\udfff]")
_KINDS = frozenset(kind.value for kind in ChangeKind)
_KIND_HINT = f"kinds: {', '.join(kind.value for kind in ChangeKind)}"

_VALUE_HINTS = {
    ChangeKind.WEIGHT: "give a number more than 0, such as 'safety=30'",
    ChangeKind.SCORE: "give a level, 'n/a' or 'unchanged', such as 'privacy=3'",
    ChangeKind.ANSWER: "give a level, 'n/a', 'unchanged' or 'none', such as "
    "'Amira Haddad:accuracy=2'",
    ChangeKind.FACT: "give a YAML value, or null to remove the fact, such as "
    "'human_escalation.minutes_to_person=3'",
}


def option(request: ChangeRequest) -> str:
    """The option as a person typed it: '--weight safety=30' (one line, long values cut)."""
    return f"--{request.kind.value} {_shown(request.text)}"


def _shown(text: str) -> str:
    # A problem names the option on one line of its own: a line break or a
    # control character in a value is shown as an escape, never obeyed.
    text = text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"
    return printable_line(text)


def problem(request: ChangeRequest, message: str, hint: str = "") -> InputProblem:
    """A problem with one change, named by the option and value as given."""
    return InputProblem(ORIGIN, None, None, option(request), message, hint)


def refused(request: ChangeRequest, message: str, hint: str = "") -> InvalidInputError:
    return InvalidInputError([problem(request, message, hint)])


class Split(NamedTuple):
    """'TARGET=VALUE' taken apart."""

    target: str
    value: str


def split(request: ChangeRequest) -> Split:
    """The target and the value; ids never hold '=', so the first one divides them."""
    target, equals, value = request.text.partition("=")
    target, value = target.strip(), value.strip()
    if not equals:
        raise refused(request, "expected TARGET=VALUE", _VALUE_HINTS[request.kind])
    if not target:
        raise refused(request, "names nothing before '='", _VALUE_HINTS[request.kind])
    if not value:
        raise refused(request, "gives no value after '='", _VALUE_HINTS[request.kind])
    return Split(target, value)


def close_to(word: str, options: Iterable[str]) -> str:
    """A 'did you mean' hint: the one option the word begins, else the nearest spelling."""
    known = sorted(set(options))
    starts = [o for o in known if o.lower().startswith(word.lower())]
    if len(starts) == 1:
        return f"did you mean {starts[0]!r}?"
    return suggest(word, known)


def weight_value(request: ChangeRequest, text: str) -> float:
    """A weight as typed: a plain number, more than 0 and at most 1000."""
    if not _NUMBER.fullmatch(text):
        raise refused(request, f"weight {text!r} is not a number", _VALUE_HINTS[request.kind])
    value = float(text)
    if value < 0:
        raise refused(request, f"weight {text} is negative", "weights are more than 0")
    if value == 0:
        raise refused(
            request,
            "a weight of 0 is not allowed: a criterion or indicator in the pack always counts",
            "give a small weight, such as 0.1, to make it count for little",
        )
    if value > MAX_WEIGHT:
        raise refused(request, f"weight {text} is more than {MAX_WEIGHT:g}", "only ratios matter")
    return value


def level_value(
    request: ChangeRequest,
    text: str,
    indicator: Indicator,
    pack: CriteriaPack,
    *,
    removable: bool,
) -> Level | None:
    """A level of the pack's scale, 'n/a' or 'unchanged' where the indicator allows them,
    or (where removable) 'none' for no answer at all."""
    word = text.lower()
    top = pack.scale.maximum
    if removable and word == "none":
        return None
    if word == "n/a":
        if not indicator.allow_na:
            raise refused(request, f"indicator {indicator.id!r} does not allow 'n/a'")
        return "n/a"
    if word == "unchanged":
        if not indicator.allow_unchanged:
            raise refused(
                request,
                f"indicator {indicator.id!r} cannot be 'unchanged': the technology brings its "
                "own level of it",
                f"give a level from 0 to {top}",
            )
        return "unchanged"
    if not _DIGITS.fullmatch(text):
        words = "a level, 'n/a', 'unchanged'" + (" or 'none'" if removable else "")
        raise refused(
            request, f"{text!r} is not a level", f"give {words}; levels run from 0 to {top}"
        )
    level = int(text)
    if level > top:
        raise refused(
            request,
            f"level {level} is above the scale's top level {top}",
            f"levels run from 0 to {top}",
        )
    return level


def requests_of(
    changes: Iterable[ChangeRequest | tuple[ChangeKind | str, str]],
) -> list[ChangeRequest]:
    """Changes given as (kind, text) checked as requests; every bad one told at once."""
    requests: list[ChangeRequest] = []
    problems: list[InputProblem] = []
    for change in changes:
        if isinstance(change, ChangeRequest):
            requests.append(change)
            continue
        kind, text = change
        where = f"--{kind} {_shown(text)}"
        if kind not in _KINDS:
            problems.append(
                InputProblem(
                    ORIGIN, None, None, where, f"no kind of change {str(kind)!r}", _KIND_HINT
                )
            )
            continue
        if _SURROGATE.search(text):
            # What the shell passed held bytes that are not UTF-8 (Python keeps them as
            # lone surrogates); no id, name or fact can hold one.
            problems.append(
                InputProblem(ORIGIN, None, None, where, "holds a byte that is not UTF-8")
            )
            continue
        try:
            requests.append(ChangeRequest(kind=ChangeKind(kind), text=text))
        except ValidationError as error:
            message = "; ".join(d["msg"] for d in error.errors(include_url=False))
            problems.append(InputProblem(ORIGIN, None, None, where, message))
    if problems:
        raise InvalidInputError(problems)
    return requests


def request_of_line(line: str) -> ChangeRequest:
    """One change typed on one line, as a meeting screen's input takes it:
    'weight safety=30', or the option as 'techgate whatif' takes it, '--weight safety=30'.

    The kind is the first word (a leading '--' is dropped); the rest is the
    change's 'TARGET=VALUE', checked as requests_of checks it.
    """
    kind, _, text = line.strip().partition(" ")
    kind = kind.removeprefix("--")
    text = text.strip()
    if not kind:
        raise InvalidInputError(
            [InputProblem(ORIGIN, None, None, "(change)", "is empty", f"start with a {_KIND_HINT}")]
        )
    if not text:
        raise InvalidInputError(
            [
                InputProblem(
                    ORIGIN,
                    None,
                    None,
                    f"--{_shown(kind)}",
                    "gives no change after its kind",
                    "such as 'weight safety=30'",
                )
            ]
        )
    return requests_of([(kind, text)])[0]
