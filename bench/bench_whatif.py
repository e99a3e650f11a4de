"""Time per what-if change, interleaved with a plain evaluation of the same proposal.

    python bench/bench_whatif.py [--rounds 41] [--repeat 20] [--process 5]

One process. Each round times, in turn, a plain evaluation (api.evaluate of
the loaded proposal: the floor) and one session.apply of each kind of change
(weight, score, answer, fact), a fact with the WhatIf a screen shows
(before → after and the record diff), and all four, each as the mean of
--repeat calls; rounds
interleave them so that the machine's load falls on all alike. It prints the
median per call, the spread over rounds (the 10th to the 90th percentile:
the noise) and the ratio to the plain evaluation per round, for a panel of
three assessors (self-service-portal-panel) and two (generative-assistant-grounded).
With --process N it also times 'techgate whatif' N times in fresh processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from techgate import api  # noqa: E402
from techgate.model.whatif import ChangeKind, ChangeRequest  # noqa: E402

CASES = {
    "self-service-portal-panel": {
        "weight": "safety=30",
        "score": "privacy=2",
        "answer": "Maria:accuracy=1",
        "fact": "human_escalation.minutes_to_person=3",
    },
    "generative-assistant-grounded": {
        "weight": "safety.privacy=4",
        "score": "accuracy=4",
        "answer": "Priya:accuracy=2",
        "fact": "human_escalation.minutes_to_person=5",
    },
}


def timed(call: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - start) / repeat * 1000


def spread(values: list[float]) -> str:
    deciles = statistics.quantiles(values, n=10)
    return f"{deciles[0]:.2f}-{deciles[-1]:.2f}"


def bench_case(name: str, changes: dict[str, str], rounds: int, repeat: int) -> None:
    loaded = api.load(ROOT / "examples" / f"{name}.yaml")
    session = api.whatif_session(loaded)
    requests = {
        kind: ChangeRequest(kind=ChangeKind(kind), text=text) for kind, text in changes.items()
    }
    calls: dict[str, Callable[[], object]] = {"evaluate": lambda: api.evaluate(loaded)}
    for kind, request in requests.items():
        calls[kind] = lambda request=request: session.apply(request)  # type: ignore[misc]
    # What a screen shows after a change: the change applied and the before → after.
    calls["fact + result"] = lambda: session.apply(requests["fact"]).result()
    calls["all four"] = lambda: session.apply_all(requests.values())
    for call in calls.values():  # warm-up: imports, caches keyed by the pack
        call()
    times: dict[str, list[float]] = {key: [] for key in calls}
    for _ in range(rounds):
        for key, call in calls.items():
            times[key].append(timed(call, repeat))
    base = times["evaluate"]
    print(f"\n{name} ({len(loaded.proposal.assessments)} assessors), {rounds} rounds of {repeat}")
    print(f"{'':14} {'median ms':>10} {'p10-p90 ms':>14} {'× evaluate':>11}")
    for key, values in times.items():
        ratios = [value / floor for value, floor in zip(values, base, strict=True)]
        print(
            f"{key:14} {statistics.median(values):10.2f} {spread(values):>14} "
            f"{statistics.median(ratios):11.2f}"
        )


def bench_process(runs: int) -> None:
    command = [
        str(Path(sys.executable).parent / "techgate"),
        "whatif",
        str(ROOT / "examples" / "generative-assistant-grounded.yaml"),
        *("--fact", "human_escalation.minutes_to_person=5", "--weight", "safety=30"),
        *("-f", "json"),
    ]
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
    print(f"\ntechgate whatif (two changes, -f json), fresh process, {runs} runs:")
    print(f"  median {statistics.median(walls):.2f} s, range {min(walls):.2f}-{max(walls):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--process", type=int, default=0)
    options = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, changes in CASES.items():
        bench_case(name, changes, options.rounds, options.repeat)
    if options.process:
        bench_process(options.process)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
