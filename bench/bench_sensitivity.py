"""Time of a sensitivity analysis (10,000 weight samples) against floors, in one process.

    python bench/bench_sensitivity.py [--rounds 15] [--samples 10000] [--profile]

Each round runs, in this order and on a proposal validated afresh:

  A  evaluate + sensitivity   the whole record with its block (one engine run,
                              weight swings, level swings, the Monte Carlo)
  B  evaluate                 the same record without the block (floor 1)
  C  Dirichlet draw           numpy drawing the weight vectors alone (floor 2)
  D  Monte Carlo              the vectorised decision over the drawn vectors,
                              on a basis built once (the part that scales with N)

so A, B, C, D, A, B, C, D... share whatever the machine is doing. It prints
the median and the interquartile range of each over the rounds, the paired
A - B (what sensitivity adds) and the load average. --profile runs A once
under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from techgate import api
from techgate.engine import weight_basis_of
from techgate.engine.sensitivity import stability
from techgate.engine.weight_space import dirichlet_weights, shares_of
from techgate.model.evaluation import SensitivityRequest
from techgate.model.proposal import Proposal

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "speech-analytics-savings.yaml"


def setup() -> tuple[dict[str, Any], Any]:
    loaded = api.load(EXAMPLE)
    record = api.evaluate(loaded)
    # Thresholds next to the score, so that the drawn weights do move the
    # decision and the Monte Carlo is not a constant.
    pack = api.pack_with(
        loaded.pack,
        policy={
            "go_threshold": record.score + 1.5,
            "conditional_threshold": record.score - 1.5,
        },
    )
    return loaded.proposal.model_dump(mode="python"), pack


def timed(action: Any) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(values: list[float]) -> str:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"median {median * 1000:8.2f} ms   IQR {q1 * 1000:8.2f} - {q3 * 1000:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    data, pack = setup()
    request = SensitivityRequest(samples=options.samples)
    basis = weight_basis_of(Proposal.model_validate(data), pack)
    shares = shares_of(basis.weights)
    record = api.evaluate(Proposal.model_validate(data), pack=pack, sensitivity=request)
    assert record.sensitivity is not None
    decision = record.decision
    print(
        f"{EXAMPLE.name} (thresholds at score ± 1.5): {decision.value}, "
        f"stability {record.sensitivity.stability:.4f} over {options.samples:,} samples"
    )
    runs: dict[str, list[float]] = {key: [] for key in "ABCD"}
    for _ in range(options.rounds):
        fresh = Proposal.model_validate(data)
        runs["A"].append(timed(lambda p=fresh: api.evaluate(p, pack=pack, sensitivity=request)))
        fresh = Proposal.model_validate(data)
        runs["B"].append(timed(lambda p=fresh: api.evaluate(p, pack=pack)))
        runs["C"].append(timed(lambda: dirichlet_weights(shares, options.samples, 0, 100.0)))
        runs["D"].append(timed(lambda: stability(basis, decision, request)))
    labels = {
        "A": "evaluate + sensitivity",
        "B": "evaluate (floor 1)",
        "C": "Dirichlet draw (floor 2)",
        "D": "Monte Carlo alone",
    }
    for key, label in labels.items():
        print(f"{key}  {label:26s} {summary(runs[key])}")
    added = [a - b for a, b in zip(runs["A"], runs["B"], strict=True)]
    print(f"A - B, paired: {summary(added)}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, cores {os.cpu_count()}")
    print(f"numpy {np.__version__}")
    if options.profile:
        profiler = cProfile.Profile()
        fresh = Proposal.model_validate(data)
        profiler.enable()
        api.evaluate(fresh, pack=pack, sensitivity=request)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    main()
