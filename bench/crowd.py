"""A proposal scored by many assessors, for the render benchmark and the report tests.

    python bench/crowd.py 1000 > crowd.yaml

It is the shipped panel example (three assessors who disagree) with its
assessments replaced by `count` generated ones. Each assessor answers every
indicator the panel answered: mostly within a level of the panel's median,
a few two or more levels away (the outliers a report must name), now and
then 'n/a' where the pack allows it, sometimes with a note or evidence. A
fixed seed makes the same count give the same file, so reports of it are
reproducible byte for byte.
"""

from __future__ import annotations

import copy
import random
import statistics
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT / "examples" / "self-service-portal-panel.yaml"
# Indicators of the contact-centre pack that allow 'n/a'.
NOT_APPLICABLE_ALLOWED = frozenset({"channel-valued", "insight-return", "choice-and-control"})
TEAMS = ("Ops", "IT", "Panel", "Finance", "Risk", "Service", "HR", "Legal")


def _panel() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(PANEL.read_text("utf-8"))
    return data


def _level(answer: Any) -> int:
    return int(answer["score"] if isinstance(answer, dict) else answer)


def crowd_proposal(
    count: int, *, seed: int = 11, outliers: float = 0.03, noise: float = 0.4
) -> dict[str, Any]:
    """The panel example as `count` assessors would have scored it.

    Each answer is two or more levels from the panel's median with chance
    `outliers`, else one level off with chance `noise`, else at the median.
    """
    data = copy.deepcopy(_panel())
    panel = data["assessments"]
    centre = {
        key: round(statistics.median(_level(a["scores"][key]) for a in panel))
        for key in panel[0]["scores"]
    }
    evidence = [item["id"] for item in data["evidence"]]
    rng = random.Random(seed)
    assessments = []
    width = len(str(count))
    for number in range(1, count + 1):
        team = TEAMS[number % len(TEAMS)]
        scores: dict[str, Any] = {}
        for key, middle in centre.items():
            draw = rng.random()
            if key in NOT_APPLICABLE_ALLOWED and draw < 0.02:
                scores[key] = "n/a"
                continue
            if draw < outliers:
                level = 0 if middle >= 2 else 4
            elif rng.random() < noise:
                level = min(4, max(0, middle + rng.choice((-1, 1))))
            else:
                level = middle
            if rng.random() < 0.05:
                scores[key] = {
                    "score": level,
                    "evidence": [rng.choice(evidence)],
                    "note": f"Seen in session {rng.randint(1, 40)}.",
                }
            else:
                scores[key] = level
        assessments.append(
            {
                "assessor": f"{team} – assessor {number:0{width}d}",
                "role": f"{team} reviewer",
                "date": data["assessments"][-1]["date"],
                "scores": scores,
            }
        )
    data["id"] = f"crowd-{count}"
    data["title"] = f"Self-service portal for account changes, {count:,} assessors"
    data["assessments"] = assessments
    return data


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    yaml = YAML()
    yaml.default_flow_style = None
    yaml.representer.ignore_aliases = lambda *_: True
    yaml.dump(crowd_proposal(count), sys.stdout)


if __name__ == "__main__":
    main()
