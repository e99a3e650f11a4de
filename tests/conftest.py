from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import techgate
from techgate.model import CriteriaPack

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = Path(__file__).resolve().parent / "cases"

# The intended outcome of every shipped example (the README promises these).
EXAMPLE_DECISIONS = {
    "callback-queue": "go",
    "chatbot-no-human": "no-go",
    "crm-consolidation": "conditional",
    "ivr-speech-recognition": "no-go",
    "speech-analytics-savings": "conditional",
    "self-service-portal-panel": "conditional",
    "generative-assistant-grounded": "conditional",
    "voicebot-projected-savings": "no-go",
    "agent-assist-drafts": "go",
    "sms-reminders-unchanged": "go",
}


def read_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text("utf-8"))


def baseline() -> dict[str, Any]:
    return copy.deepcopy(read_yaml(CASES / "baseline.yaml"))


def merge(base: Any, patch: Any) -> Any:
    """Mappings merge key by key; anything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(patch)


@pytest.fixture(scope="session")
def contact_centre() -> CriteriaPack:
    return techgate.load_criteria("contact-centre")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff).",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def records(contact_centre: CriteriaPack) -> dict[str, Any]:
    """The decision record of every example, evaluated once per session."""
    return {
        name: techgate.evaluate(techgate.load_proposal(EXAMPLES / f"{name}.yaml"), contact_centre)
        for name in EXAMPLE_DECISIONS
    }
