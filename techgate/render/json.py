"""The decision record as JSON: stable key order, fixed rounding, one trailing newline."""

from __future__ import annotations

from techgate.model.evaluation import Evaluation


def render_json(evaluation: Evaluation) -> str:
    return evaluation.model_dump_json(indent=2) + "\n"
