"""Engine throughput against an earlier revision, interleaved A/B/A/B in fresh processes.

    python bench/bench_engine_ab.py --base dcc70c6 [--pairs 9] [--seconds 1]

Each pair runs the base revision's engine on its own copy of the six original
examples, then this tree's engine on the same six stories as they are encoded
here, each in a new process for --seconds. It prints both rates, the paired
ratio (this / base: the median and the spread over pairs) and the machine's
load, for reused proposal objects (as bench_engine.py) and for a proposal
validated afresh before every evaluation.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORIES = [
    "callback-queue",
    "chatbot-no-human",
    "crm-consolidation",
    "ivr-speech-recognition",
    "self-service-portal-panel",
    "speech-analytics-savings",
]
# Runs inside the measured process; it imports techgate from the tree given.
RATE = """
import sys, time
from pathlib import Path
root, mode, seconds, names = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, str(root))
import techgate
from techgate.model import Proposal
from ruamel.yaml import YAML
pack = techgate.load_criteria("contact-centre")
data = [YAML(typ="safe").load((root / "examples" / f"{n}.yaml").read_text()) for n in names]
proposals = [techgate.load_proposal(d) for d in data]
for p in proposals:
    techgate.evaluate(p, pack)
done, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    for d, p in zip(data, proposals):
        techgate.evaluate(Proposal.model_validate(d) if mode == "fresh" else p, pack)
    done += len(data)
print(done / (time.perf_counter() - start))
"""


def rate(tree: Path, mode: str, seconds: float) -> float:
    out = subprocess.run(
        [sys.executable, "-c", RATE, str(tree), mode, str(seconds), *STORIES],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--pairs", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=1.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(base), options.base],
            check=True,
        )
        try:
            for mode in ("reused", "fresh"):
                old, new = [], []
                for _ in range(options.pairs):
                    old.append(rate(base, mode, options.seconds))
                    new.append(rate(ROOT, mode, options.seconds))
                ratios = [n / o for o, n in zip(old, new, strict=True)]
                print(
                    f"{mode:6s} base {statistics.median(old):,.0f}/s "
                    f"(min {min(old):,.0f}, max {max(old):,.0f}); "
                    f"this {statistics.median(new):,.0f}/s "
                    f"(min {min(new):,.0f}, max {max(new):,.0f}); "
                    f"ratio {statistics.median(ratios):.3f} "
                    f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {len(ratios)} pairs)"
                )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False
            )
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
