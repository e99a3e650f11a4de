"""Validate a parsed document against a model and report every problem with its line."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from techgate.errors import InputProblem, InvalidInputError
from techgate.loading.yaml_source import DocPath, Document
from techgate.model.problems import Problem, suggest

ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_document(model: type[ModelT], document: Document) -> ModelT:
    """Build the model from the document, or raise with every problem located."""
    if not isinstance(document.data, dict):
        raise InvalidInputError(
            [
                document.problem(
                    (),
                    f"expected a mapping of fields, got {_kind(document.data)}",
                    f"the file should start with keys such as {_example_keys(model)}",
                )
            ]
        )
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        raise InvalidInputError(_problems(model, document, error)) from None


def raise_if_any(document: Document, problems: Iterable[Problem]) -> None:
    """Turn model-level consistency problems into one located error."""
    located = [document.problem(p.path, p.message, p.hint) for p in problems]
    if located:
        raise InvalidInputError(located)


def _problems(
    model: type[BaseModel], document: Document, error: ValidationError
) -> list[InputProblem]:
    # Union members each report their own failure for the same field
    # ("not an int", "not 'n/a'"); merge them into one problem per field.
    merged: dict[DocPath, list[ErrorDetails]] = {}
    for detail in error.errors(include_url=False):
        merged.setdefault(_document_path(document.data, detail["loc"]), []).append(detail)
    problems = [_problem(model, document, path, details) for path, details in merged.items()]
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))


def _problem(
    model: type[BaseModel], document: Document, path: DocPath, details: list[ErrorDetails]
) -> InputProblem:
    first = details[0]
    kind = first["type"]
    if kind == "missing":
        name = path[-1]
        return document.problem(
            path,
            f"missing required field {name!r}",
            f"add '{name}:' here; 'techgate schema' lists every field",
        )
    if kind == "extra_forbidden":
        name = str(path[-1])
        allowed = _allowed_keys(model, path[:-1])
        if " " in name.strip():
            return document.problem(
                path,
                f"unknown field {name!r}",
                "text containing ': ' must be quoted, or it reads as a new key",
            )
        hint = suggest(name, allowed) or (
            f"allowed here: {', '.join(sorted(allowed))}" if allowed else ""
        )
        return document.problem(path, f"unknown field {name!r}", hint)
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return document.problem(
            path,
            f"expected a mapping, got {_kind(first['input'])}",
            "write 'key: value' lines indented under this field",
        )
    if kind in {"tuple_type", "list_type"}:
        return document.problem(
            path,
            f"expected a list, got {_kind(first['input'])}",
            "write one '- item' line per entry",
        )
    messages = [_message(d) for d in details]
    unique = list(dict.fromkeys(messages))
    message = " or ".join(m[0].lower() + m[1:] for m in unique)
    value = first.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        message += f"; got {shown(value)}"
    return document.problem(path, message, next(filter(None, map(_hint, details)), ""))


def _message(detail: ErrorDetails) -> str:
    message = str(detail["msg"])
    return message.removeprefix("Value error, ")


def _hint(detail: ErrorDetails) -> str:
    kind = str(detail["type"])
    if kind in {"union_tag_invalid", "literal_error", "enum"}:
        return "use one of the listed values exactly as written"
    if kind.startswith(("greater_than", "less_than")):
        return "use a value inside the range given"
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type"}:
        return "write dates as YYYY-MM-DD"
    if kind == "string_pattern_mismatch":
        return "ids use lower-case letters, digits, '-', '_' and '.'"
    return ""


def _document_path(data: Any, loc: tuple[int | str, ...]) -> DocPath:
    """The error's location as a path into the document.

    Pydantic inserts union branch names and discriminator tags into its
    locations ('gates', 0, 'min-criterion-score', 'criterion'); they are not
    keys of the document, so they are skipped.
    """
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
        elif not last:
            continue
        elif (isinstance(node, dict) and isinstance(part, str)) or (
            isinstance(node, list) and isinstance(part, int)
        ):
            node = None  # a key or item the document lacks (a missing field)
        else:
            # A union member's name after the value itself ('participants',
            # 'constrained-int'): the value is the place, for every member.
            continue
        path.append(part)
    return tuple(path)


def _allowed_keys(model: type[BaseModel], path: DocPath) -> set[str]:
    candidates: list[Any] = [model]
    for part in path:
        candidates = [step for c in candidates for step in _step(c, part)]
    return {
        name
        for c in candidates
        for option in _options(c)
        if isinstance(option, type) and issubclass(option, BaseModel)
        for name in option.model_fields
    }


def _options(annotation: Any) -> list[Any]:
    """The concrete types an annotation can hold (unwrapping Annotated, unions, Optional)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _options(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [o for arg in typing.get_args(annotation) for o in _options(arg)]
    return [annotation]


def _step(annotation: Any, part: str | int) -> list[Any]:
    steps: list[Any] = []
    for option in _options(annotation):
        origin = typing.get_origin(option)
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(part, str):
            field = option.model_fields.get(part)
            if field is not None:
                steps.append(field.annotation)
        elif origin in (tuple, list) and isinstance(part, int):
            steps.append(typing.get_args(option)[0])
        elif origin is dict:
            steps.append(typing.get_args(option)[1])
    return steps


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing (an empty value)"
    return f"{type(value).__name__} {shown(value)}"


# An echoed value is there to recognise it by, not to repeat the input: a
# 5,000-digit number or a pasted page is cut to its start.
SHOWN_CHARACTERS = 60


def shown(value: object) -> str:
    """The value as a message quotes it: its repr, cut short with its length said."""
    text = repr(value)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    length = len(value) if isinstance(value, str) else len(text)
    unit = "characters" if isinstance(value, str) else "digits"
    return f"{text[:SHOWN_CHARACTERS]}… ({length:,} {unit})"


def _example_keys(model: type[BaseModel]) -> str:
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    return ", ".join(f"'{n}'" for n in required[:4])
