"""Organisations' own templates (--templates): confined to their folder, bounded when they run.

Their templates run in Jinja's immutable sandbox, so they can read the
record and nothing else. That alone does not stop a template from running
for ever or filling the memory ('x' * 10**10, nested range() loops, a macro
that calls itself twice). Here they also get:

- a loader that reads only regular files inside the folder, after following
  every symbolic link, of at most MAX_TEMPLATE_BYTES, as UTF-8;
- limits while they run: no range() longer than MAX_RANGE, no string or list
  longer than MAX_CHARS, no integer wider than MAX_INT_BITS, no format width
  beyond MAX_CHARS, at most MAX_MADE characters and items made in all, at most
  MAX_STEPS loop iterations, calls and filter uses, output of at most
  MAX_CHARS, and a wall-clock budget of RENDER_SECONDS checked at every step
  and every piece of output;
- every failure (a limit, a syntax or runtime error, endless recursion)
  reported as invalid input naming the template file and line.

The built-in templates are trusted and run without these limits.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import stat
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from jinja2 import (
    BaseLoader,
    Environment,
    Template,
    TemplateNotFound,
    TemplateRuntimeError,
    TemplateSyntaxError,
    nodes,
    pass_environment,
    pass_eval_context,
)
from jinja2.compiler import CodeGenerator, Frame
from jinja2.filters import (
    do_batch,
    do_center,
    do_format,
    do_indent,
    do_replace,
    do_tojson,
    do_wordwrap,
    sync_do_join,
    sync_do_slice,
    sync_do_sum,
)
from jinja2.loaders import split_template_path
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from techgate.errors import InvalidInputError, single_problem

RENDER_SECONDS = 10.0
"""Wall-clock time one template may take to render (the built-in ones take well under 0.1 s)."""
MAX_CHARS = 16_000_000
"""Longest output, string or list a template may make (built-in reports are under 200,000)."""
MAX_MADE = 128_000_000
"""Characters and items a template may make in all: many large values kept at once
(a list of 10,000 strings of 16 million characters) would fill the memory."""
MAX_STEPS = 1_000_000
"""Loop iterations, calls (macros, methods, globals) and filter uses in one render."""
MAX_RANGE = 10_000
"""Longest range() a template may ask for."""
MAX_INT_BITS = 100_000
"""Widest integer a template may compute (about 30,000 digits)."""
MAX_TEMPLATE_BYTES = 1024 * 1024
"""Largest template (or included file) read from the organisation's folder."""

HINT = "templates may only read the record ('ctx') and lay it out; see docs/security.md"


class TemplateLimitError(TemplateRuntimeError):
    """A template went beyond one of the limits above."""


# --- The budget of the render under way ------------------------------------


@dataclass
class _Budget:
    deadline: float
    steps: int = field(default=0)
    made: int = field(default=0)

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(
                f"more than {MAX_STEPS:,} loop iterations, calls and filters; "
                "the template runs too long (endless or nested loops?)"
            )
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"rendering took longer than {RENDER_SECONDS:g} seconds")

    def make(self, length: int) -> None:
        self.made += length
        if self.made > MAX_MADE:
            raise TemplateLimitError(
                f"more than {MAX_MADE:,} characters and items made in all; "
                "the template would fill the memory"
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "techgate_template_budget", default=None
)


def _step() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()


def _check_length(length: int, what: str) -> None:
    if length > MAX_CHARS:
        raise TemplateLimitError(
            f"{what} would be {length:,} long; templates may make at most {MAX_CHARS:,}"
        )


def _sized(value: Any) -> Any:
    """The value, if it is within the limits on strings, lists and integers."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        _check_length(len(value), f"a {type(value).__name__}")
        budget = _BUDGET.get()
        if budget is not None:
            budget.make(len(value))
    elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"an integer wider than {MAX_INT_BITS:,} bits")
    return value


def _check_count(count: Any, what: str) -> None:
    if isinstance(count, int) and count > MAX_RANGE:
        raise TemplateLimitError(f"{what} of {count:,}; templates may use at most {MAX_RANGE:,}")


def _capped_range(*args: int) -> range:
    numbers = range(*args)
    _check_count(len(numbers), "range()")
    return numbers


# Width and precision in '%' formats ('%-20s', '%.2f'); '*' takes them from the arguments.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d*)(?:\.(\*|\d*))?")
_DIGITS = re.compile(r"\d+")


def _check_percent_format(text: str) -> None:
    for match in _PERCENT_SPEC.finditer(text):
        for part in match.groups():
            if part == "*":
                raise TemplateLimitError("'*' widths in '%' formats are not allowed in templates")
            if part:
                _check_length(int(part), "a format width")


def _check_format_spec(spec: str) -> None:
    for digits in _DIGITS.findall(spec):
        _check_length(int(digits), "a format width")


class _CappedFormatter(SandboxedFormatter):
    """str.format in templates, with widths and precisions held to MAX_CHARS."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        return super().format_field(value, format_spec)


class _CappedEscapeFormatter(_CappedFormatter, SandboxedEscapeFormatter):
    pass


# --- Operators and calls -----------------------------------------------------


_SEQUENCES = (str, bytes, list, tuple)


def _repeat_length(left: Any, right: Any) -> int | None:
    """The length of 'left * right' if it repeats a string or a list, else None."""
    if isinstance(left, _SEQUENCES) and isinstance(right, int):
        return len(left) * max(right, 0)
    if isinstance(right, _SEQUENCES) and isinstance(left, int):
        return len(right) * max(left, 0)
    return None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    both_int = isinstance(left, int) and isinstance(right, int)
    if operator == "*":
        length = _repeat_length(left, right)
        if length is not None:
            _check_length(length, "a repeated string or list")
        elif both_int and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(f"an integer wider than {MAX_INT_BITS:,} bits")
    elif operator == "**":
        if both_int and right > 0 and right * (abs(left).bit_length() - 1) > MAX_INT_BITS:
            raise TemplateLimitError(f"an integer wider than {MAX_INT_BITS:,} bits")
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _check_length(len(left) + len(right), "a joined string or list")
    elif operator == "%" and isinstance(left, str):
        _check_percent_format(left)


# String methods whose result size no cheap check can bound beforehand
# (translate maps a character to any string) or that lead to bytes.
_UNBOUNDED_STR_METHODS = frozenset({"translate", "encode", "maketrans"})


# Methods of strings whose result can be far longer than the string.
def _check_str_method(text: str, name: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        _check_length(args[0], f"str.{name}()")
    elif name == "expandtabs" and args and isinstance(args[0], int):
        _check_length(len(text) + text.count("\t") * args[0], "str.expandtabs()")
    elif name == "replace" and len(args) >= 2:
        _check_replace(text, str(args[0]), str(args[1]), args[2] if len(args) > 2 else None)
    elif name == "join" and args:
        items = list(args[0])
        _check_join(text, items)
        return (items, *args[1:])
    return args


def _check_replace(text: str, old: str, new: str, count: Any) -> None:
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    _check_length(len(text) + found * (len(new) - len(old)), "a replaced string")


def _check_join(separator: str, items: list[Any]) -> None:
    strings = sum(len(item) for item in items if isinstance(item, str))
    _check_length(strings + len(separator) * max(len(items) - 1, 0), "a joined string")


# --- Filters -----------------------------------------------------------------


def _center(value: Any, width: int = 80) -> str:
    _check_length(width if isinstance(width, int) else 0, "a centred string")
    return do_center(value, width)


def _indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = str(s)
    indention = len(width) if isinstance(width, str) else width
    _check_length(len(text) + (text.count("\n") + 1) * indention, "an indented string")
    return do_indent(s, width, first, blank)


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    _check_percent_format(str(value))
    return do_format(value, *args, **kwargs)


@pass_eval_context
def _join(eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    _check_join(str(d), items)
    return sync_do_join(eval_ctx, items, d, attribute)


@pass_eval_context
def _replace(eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None) -> str:
    _check_replace(str(s), str(old), str(new), count)
    return do_replace(eval_ctx, s, old, new, count)


def _batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Iterator[list[Any]]:
    _check_length(linecount, "a batch")
    return do_batch(value, linecount, fill_with)


def _slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> Iterator[list[Any]]:
    _check_count(slices, "slice()")
    return sync_do_slice(list(value), slices, fill_with)


@pass_environment
def _sum(
    environment: Environment, iterable: Iterable[Any], attribute: Any = None, start: Any = 0
) -> Any:
    if not isinstance(start, int | float):
        raise TemplateLimitError("sum() adds numbers only in templates")
    return sync_do_sum(environment, iterable, attribute, start)


def _wordwrap(
    environment: Any,
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    # Each break inserts the wrap string: its length times the breaks is the cost.
    if wrapstring is not None and len(str(wrapstring)) > 16:
        raise TemplateLimitError("wordwrap's wrapstring may be at most 16 characters")
    if isinstance(width, int) and width < 1:
        raise TemplateLimitError("wordwrap's width must be at least 1")
    return do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


def _tojson(eval_ctx: EvalContext, value: Any, indent: int | None = None) -> Markup:
    # The indent is repeated on every line, in C, before any cap could look.
    if indent is not None and (not isinstance(indent, int) or indent > 16):
        raise TemplateLimitError("tojson's indent may be at most 16")
    return do_tojson(eval_ctx, value, indent)


_CHECKED_FILTERS: dict[str, Callable[..., Any]] = {
    "wordwrap": pass_environment(_wordwrap),
    "tojson": pass_eval_context(_tojson),
    "center": _center,
    "indent": _indent,
    "format": _format,
    "join": _join,
    "replace": _replace,
    "batch": _batch,
    "slice": _slice,
    "sum": _sum,
}


def _size_checked(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, its result held to the size limits (it keeps the filter's pass_* marks)."""

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _step()
        return _sized(function(*args, **kwargs))

    return checked


def _bounded_iteration(value: Any) -> Iterator[Any]:
    """What a {% for %} loop iterates: the value, one budget step per item."""
    for item in value:
        _step()
        yield item


def _bounded_join(pieces: Iterable[str]) -> str:
    """Jinja's concat (macro bodies, {% set %} and {% filter %} blocks), held to MAX_CHARS."""
    parts = list(pieces)
    _check_length(sum(map(len, parts)), "a block of output")
    return "".join(parts)


# Private filter names the code generator inserts around loops and '~'.
_ITERATE = "_techgate_iterate"
_SIZED = "_techgate_sized"


class _Guards(NodeTransformer):
    """Every {% for %} iterates through the budget; every '~' result is size-checked."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, _ITERATE)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, _SIZED)


def _filter(node: nodes.Node, name: str) -> nodes.Filter:
    wrapped = nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)
    if node.environment is not None:
        wrapped.set_environment(node.environment)
    return wrapped


class _BoundedCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        super().visit_Template(_Guards().visit(node), frame)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the limits above on what a template may compute."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(_bounded_join)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No constant folding: nothing of a template runs while it is compiled.
        super().__init__(*args, optimized=False, **kwargs)
        self.globals["range"] = _capped_range
        self.globals.pop("lipsum", None)  # random text, and as much of it as asked for
        filters = {**self.filters, **_CHECKED_FILTERS}
        self.filters = {name: _size_checked(f) for name, f in filters.items()}
        self.filters[_ITERATE] = _bounded_iteration
        self.filters[_SIZED] = _sized

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _sized(super().call_binop(context, operator, left, right))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # The record's own serialisers (model_dump_json(indent=10**9)) and
        # byte strings allocate in C before any cap could look: templates
        # read fields, they do not call the model's machinery.
        if attr.startswith("model_") or isinstance(obj, bytes | bytearray):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _step()
        method_of = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(method_of, str) and name in _UNBOUNDED_STR_METHODS:
            raise TemplateLimitError(f"str.{name}() is not available to templates")
        if isinstance(method_of, str):
            args = _check_str_method(method_of, getattr(obj, "__name__", ""), args)
        return _sized(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # As Jinja's own, with the formatter that holds widths to MAX_CHARS.
        if super().wrap_str_format(value) is None:
            return None
        text: str = value.__self__
        is_format_map = value.__name__ == "format_map"
        formatter: SandboxedFormatter
        if isinstance(text, Markup):
            formatter = _CappedEscapeFormatter(self, escape=text.escape)
        else:
            formatter = _CappedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_format_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            return type(text)(_sized(formatter.vformat(text, args, kwargs)))

        return functools.update_wrapper(wrapper, value)


# --- Reading templates ---------------------------------------------------------


class ConfinedLoader(BaseLoader):
    """Templates from one folder, and only from it.

    The same rule as the PDF fetcher's: a template, an include or a folder on
    the way that is a symbolic link to somewhere outside the folder is
    refused, and so is anything that is not a regular file (a pipe, a
    device, a folder) or larger than MAX_TEMPLATE_BYTES; a name that is not
    there at all falls back to the built-in templates.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.root = folder.resolve()

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        shown = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(shown):
            raise TemplateNotFound(template)
        real = Path(os.path.realpath(shown))
        if not real.is_relative_to(self.root):
            raise single_problem(
                str(shown),
                f"is a link to {real}, outside the template folder {self.folder}",
                "templates and everything they include must be inside the --templates folder",
            )
        data, mtime = _read_template(shown, real)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise single_problem(
                str(shown),
                f"is not UTF-8 text (byte {error.start + 1:,} cannot be read)",
                "save the template as UTF-8",
                line=data[: error.start].count(b"\n") + 1,
            ) from None

        def uptodate() -> bool:
            try:
                return shown.stat().st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(shown), uptodate


def _read_template(shown: Path, real: Path) -> tuple[bytes, int]:
    """The bytes of a regular file of at most MAX_TEMPLATE_BYTES, checked on the open file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(real, flags)
    except OSError as error:
        raise single_problem(
            str(shown), f"cannot be read: {error.strerror}", "check the template file"
        ) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise single_problem(
                str(shown),
                "is not a regular file (a folder, pipe or device)",
                "a template must be a plain text file",
            )
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise single_problem(
                str(shown),
                f"is {info.st_size:,} bytes; templates may be at most {MAX_TEMPLATE_BYTES:,}",
                "split it up, or remove what it does not need",
            )
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            data = handle.read(MAX_TEMPLATE_BYTES + 1)
        if len(data) > MAX_TEMPLATE_BYTES:
            raise single_problem(str(shown), "grew while it was read", "try again")
        return data, info.st_mtime_ns
    finally:
        os.close(descriptor)


# --- Rendering -------------------------------------------------------------------


def render_bounded(
    environment: Environment, name: str, folders: Iterable[Path], **context: Any
) -> str:
    """The template's output within the limits, or InvalidInputError naming file and line."""
    folders = tuple(folders)
    token = _BUDGET.set(_Budget(time.monotonic() + RENDER_SECONDS))
    template: Template | None = None
    try:
        template = environment.get_template(name)
        chunks: list[str] = []
        size = 0
        stream = cast(Generator[str, None, None], template.generate(**context))
        for chunk in stream:
            size += len(chunk)
            try:
                _check_length(size, "the output")
                _step()
            except TemplateLimitError as error:
                # Raised where the template stands, so that its line is known.
                stream.throw(error)
                raise
            chunks.append(chunk)
        return "".join(chunks)
    except InvalidInputError:
        raise
    except TemplateSyntaxError as error:
        raise single_problem(
            error.filename or _fallback(template, folders),
            error.message or "syntax error",
            "fix the template's syntax",
            line=error.lineno,
        ) from None
    except Exception as error:
        raise _template_problem(error, template, folders) from None
    finally:
        _BUDGET.reset(token)


def _fallback(template: Template | None, folders: tuple[Path, ...]) -> str:
    if template is not None and template.filename:
        return template.filename
    return str(folders[0])


def _template_problem(
    error: BaseException, template: Template | None, folders: tuple[Path, ...]
) -> InvalidInputError:
    """The error as a problem at the innermost template line it came from."""
    file, line = _fallback(template, folders), None
    for frame_file, frame_line in _frames(error.__traceback__):
        if any(_is_inside(frame_file, folder) for folder in folders):
            file, line = frame_file, frame_line
    if isinstance(error, RecursionError):
        message = "calls or includes itself without end (recursion too deep)"
    elif isinstance(error, TemplateLimitError):
        message = f"went over a limit: {error}"
    elif isinstance(error, MemoryError):
        message = "ran out of memory"
    else:
        message = f"failed: {type(error).__name__}: {error}"
    return single_problem(file, f"template {message}", HINT, line=line)


def _frames(traceback: TracebackType | None) -> Iterator[tuple[str, int]]:
    while traceback is not None:
        yield traceback.tb_frame.f_code.co_filename, traceback.tb_lineno
        traceback = traceback.tb_next


def _is_inside(file: str, folder: Path) -> bool:
    return Path(file).is_relative_to(folder)
