"""A fact of the proposal changed by its dotted path: 'human_escalation.minutes_to_person=3'.

The path names fields of the proposal's model (checked against the model, so
a path that cannot exist is refused even where the proposal states nothing),
and items of a list by their position ('segments[0]', 'segments.0') or their
name ('segments[Customers over 75]'); one past the last item, or '[+]', adds an
item.
The value is YAML, read with every limit a file has; 'null' removes the fact,
or the item. The changed proposal is a validated model_copy: a value of the
wrong type is a problem naming the option.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from techgate.errors import InvalidInputError
from techgate.loading import Document, parse_yaml_text
from techgate.loading.validation import validate_document
from techgate.model.criteria import CriteriaPack
from techgate.model.proposal import Proposal
from techgate.model.whatif import ChangeRequest
from techgate.whatif.changes import Applied, changed
from techgate.whatif.requests import ORIGIN, close_to, problem, refused, split

# Parts of a proposal that are not facts: each has its own way of changing.
NOT_FACTS = {
    "assessments": "assessors' answers change with --answer NAME:INDICATOR=LEVEL, or all with "
    "--score INDICATOR=LEVEL",
    "moderation": "the panel's moderated answers change with --score INDICATOR=LEVEL",
    "pack": "the pack is chosen with --pack",
}
_REMOVE_WORDS = frozenset({"null", "Null", "NULL", "~"})
# A path: names joined by dots, each optionally followed by [item] selectors.
_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[[^\[\]]*\])*")
_STEP = re.compile(r"\[([^\[\]]*)\]|([^.\[\]]+)")
# Fields by which an item of a list is known, in the order they are tried.
_ITEM_NAMES = ("name", "id", "text", "title")
_WORDS_CHARS = 80


class _Remove:
    """The value that removes a fact."""


REMOVE = _Remove()


class ItemName(str):
    """An item of a list named in brackets: 'segments[Customers over 75]'."""

    __slots__ = ()


Step = str | int


def apply_fact(request: ChangeRequest, proposal: Proposal, pack: CriteriaPack) -> Applied:
    target, text = split(request)
    steps = _steps(request, target)
    top = steps[0]
    if not isinstance(top, str) or top not in Proposal.model_fields:
        raise refused(
            request,
            f"the proposal has no fact {str(top)!r}",
            close_to(str(top), [f for f in Proposal.model_fields if f not in NOT_FACTS]),
        )
    if top in NOT_FACTS:
        raise refused(request, f"{top!r} is not a fact", NOT_FACTS[top])
    value = REMOVE if text in _REMOVE_WORDS else _value(request, text)
    current = _dumped(getattr(proposal, top))
    before = _at(current, steps[1:])
    edited = _Editor(request, value).edit(
        current, Proposal.model_fields[top].annotation, steps[1:], [top]
    )
    new_value = _default(request, top) if edited is REMOVE else edited
    try:
        result = proposal.model_copy(update={top: new_value})
    except ValidationError:
        raise _invalid(request, proposal, top, new_value) from None
    path = _path_words(steps)
    after = "none" if value is REMOVE else _words(value)
    words = f"{path} {_words(before)} → {after}"
    return Applied(changed(request, path, _words(before), after, words), result, pack)


def _default(request: ChangeRequest, top: str) -> Any:
    """What a proposal that leaves the fact out has: its default (none, or an empty list)."""
    field = Proposal.model_fields[top]
    if field.is_required():
        raise refused(
            request,
            f"{top!r} is required: every proposal states it",
            "change it to another value instead",
        )
    return field.get_default(call_default_factory=True)


def _steps(request: ChangeRequest, target: str) -> list[Step]:
    if not _PATH.fullmatch(target):
        raise refused(
            request,
            f"{target!r} is not a path",
            "name fields joined by dots, items by [position] or [name], such as "
            "'human_escalation.minutes_to_person' or 'segments[0].ability'",
        )
    steps: list[Step] = []
    for bracketed, named in _STEP.findall(target):
        part = (bracketed or named).strip()
        if part.isdigit() and part.isascii():
            steps.append(int(part))
        else:
            steps.append(ItemName(part) if bracketed else part)
    return steps


def _value(request: ChangeRequest, text: str) -> Any:
    try:
        return parse_yaml_text(text, "<value>").data
    except InvalidInputError as error:
        raise InvalidInputError(
            problem(
                request,
                f"the value is not YAML: {p.message}",
                "quote text that holds ': ' or starts with [ { & * ! | > ' or \"",
            )
            for p in error.problems
        ) from None


def _dumped(value: Any) -> Any:
    """A part of the proposal as plain data, to edit and validate again."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python")
    if isinstance(value, tuple):
        return [_dumped(item) for item in value]
    return value


def _at(node: Any, steps: list[Step]) -> Any:
    """The value at the path, or None where the proposal states nothing."""
    for step in steps:
        if isinstance(node, dict) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list | tuple):
            index = _index_of(node, step)
            node = node[index] if index is not None and index < len(node) else None
        else:
            return None
    return node


def _index_of(items: list[Any] | tuple[Any, ...], step: Step) -> int | None:
    if isinstance(step, int):
        return step
    if step == "+":
        return len(items)
    for key in _ITEM_NAMES:
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get(key) == step:
                return index
    folded = step.casefold()
    for key in _ITEM_NAMES:
        for index, item in enumerate(items):
            if isinstance(item, dict) and str(item.get(key, "")).casefold() == folded:
                return index
    return None


def _shape(annotation: Any) -> tuple[str, Any]:
    """('model', class), ('items', item annotation) or ('value', None)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _shape(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        options = [a for a in get_args(annotation) if a is not type(None)]
        shapes = [_shape(a) for a in options]
        # A count is a number or {at_least: N}: a path going on means the model.
        for kind in ("model", "items"):
            for shape in shapes:
                if shape[0] == kind:
                    return shape
        return ("value", None)
    if origin is tuple:
        return ("items", get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model", annotation)
    return ("value", None)


class _Editor:
    """Walks the path through the model's types and the proposal's data together."""

    def __init__(self, request: ChangeRequest, value: Any) -> None:
        self.request = request
        self.value = value

    def edit(self, node: Any, annotation: Any, steps: list[Step], walked: list[Step]) -> Any:
        if not steps:
            return self.value
        kind, inner = _shape(annotation)
        if kind == "model":
            return self._field(node, inner, steps, walked)
        if kind == "items":
            return self._item(node, inner, steps, walked)
        raise refused(
            self.request,
            f"{_path_words(walked)} is a single value; it has no part {str(steps[0])!r}",
        )

    def _field(
        self, node: Any, model: type[BaseModel], steps: list[Step], walked: list[Step]
    ) -> Any:
        step = steps[0]
        fields = model.model_fields
        if not isinstance(step, str) or step not in fields:
            raise refused(
                self.request,
                f"{_path_words(walked)} has no fact {str(step)!r}",
                close_to(str(step), fields) or f"its facts: {', '.join(fields)}",
            )
        if node is None and self.value is REMOVE:
            return None  # nothing stated, nothing to remove
        data = dict(node) if isinstance(node, dict) else {}
        new = self.edit(data.get(step), fields[step].annotation, steps[1:], [*walked, step])
        if new is REMOVE:
            data.pop(step, None)
        else:
            data[step] = new
        return data

    def _item(self, node: Any, annotation: Any, steps: list[Step], walked: list[Step]) -> Any:
        items = list(node or ())
        step = steps[0]
        index = _index_of(items, step)
        here = _path_words([*walked, step])
        if index is None:
            raise refused(
                self.request,
                f"{_path_words(walked)} has no item {step!r}",
                "name an item by its position from 0, or by its name",
            )
        adding = index == len(items) and len(steps) == 1 and self.value is not REMOVE
        if index >= len(items) and not adding:
            raise refused(
                self.request,
                f"{here} does not exist: {_path_words(walked)} has {len(items)} item"
                f"{'s' if len(items) != 1 else ''}",
                f"positions run from 0; [{len(items)}] or [+] adds an item",
            )
        new = self.edit(None if adding else items[index], annotation, steps[1:], [*walked, step])
        if new is REMOVE:
            del items[index]
        elif adding:
            items.append(new)
        else:
            items[index] = new
        return items


def _invalid(request: ChangeRequest, proposal: Proposal, top: str, value: Any) -> InvalidInputError:
    """The problems of the changed proposal, worded as a file's would be, naming the option."""
    # The loader's wording (union members merged, 'missing required field',
    # hints for ranges, dates and enums), from the proposal as plain data.
    data = {name: _dumped(getattr(proposal, name)) for name in Proposal.model_fields}
    data[top] = value
    try:
        validate_document(Proposal, Document(ORIGIN, data))
    except InvalidInputError as error:
        return InvalidInputError(
            problem(request, f"{p.field}: {p.message}" if p.field else p.message, p.hint)
            for p in error.problems
        )
    return refused(request, "the changed proposal is not valid")  # pragma: no cover


def _path_words(steps: list[Step]) -> str:
    """The path as a person writes it: 'segments[0].ability'."""
    text = ""
    for step in steps:
        if isinstance(step, int | ItemName):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


def _plain(value: Any) -> Any:
    """Whole numbers shown whole (8, not 8.0), enums by their value, in nested data too."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _words(value: Any) -> str:
    """A value as a committee reads it, on one line."""
    if value is None or value is REMOVE:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(_plain(value), ensure_ascii=False, default=str, separators=(", ", ": "))
    return text if len(text) <= _WORDS_CHARS else text[: _WORDS_CHARS - 1] + "…"
