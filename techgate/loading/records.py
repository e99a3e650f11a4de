"""Read a saved decision record (JSON) back into an Evaluation."""

from __future__ import annotations

from pathlib import Path

from techgate.loading.validation import validate_document
from techgate.loading.yaml_source import read_yaml_file
from techgate.model.evaluation import Evaluation


def read_evaluation(path: Path) -> Evaluation:
    """A record written by 'techgate evaluate'; JSON is YAML, so errors keep their lines."""
    return validate_document(Evaluation, read_yaml_file(path, allow_tabs=True))
