"""The decision record as JSON: stable key order, fixed rounding, one trailing newline."""

from __future__ import annotations

import re

from pydantic import BaseModel

from techgate.model.evaluation import Evaluation

# Characters JSON may carry raw that other readers of the record take for line
# breaks (NEL, LS and PS: YAML, which 'techgate report' reads records with,
# JavaScript, Python's str.splitlines) or refuse (DEL and the other C1
# controls, U+FFFE and U+FFFF in YAML). Written as \u escapes, which every JSON
# reader turns back into the same character, so a record read back is the
# record that was written.
# The invisible controls that reorder or hide text (bidi marks and overrides,
# zero-width space, BOM) are escaped too: JSON is read in terminals and
# editors as well.
_ESCAPED = re.compile(
    "[\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]"
)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def render_json(evaluation: Evaluation) -> str:
    return json_text(evaluation)


def json_text(model: BaseModel) -> str:
    """Any model as techgate writes JSON: two-space indent, risky characters escaped."""
    return escape_risky(model.model_dump_json(indent=2)) + "\n"


def escape_risky(json_document: str) -> str:
    """JSON text with the characters above written as \\u escapes (the same JSON value)."""
    return _ESCAPED.sub(_escape, json_document)
