"""Field docstrings, read from the source when a schema is exported.

Fields are documented mkdocs-style, by a string under each field. Pydantic
can read those itself (use_attribute_docstrings), but only by parsing every
class's source at import, which every command would pay; techgate reads
them here, only for 'techgate schema' and the tests.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache

from pydantic import BaseModel


@cache
def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Field name to its docstring, including fields inherited from base models."""
    docs: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        body = ast.parse(source).body[0]
        assert isinstance(body, ast.ClassDef)
        for statement, following in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs


def all_models() -> dict[str, type[BaseModel]]:
    """Every techgate model class by name (the names JSON Schema definitions use)."""
    from techgate.model._base import Frozen

    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [Frozen]
    while pending:
        klass = pending.pop()
        for sub in klass.__subclasses__():
            found[sub.__name__] = sub
            pending.append(sub)
    return found
