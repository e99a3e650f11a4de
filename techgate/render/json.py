"""The decision record as JSON: stable key order, fixed rounding, one trailing newline."""

from __future__ import annotations

import re

from techgate.model.evaluation import Evaluation

# Characters JSON may carry raw that other readers of the record take for line
# breaks (NEL, LS and PS: YAML, which 'techgate report' reads records with,
# JavaScript, Python's str.splitlines) or refuse (DEL and the other C1
# controls, U+FFFE and U+FFFF in YAML). Written as \u escapes, which every JSON
# reader turns back into the same character, so a record read back is the
# record that was written.
_ESCAPED = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def render_json(evaluation: Evaluation) -> str:
    return _ESCAPED.sub(_escape, evaluation.model_dump_json(indent=2)) + "\n"
