"""Read a saved decision record (JSON) back into an Evaluation.

Records are read with the JSON parser, not the YAML one: it is what wrote
them, so every record 'evaluate' can write reads back as it was (YAML would
fold NEL and the Unicode line separators, and split surrogate pairs), and it
is fast enough for the largest record (a thousand assessors is a few
mebibytes). Problems are still located by line where the record is small
enough for the YAML reader to map it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, NoReturn

from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.loading.validation import validate_document
from techgate.loading.yaml_source import MAX_FILE_BYTES, Document, decode_utf8, read_limited
from techgate.model.evaluation import Evaluation

# A record holds every assessor's every answer: a thousand assessors of the
# shipped pack write about 5 MB; this leaves room for ten times that.
MAX_RECORD_BYTES = 64 * 1024 * 1024


class _Refused(ValueError):
    pass


def read_evaluation(path: Path) -> Evaluation:
    """A record written by 'techgate evaluate'."""
    document = read_json_document(
        path, MAX_RECORD_BYTES, "a record is the JSON 'techgate evaluate --json' writes", "a record"
    )
    record = validate_document(Evaluation, document)
    twice = [document.problem(where, message, "") for where, message in _named_twice(record)]
    if twice:
        raise InvalidInputError(twice)
    return record


def read_json_document(path: Path, limit: int, hint: str, what: str) -> Document:
    """A JSON file techgate wrote, read strictly: at most limit bytes of UTF-8, no duplicate
    keys, no NaN or huge numbers, no lone surrogates, not nested past the parser's depth."""
    name = str(path)
    raw = read_limited(path, name, limit)
    text = decode_utf8(raw, name)
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
            object_pairs_hook=_unique,
        )
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            [
                InputProblem(
                    name, error.lineno, error.colno, "", f"not valid JSON: {error.msg}", hint
                )
            ]
        ) from None
    except _Refused as error:
        raise single_problem(name, str(error), line=1) from None
    except RecursionError:
        raise single_problem(name, f"nested too deeply to be {what}", line=1) from None
    # Positions come from the YAML reader, which maps files up to its own limit.
    document = Document(name, data, text if len(raw) <= MAX_FILE_BYTES else None)
    broken = _lone_surrogate(data, ())
    if broken is not None:
        raise InvalidInputError(
            [document.problem(broken, "holds a lone surrogate escape (\\ud800-\\udfff)", "")]
        )
    return document


def _named_twice(record: Evaluation) -> list[tuple[tuple[str | int, ...], str]]:
    """Where an id is given a second time: the engine writes each once, and techgate diff
    pairs entries by it, so a hand-edited second entry would hide the first."""
    found: list[tuple[tuple[str | int, ...], str]] = []

    def check(kind: str, entries: list[tuple[tuple[str | int, ...], str]]) -> None:
        seen: set[str] = set()
        for where, key in entries:
            if key in seen:
                found.append((where, f"{kind} {key!r} is given twice"))
            seen.add(key)

    check("criterion", [(("criteria", i, "id"), c.id) for i, c in enumerate(record.criteria)])
    check(
        "indicator",
        [
            (("criteria", i, "indicators", j, "id"), indicator.id)
            for i, criterion in enumerate(record.criteria)
            for j, indicator in enumerate(criterion.indicators)
        ],
    )
    check("gate", [(("gates", i, "id"), g.id) for i, g in enumerate(record.gates)])
    check(
        "condition of",
        [(("conditions", i, "source"), c.source) for i, c in enumerate(record.conditions)],
    )
    return found


def _lone_surrogate(data: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path of the first string holding half a surrogate pair, which no UTF-8 can carry.

    A walk with its own stack: a record nested as deep as the JSON parser
    allows must not exhaust Python's recursion here.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return where
        elif isinstance(value, dict):
            stack += [(item, (*where, key)) for key, item in reversed(value.items())]
        elif isinstance(value, list):
            stack += [(item, (*where, index)) for index, item in reversed(list(enumerate(value)))]
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
# Records hold scores, weights and counts; no honest one has a 30-digit number.
_INT_DIGITS = 30


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _INT_DIGITS:
        raise _Refused(f"a number of {len(text):,} digits is not one a record can hold")
    return int(text)


def _refuse_constant(value: str) -> NoReturn:
    raise _Refused(f"{value} is not a number a record can hold")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Refused(f"duplicate key {key!r}")
        found[key] = value
    return found
