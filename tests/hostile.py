"""Files over techgate's input limits, one for each way of crossing them.

Shared by tests/test_hostile_input.py (each is refused, located, through the
command line) and bench/bench_loading.py (how long the refusal takes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from techgate.loading.yaml_source import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GOOD = (EXAMPLES / "callback-queue.yaml").read_text(encoding="utf-8")
# YAML 1.2 that libyaml refuses, so that the file goes the slow parser's way.
COLONS = "links: {url: http://example.org/a, at: 10:30}\n"
ODD_ANCHOR = "base: &base.v1 [x, y]\nagain: *base.v1\n"


@dataclass(frozen=True)
class Hostile:
    """A file over a limit: its text, the message it must get and where (line, column)."""

    text: str
    message: str
    line: int | None
    column: int | None = None


def _fill(head: str, unit: str, tail: str = "") -> str:
    """head, then unit repeated to just under the size limit, then tail."""
    room = MAX_FILE_BYTES - len(head.encode()) - len(tail.encode()) - 64
    return head + unit * (room // len(unit.encode())) + tail


def _line_of(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _flow_item(head: str, unit: str, item: int) -> tuple[int, int]:
    """Line and column of the item-th (0-based) unit after head."""
    return _line_of(head + unit * item, len(head + unit * item))


def size() -> Hostile:
    return Hostile(
        "x: '" + "a" * MAX_FILE_BYTES + "'\n", f"techgate reads at most {MAX_FILE_BYTES:,}", None
    )


def size_of_good_proposal() -> Hostile:
    """A real proposal padded with comments past the limit: still refused unread."""
    padding = "# " + "x" * 78 + "\n"
    return Hostile(
        GOOD + padding * (MAX_FILE_BYTES // len(padding) + 1), "techgate reads at most", None
    )


def depth_flow() -> Hostile:
    """Half a mebibyte of '[': libyaml slows quadratically, ruamel's composer crashes."""
    head = "v: "
    text = _fill(head, "[]")
    text = head + "[" * ((len(text) - len(head)) // 2) + "]" * ((len(text) - len(head)) // 2)
    # The value at depth MAX_DEPTH + 1 is the (MAX_DEPTH + 1)-th '['; v itself is depth 1.
    return Hostile(text, f"nested more than {MAX_DEPTH} levels deep", 1, len(head) + MAX_DEPTH + 1)


def depth_block() -> Hostile:
    levels = MAX_DEPTH + 8
    text = "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "x\n"
    # The value of k0 is at depth 1, so k{MAX_DEPTH}'s is the first too deep; a value in a
    # mapping is located at its key.
    return Hostile(
        text, f"nested more than {MAX_DEPTH} levels deep", MAX_DEPTH + 1, 2 * MAX_DEPTH + 1
    )


def depth_compact() -> Hostile:
    """'- - - - x' on one line: each dash a level."""
    text = _fill("v:\n  ", "- ", "x\n")
    return Hostile(text, f"nested more than {MAX_DEPTH} levels deep", 2, 3 + 2 * MAX_DEPTH)


def depth_alias() -> Hostile:
    """Shallow where written, too deep where repeated."""
    half = MAX_DEPTH // 2 + 2
    text = "a: &deep " + "[" * half + "]" * half + "\nb: " + "[" * half + "*deep" + "]" * half
    return Hostile(
        text + "\n", f"nested more than {MAX_DEPTH} levels deep", 2, len("b: ") + half + 1
    )


def values_flow() -> Hostile:
    head = "v: ["
    text = _fill(head, "1, ", "1]\n")
    # The root and v are two values, so item MAX_VALUES - 2 is value MAX_VALUES + 1.
    line, column = _flow_item(head, "1, ", MAX_VALUES - 2)
    return Hostile(text, f"more than {MAX_VALUES:,} values", line, column)


def values_block_list() -> Hostile:
    text = _fill("v:\n", "- 1\n")
    return Hostile(text, f"more than {MAX_VALUES:,} values", MAX_VALUES, 3)  # item MAX_VALUES - 2


def values_keys() -> Hostile:
    keys = [f"k{i}: 1\n" for i in range(MAX_FILE_BYTES // 8)]
    text = "".join(keys)
    while len(text.encode()) > MAX_FILE_BYTES - 64:
        keys = keys[: len(keys) * 9 // 10]
        text = "".join(keys)
    # The root is one value; key k{MAX_VALUES - 1} holds value number MAX_VALUES + 1.
    return Hostile(text, f"more than {MAX_VALUES:,} values", MAX_VALUES, 1)


def values_in_proposal() -> Hostile:
    """A real proposal whose adds list goes on and on."""
    text = GOOD.replace("adds:\n", "adds:\n" + "  - more\n" * 60_000, 1)
    # Eleven values come before the list's items (the root, nine fields, 'adds' itself).
    adds = GOOD[: GOOD.index("adds:\n")].count("\n") + 1
    return Hostile(text, f"more than {MAX_VALUES:,} values", adds + 1 + MAX_VALUES - 11, 5)


def alias_bomb() -> Hostile:
    """Billion laughs: nine levels of nine aliases, 387 million values once expanded."""
    names = "abcdefghi"
    text = f"{names[0]}: &{names[0]} [" + ", ".join(["lol"] * 9) + "]\n"
    text += "".join(f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in pairwise(names))
    # Sizes: a holds 10, b 91, c 820, d 7,381, e 66,430: e's sixth alias crosses.
    return Hostile(text, "alias bomb", 5, len("e: &e [") + 5 * len("*d, ") + 1)


def alias_fan_out() -> Hostile:
    """One large anchor repeated: each alias cheap to write, each adds a thousand values."""
    text = "a: &a [" + ", ".join(["1"] * 999) + "]\nb: [" + ", ".join(["*a"] * 60) + "]\n"
    # The root, a (1,000 values), b's list: the 49th alias makes 50,002.
    return Hostile(text, "alias bomb", 2, len("b: [") + 48 * len("*a, ") + 1)


def colons_then_values() -> Hostile:
    """A construct libyaml refuses first, then too many values: still refused at C speed."""
    head = COLONS + "v: ["
    text = _fill(head, "1, ", "1]\n")
    # The root, links and its two values, v: item MAX_VALUES - 5 crosses.
    line, column = _flow_item(head, "1, ", MAX_VALUES - 5)
    return Hostile(text, f"more than {MAX_VALUES:,} values", line, column)


def colons_then_depth() -> Hostile:
    head = COLONS + "v: "
    text = _fill(head, "[]")
    body = (len(text) - len(head)) // 2
    text = head + "[" * body + "]" * body
    return Hostile(text, f"nested more than {MAX_DEPTH} levels deep", 2, 4 + MAX_DEPTH)


def odd_anchor_then_values() -> Hostile:
    head = ODD_ANCHOR + "v: ["
    text = _fill(head, "1, ", "1]\n")
    # root, base (3 values), again (3 more), v: item MAX_VALUES - 9 crosses.
    line, column = _flow_item(head, "1, ", MAX_VALUES - 8)
    return Hostile(text, f"more than {MAX_VALUES:,} values", line, column)


HOSTILE: dict[str, Callable[[], Hostile]] = {
    "size": size,
    "size, a real proposal padded": size_of_good_proposal,
    "depth, flow": depth_flow,
    "depth, block": depth_block,
    "depth, compact list": depth_compact,
    "depth, through an alias": depth_alias,
    "values, flow list": values_flow,
    "values, block list": values_block_list,
    "values, keys": values_keys,
    "values, in a proposal": values_in_proposal,
    "alias bomb": alias_bomb,
    "alias fan-out": alias_fan_out,
    "values after YAML 1.2 colons": colons_then_values,
    "depth after YAML 1.2 colons": colons_then_depth,
    "values after a YAML 1.2 anchor name": odd_anchor_then_values,
}
