"""The input path: how fast over-limit files are refused, how fast valid ones are read.

    python bench/bench_loading.py [--base 47b6e60] [--pairs 5] [--repeats 5]
                                  [--base-pairs 2] [--seconds 1]

Refusals. For each way of crossing a limit (the files of tests/hostile.py), a
fresh process reads the file with this tree's loader --repeats times (in
process: imports done, each read with fresh objects, file read from the page
cache), and the 'techgate validate FILE' command runs in its own process (the
wall time a user waits, start-up included); --pairs of each. Every figure is
printed against the 0.5 s target. With --base, the base revision's loader
refuses the same files in fresh processes, alternating with this tree's
(base, this, base, this: --base-pairs pairs, one refusal per process, each
stopped after 120 s).

Reading. A large valid proposal (600 assessors, about 850 kB and 44,000
values) and the same with a colon in a flow scalar (which libyaml refuses,
so it goes ruamel's pure parser's way) are read repeatedly for --seconds in
fresh processes, this tree's and the base's alternating (A/B/A/B, --pairs
pairs): µs per byte (median of the reads in each process), and the paired
ratio this / base with its spread. Also the time to read and locate every
key (the positions), which a file with a problem pays.

The machine's load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from hostile import GOOD, HOSTILE  # noqa: E402

TARGET_SECONDS = 0.5

# Runs inside the measured process; it imports techgate from the tree given.
READ = """
import json, sys, time
from pathlib import Path
tree, path, mode, amount = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
sys.path.insert(0, str(tree))
import techgate.loading.yaml_source as source
from techgate.errors import InvalidInputError
assert Path(source.__file__).is_relative_to(tree), source.__file__
times = []
if mode == "refuse":
    for _ in range(int(amount)):
        start = time.perf_counter()
        try:
            source.read_yaml_file(path)
        except InvalidInputError as error:
            problem = str(error.problems[0])
        else:
            problem = "accepted"
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "problem": problem}))
else:
    source.read_yaml_file(path)
    begun = time.perf_counter()
    while time.perf_counter() - begun < amount or len(times) < 3:
        start = time.perf_counter()
        document = source.read_yaml_file(path)
        if mode == "positions":
            assert document.positions
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "problem": ""}))
"""

CLI = "import sys; sys.path.insert(0, sys.argv.pop(1)); from techgate.cli import main; main()"


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installation: bytecode cached
    return env


def measure(tree: Path, path: Path, mode: str, amount: float, timeout: float) -> dict[str, object]:
    try:
        out = subprocess.run(
            [sys.executable, "-c", READ, str(tree), str(path), mode, str(amount)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment(),
        )
    except subprocess.TimeoutExpired:
        return {"times": [], "problem": f"not refused within {timeout:.0f} s"}
    if out.returncode != 0:
        return {"times": [], "problem": f"process ended with code {out.returncode}"}
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def command(tree: Path, path: Path, timeout: float) -> tuple[float | None, str]:
    start = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", CLI, str(tree), "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=environment(),
        )
    except subprocess.TimeoutExpired:
        return None, "timed out"
    took = time.perf_counter() - start
    return (took, "") if out.returncode == 2 else (None, f"exit code {out.returncode}")


def spread(values: list[float], unit: float = 1.0, digits: int = 3) -> str:
    if not values:
        return "no figure"
    scaled = [v / unit for v in values]
    return (
        f"{statistics.median(scaled):.{digits}f} "
        f"(min {min(scaled):.{digits}f}, max {max(scaled):.{digits}f}, n={len(scaled)})"
    )


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def refusals(files: dict[str, Path], options: argparse.Namespace, base: Path | None) -> None:
    print(f"\n== Refusing over-limit input; target: every figure ≤ {TARGET_SECONDS} s ==")
    print("in process: median (min, max, n) of --repeats reads in each of --pairs fresh processes")
    print("command: wall time of 'techgate validate FILE' in a fresh process, start-up included")
    for name, path in files.items():
        inside: list[float] = []
        outside: list[float] = []
        problem = ""
        for _ in range(options.pairs):
            result = measure(ROOT, path, "refuse", options.repeats, 120)
            inside += result["times"]  # type: ignore[arg-type]
            problem = str(result["problem"])
            took, failure = command(ROOT, path, 120)
            if took is not None:
                outside.append(took)
            else:
                problem = failure
        worst = max(inside + outside, default=float("inf"))
        verdict = "met" if worst <= TARGET_SECONDS and "accepted" not in problem else "NOT MET"
        print(f"\n{name} ({path.stat().st_size:,} bytes): {verdict}")
        print(f"  in process {spread(inside)} s; command {spread(outside)} s")
        print(f"  floor {TARGET_SECONDS} s")
        print(f"  {problem.replace(str(path), 'FILE')[:150]}")
        if base is not None:
            old: list[float] = []
            new: list[float] = []
            failures: list[str] = []
            for _ in range(options.base_pairs):
                result = measure(base, path, "refuse", 1, 120)
                old += result["times"]  # type: ignore[arg-type]
                if not result["times"]:
                    failures.append(str(result["problem"]))
                new += measure(ROOT, path, "refuse", 1, 120)["times"]  # type: ignore[arg-type]
            failed = f"; base failed: {', '.join(sorted(set(failures)))}" if failures else ""
            print(
                f"  A/B in fresh processes, one read each: base {spread(old)} s, "
                f"this {spread(new)} s{failed}"
            )


def reading(files: dict[str, Path], options: argparse.Namespace, base: Path | None) -> None:
    print("\n== Reading valid files; target: no slower per byte than the base ==")
    print("µs per byte: median (min, max, n) over pairs of each process's median read")
    for name, path in files.items():
        size = path.stat().st_size
        for mode, label in (("read", "read"), ("positions", "read and locate every key")):
            this: list[float] = []
            old: list[float] = []
            for _ in range(options.pairs):
                if base is not None:
                    times = measure(base, path, mode, options.seconds, 300)["times"]
                    old.append(statistics.median(times) / size * 1e6)  # type: ignore[arg-type]
                times = measure(ROOT, path, mode, options.seconds, 300)["times"]
                this.append(statistics.median(times) / size * 1e6)  # type: ignore[arg-type]
            line = f"\n{name}, {label} ({size:,} bytes): this {spread(this, digits=3)} µs/B"
            if base is not None:
                ratios = [n / o for o, n in zip(old, this, strict=True)]
                verdict = "met" if max(ratios) <= 1.0 else "NOT MET"
                line += (
                    f"\n  base {spread(old, digits=3)} µs/B; ratio this/base "
                    f"{spread(ratios, digits=3)}; floor 1.000: {verdict}"
                )
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="git revision to compare with (e.g. 47b6e60)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--base-pairs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--only", choices=["refusals", "reading"])
    options = parser.parse_args()
    print(f"load average before: {load()}  (2 cores, shared)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        hostile = {}
        for name, make in HOSTILE.items():
            hostile[name] = folder / f"{name.replace(' ', '-').replace(',', '')}.yaml"
            hostile[name].write_text(make().text, encoding="utf-8")
        head, assessment = GOOD.split("assessments:\n")
        big = (
            head
            + "assessments:\n"
            + "".join(
                assessment.replace("assessor: Amira Haddad", f"assessor: Assessor {i}")
                for i in range(600)
            )
        )
        valid = {
            "example proposal": ROOT / "examples" / "callback-queue.yaml",
            "600 assessors": folder / "large.yaml",
            "600 assessors, a colon in a flow scalar": folder / "large-colon.yaml",
        }
        valid["600 assessors"].write_text(big, encoding="utf-8")
        valid["600 assessors, a colon in a flow scalar"].write_text(
            big.replace("in the pilot.}", "in the pilot at 10:30.}", 1), encoding="utf-8"
        )
        base = folder / "base" if options.base else None
        if base is not None:
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "add",
                    "-q",
                    "--detach",
                    str(base),
                    options.base,
                ],
                check=True,
            )
        try:
            if options.only != "reading":
                refusals(hostile, options, base)
            if options.only != "refusals":
                reading(valid, options, base)
        finally:
            if base is not None:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                    check=False,
                )
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
