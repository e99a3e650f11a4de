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


def engine_rate(rounds: int, seconds: float = 1.0) -> list[float]:
    """Evaluations per second over the examples, one figure per round."""
    import techgate

    pack = techgate.load_criteria("contact-centre")
    proposals = [techgate.load_proposal(path) for path in EXAMPLES]
    rates = []
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for proposal in proposals:
                techgate.evaluate(proposal, pack)
            done += len(proposals)
        rates.append(done / (time.perf_counter() - start))
    return rates


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
    rates = engine_rate(options.rounds)
    print(
        f"engine: {statistics.median(rates):,.0f} evaluations/s (median of {len(rates)} rounds, "
        f"{len(EXAMPLES)} examples; min {min(rates):,.0f}, max {max(rates):,.0f})"
    )
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
