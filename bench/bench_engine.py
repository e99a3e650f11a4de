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
from typing import Any

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


def record_floor(rounds: int, passes: int = 100) -> tuple[list[float], list[float]]:
    """Microseconds per record for the two costs any engine with this output must pay.

    (objects, hash) per round. objects: building the finished record's frozen
    models again from their final values, as straight-line code generated
    from the record (no recursion, no look-ups: one Record.trusted call per
    model, innermost first), so nothing is left but the construction itself.
    hash: the proposal's sha256 on a fresh object, which the record names.
    Whatever an engine computes, it returns these objects and this hash; the
    rest of its time is its logic.
    """
    import techgate
    from techgate.model._base import replaced

    pack = techgate.load_criteria("contact-centre")
    proposals = [techgate.load_proposal(path) for path in EXAMPLES]
    builders = [_straight_line(techgate.evaluate(p, pack)) for p in proposals]
    objects, hashes = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(passes):
            for build, values in builders:
                build(values)
        objects.append((time.perf_counter() - start) / (passes * len(builders)) * 1e6)
        batch = [replaced(p) for _ in range(passes) for p in proposals]
        start = time.perf_counter()
        for proposal in batch:
            proposal.sha256  # noqa: B018 (computed and cached on first access)
        hashes.append((time.perf_counter() - start) / len(batch) * 1e6)
    return objects, hashes


def _straight_line(record: Any) -> tuple[Any, list[Any]]:
    """A function that rebuilds the record with one expression, and the values it reads."""
    from pydantic import BaseModel

    from techgate.model._base import Record

    values: list[Any] = []

    def source(value: Any) -> str:
        if isinstance(value, Record):
            values.append(type(value))
            at = len(values) - 1
            fields = ", ".join(f"{k}={source(v)}" for k, v in value.__dict__.items())
            return f"V[{at}].trusted({fields})"
        if isinstance(value, tuple):
            return "(" + "".join(source(v) + ", " for v in value) + ")"
        if isinstance(value, dict) and any(
            isinstance(v, (BaseModel, tuple, dict)) for v in value.values()
        ):
            return "{" + ", ".join(f"{k!r}: {source(v)}" for k, v in value.items()) + "}"
        values.append(value)  # numbers, text, enums, input models: taken as they are
        return f"V[{len(values) - 1}]"

    # Our own generated code, from a record this process just made.
    build = eval("lambda V: " + source(record))
    rebuilt = build(values)
    if rebuilt.model_dump_json() != record.model_dump_json():
        raise SystemExit("the straight-line rebuild does not reproduce the record")
    return build, values


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
    objects, hashes = record_floor(options.rounds)
    floor = statistics.median(objects) + statistics.median(hashes)
    fresh_us = 1e6 / statistics.median(fresh)
    print(
        f"floor of any engine with this record: {statistics.median(objects):.0f} us to build "
        f"its frozen models (min {min(objects):.0f}, max {max(objects):.0f}) + "
        f"{statistics.median(hashes):.0f} us for the proposal's hash (min {min(hashes):.0f}, "
        f"max {max(hashes):.0f}) = {floor:.0f} us; 5,000/s allows 200 us, so the logic "
        f"(now {fresh_us - floor:.0f} us) would have to fit in {200 - floor:.0f} us"
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
