"""Engine throughput and CLI start-up, measured; prints the figures for docs/performance.md.

python bench/bench_engine.py [--rounds 5] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCRIPT = Path(sys.executable).parent / "techgate"


def engine_rates(rounds: int, passes: int = 100) -> tuple[list[float], list[float]]:
    """Evaluations per second over the examples, one figure per round: (fresh, reused).

    Fresh: every evaluation gets its own proposal object, copied before the clock
    starts, so the proposal's hash is computed each time as it is for a proposal
    just read (a reused object caches it, which flattered earlier figures by about
    10 %). The two kinds alternate round by round, so the machine's load falls on both.
    """
    import techgate
    from techgate.model._base import replaced

    pack = techgate.load_criteria("contact-centre")
    proposals = [techgate.load_proposal(path) for path in EXAMPLES]
    for proposal in proposals:  # warm caches the engine keeps per pack
        techgate.evaluate(proposal, pack)
    fresh, reused = [], []
    for _ in range(rounds):
        for kind, rates in (("fresh", fresh), ("reused", reused)):
            if kind == "fresh":
                batch = [replaced(p) for _ in range(passes) for p in proposals]
            else:
                batch = proposals * passes
            start = time.perf_counter()
            for proposal in batch:
                techgate.evaluate(proposal, pack)
            rates.append(len(batch) / (time.perf_counter() - start))
    return fresh, reused


def wall_times(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(SCRIPT), *args], cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    print(f"machine: {machine()}")
    load = os.getloadavg()[0]
    fresh, reused = engine_rates(options.rounds)
    for label, rates in (("fresh proposal objects", fresh), ("reused objects", reused)):
        print(
            f"engine, {label}: {statistics.median(rates):,.0f} evaluations/s (median of "
            f"{len(rates)} rounds, {len(EXAMPLES)} examples; min {min(rates):,.0f}, "
            f"max {max(rates):,.0f}); target 5,000/s, "
            f"{'met' if min(rates) >= 5000 else 'not met'}"
        )
    print(f"load average: {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    for label, args in (
        ("techgate --help", ["--help"]),
        (
            "techgate evaluate --format json",
            ["evaluate", "--format", "json", "examples/callback-queue.yaml"],
        ),
    ):
        times = wall_times(args, options.runs)
        print(
            f"{label}: median {statistics.median(times) * 1000:.0f} ms over {len(times)} runs "
            f"(min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
