"""Shared base for every techgate model: frozen, strict about unknown keys."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Self

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
        # No fact or figure is NaN or infinite; JSON cannot carry them either,
        # so a record holding one could not be read back.
        allow_inf_nan=False,
    )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with 'update', a new model validated from this one's fields and the changes.

        pydantic's own copy carries over the instance dictionary, and with it
        every cached figure (a pack's sha256 and indicator index, a proposal's
        sha256): a record made from a changed copy would name the original's
        hash. A changed copy is therefore built afresh and validated, so no
        stale cache and no invalid value can survive; an unchanged copy drops
        the caches too.
        """
        if update:
            data = {name: getattr(self, name) for name in type(self).model_fields}
            data.update(update)
            return type(self).model_validate(data)
        copy = super().model_copy(deep=deep)
        _forget_cached(copy)
        return copy


# BaseModel keeps these four in slots; their descriptors set them directly,
# past the frozen model's __setattr__, at about a third of the cost of
# object.__setattr__ by name.
_slots = BaseModel.__dict__
_set_dict = _slots["__dict__"].__set__
_set_fields = _slots["__pydantic_fields_set__"].__set__
_set_extra = _slots["__pydantic_extra__"].__set__
_set_private = _slots["__pydantic_private__"].__set__
_new = object.__new__
_FIELD_NAMES: dict[type, set[str]] = {}


def _field_names(cls: type[BaseModel]) -> set[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = set(cls.model_fields)
    return names


_CACHED: dict[type, frozenset[str]] = {}


def cached_names(cls: type) -> frozenset[str]:
    """Names of the class's cached properties: they live in the instance dictionary."""
    names = _CACHED.get(cls)
    if names is None:
        names = _CACHED[cls] = frozenset(
            name
            for klass in cls.__mro__
            for name, value in vars(klass).items()
            if isinstance(value, cached_property)
        )
    return names


def _forget_cached(model: BaseModel) -> None:
    for name in cached_names(type(model)):
        model.__dict__.pop(name, None)


def replaced(model: BaseModel, **changes: Any) -> Any:
    """A shallow copy of a validated model with some fields swapped, unvalidated.

    For values the caller derived from the model itself (the same items in
    another order), where model_copy's deep bookkeeping costs more than the
    work it guards.
    """
    copy = _new(type(model))
    values = {**model.__dict__, **changes}
    for name in cached_names(type(model)):
        values.pop(name, None)  # a cached figure of the original is not the copy's
    _set_dict(copy, values)
    _set_fields(copy, model.__pydantic_fields_set__)
    _set_extra(copy, model.__pydantic_extra__)
    _set_private(copy, model.__pydantic_private__)
    return copy


class Record(Frozen):
    """A frozen model the engine builds from data it computed itself.

    Inputs are validated where they enter (files, mappings, HTTP bodies);
    the engine's own results need no second check, so 'trusted' builds one
    without validation. Every field must be given, with the exact type the
    model declares: a test re-validates every record the engine makes and
    compares the JSON byte for byte.
    """

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        record = _new(cls)
        _set_dict(record, values)
        # Every field is always given, so every record of a class has the same
        # set of fields set; they share one (records are frozen, and pydantic
        # copies the set before it changes one, as in model_copy(update=...)).
        _set_fields(record, _FIELD_NAMES.get(cls) or _field_names(cls))
        _set_extra(record, None)
        _set_private(record, None)
        return record
