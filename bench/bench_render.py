"""Report rendering, measured honestly; prints the figures for docs/performance.md.

    python bench/bench_render.py [--pairs 11] [--max-pairs 31] [--only warm,fresh,...]

Every comparison runs interleaved pairs: techgate, then the reference (A B),
and the next pair the other way round (B A), so that a drift in the machine
(another process, a warming cache, a throttled core) falls on both sides
alike. Each pair gives one ratio; the figure is the median ratio, the noise
is the spread of the ratios (their interquartile range, as ± half of it
around the median) and a 95 % interval of the median (order statistics,
no assumption about the distribution). Pairs are added, up to --max-pairs,
until the noise is smaller than the effect (the distance of the ratio from
1) and the interval of the median lies on one side of the target. The load
average is printed beside every figure: on a shared machine it says how far
to trust them.

Each target is printed with its measured figure and its floor, the part no
change to techgate can remove (WeasyPrint alone on the same HTML, so a
ratio of 1.00):

  examples  PDF render of each shipped example in one warm process (no target).
  warm      load, evaluate and render from the file, fresh objects every run,
            against WeasyPrint alone on the same HTML, one warm process
            (target: ratio <= 1.10).
  fresh     'techgate evaluate --pdf' as a new process against a script that
            only runs WeasyPrint on the same HTML (target: ratio <= 1.12).
  crowd     a proposal of 1,000 assessors (bench/crowd.py): pages, and the
            render from the record against WeasyPrint alone on its HTML
            (target: <= 20 pages, <= 3 s); and 'evaluate --pdf' fresh.
  batch     'batch --jobs 2' against '--jobs 1' on copies of the examples
            (target: speed-up >= 1.7; needs two idle cores).
"""

from __future__ import annotations

import argparse
import gc
import io
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCRIPT = Path(sys.executable).parent / "techgate"
PAIRED = "crm-consolidation"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import machine  # noqa: E402
from crowd import crowd_proposal  # noqa: E402

SECTIONS = ("examples", "warm", "fresh", "crowd", "batch")
WEASYPRINT_ONLY = """
import sys
from weasyprint import HTML
html, base, out = sys.argv[1:4]
HTML(filename=html, base_url=base).write_pdf(out, pdf_variant="pdf/ua-1")
"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


# Statistics of paired runs.


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return values[0], values[0], values[0]
    low, middle, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, middle, high


def median_interval(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval of the median: order statistics k and n-k+1."""
    ordered, n = sorted(values), len(values)
    alpha, k = 1 - level, 0
    # The largest k with P(Binomial(n, 1/2) < k) <= alpha / 2.
    while k < n // 2 and sum(math.comb(n, i) for i in range(k + 1)) / 2**n <= alpha / 2:
        k += 1
    if k == 0:
        return ordered[0], ordered[-1]
    return ordered[k - 1], ordered[n - k]


@dataclass
class Paired:
    """Seconds of techgate and of the reference in each pair, and their ratios."""

    ours: list[float]
    reference: list[float]

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.ours, self.reference, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def noise(self) -> float:
        """Half the interquartile range of the ratios, as a share of their median."""
        low, _, high = quartiles(self.ratios)
        return (high - low) / 2 / self.ratio

    def settled(self, target: float | None) -> bool:
        effect = abs(self.ratio - 1)
        low, high = median_interval(self.ratios)
        clear = target is None or not low <= target <= high
        return self.noise < effect and clear

    def summary(self, target: float | None, floor: str = "1.00") -> str:
        low, high = median_interval(self.ratios)
        q1, _, q3 = quartiles(self.ratios)
        effect = abs(self.ratio - 1)
        lines = [
            f"  {len(self.ratios)} interleaved pairs (ABAB, order swapped every pair): "
            f"techgate median {ms(self.ours)}, reference median {ms(self.reference)}",
            f"  paired ratio median {self.ratio:.3f}; IQR {q1:.3f}–{q3:.3f} "
            f"(noise ±{self.noise:.1%}); 95% interval of the median {low:.3f}–{high:.3f}",
            f"  effect {effect:.1%} against noise ±{self.noise:.1%}: "
            + ("noise smaller than the effect" if self.noise < effect else "NOISE NOT SMALLER"),
        ]
        if target is not None:
            if high <= target:
                verdict = "met"
            elif low > target:
                verdict = "MISSED"
            else:
                verdict = "UNDECIDED (the target lies inside the interval of the median)"
            lines.append(
                f"  target ratio <= {target:.2f}: measured {self.ratio:.3f}, floor {floor}: "
                f"{verdict}"
            )
        return "\n".join(lines)


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f} ms"


def timed(job: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    job()
    return time.perf_counter() - start


def interleave(
    ours: Callable[[], object],
    reference: Callable[[], object],
    pairs: int,
    max_pairs: int,
    target: float | None,
    *,
    warm: bool = True,
) -> Paired:
    """A B, B A, A B, ...: at least `pairs` pairs, more until settled or max_pairs."""
    if warm:
        ours(), reference()  # warm both: imports, fonts, compiled templates, disk cache
    result = Paired([], [])
    while len(result.ours) < max_pairs:
        if len(result.ours) % 2 == 0:
            a = timed(ours)
            b = timed(reference)
        else:
            b = timed(reference)
            a = timed(ours)
        result.ours.append(a)
        result.reference.append(b)
        if len(result.ours) >= pairs and result.settled(target):
            break
    return result


def run(command: list[str]) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    if result.returncode not in (0, 3, 4):  # decisions are exit codes too
        raise SystemExit(f"{command} failed: {result.stderr.decode()}")


# The sections.


def examples_section(rounds: int) -> None:
    """PDF render of each example in one warm process, the examples taken in turn."""
    import techgate
    from techgate.render.documents import DocumentFormat, render_document

    pack = techgate.load_criteria("contact-centre")
    records = {p.stem: techgate.evaluate(techgate.load_proposal(p), pack) for p in EXAMPLES}
    render_document(records[EXAMPLES[0].stem], DocumentFormat.PDF)  # fonts, imports
    times: dict[str, list[float]] = {name: [] for name in records}
    print(f"examples: PDF render in one warm process, {rounds} rounds over every example; {load()}")
    for _ in range(rounds):
        for name, record in records.items():
            times[name].append(timed(lambda r=record: render_document(r, DocumentFormat.PDF)))
    for name, seconds in times.items():
        q1, q2, q3 = quartiles(seconds)
        print(f"  {name}: median {q2 * 1000:.0f} ms (IQR {q1 * 1000:.0f}–{q3 * 1000:.0f})")
    overall = statistics.median(statistics.median(s) for s in times.values())
    print(f"  all examples: median of medians {overall * 1000:.0f} ms; {load()}")


def warm_section(pairs: int, max_pairs: int) -> None:
    from weasyprint import HTML

    from techgate import api
    from techgate.render.environment import render_html
    from techgate.resources import data_dir

    example = ROOT / "examples" / f"{PAIRED}.yaml"

    def whole() -> bytes:
        # New objects every run: read the file, validate, evaluate, render.
        return api.render(api.evaluate(example), ["pdf"])[api.DocumentFormat.PDF]

    html = render_html(api.evaluate(example))
    base = data_dir("templates").as_uri() + "/"

    def alone() -> bytes:
        pdf: bytes = HTML(string=html, base_url=base).write_pdf(pdf_variant="pdf/ua-1")
        return pdf

    print(f"warm: {PAIRED}, whole pipeline against WeasyPrint alone, one process; {load()}")
    print(interleave(whole, alone, pairs, max_pairs, 1.10).summary(1.10))
    print(f"  {load()}")


def fresh_section(pairs: int, max_pairs: int, folder: Path) -> None:
    example = ROOT / "examples" / f"{PAIRED}.yaml"
    html = folder / "report.html"
    run([str(SCRIPT), "evaluate", str(example), "--html", str(html)])
    base = (ROOT / "templates").as_uri() + "/"
    ours = [str(SCRIPT), "evaluate", str(example), "--pdf", str(folder / "t.pdf")]
    reference = [sys.executable, "-c", WEASYPRINT_ONLY, str(html), base, str(folder / "w.pdf")]
    print(
        f"fresh: {PAIRED}, 'techgate evaluate --pdf' against a WeasyPrint-only script on "
        f"the same HTML, new processes; {load()}"
    )
    result = interleave(lambda: run(ours), lambda: run(reference), pairs, max_pairs, 1.12)
    print(result.summary(1.12))
    print(f"  {load()}")


def crowd_section(count: int, pairs: int, fresh_pairs: int, folder: Path) -> None:
    from pypdf import PdfReader
    from ruamel.yaml import YAML
    from weasyprint import HTML

    import techgate
    from techgate.render.documents import DocumentFormat, render_document
    from techgate.render.environment import render_html
    from techgate.resources import data_dir

    data = crowd_proposal(count)
    source = folder / f"crowd-{count}.yaml"
    yaml = YAML()
    yaml.representer.ignore_aliases = lambda *_: True
    with source.open("w", encoding="utf-8") as stream:
        yaml.dump(data, stream)
    pack = techgate.load_criteria("contact-centre")
    record = techgate.evaluate(techgate.load_proposal(data), pack)
    html = render_html(record)
    base = data_dir("templates").as_uri() + "/"
    pdf = render_document(record, DocumentFormat.PDF)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)

    def alone() -> bytes:
        out: bytes = HTML(string=html, base_url=base).write_pdf(pdf_variant="pdf/ua-1")
        return out

    print(f"crowd: {count:,} assessors (bench/crowd.py), {len(pdf):,} bytes of PDF; {load()}")
    print(f"  pages {pages}: target <= 20: {'met' if pages <= 20 else 'MISSED'}")
    result = interleave(
        lambda: render_document(record, DocumentFormat.PDF), alone, pairs, pairs, None
    )
    q1, seconds, q3 = quartiles(result.ours)
    floor = statistics.median(result.reference)
    print(
        f"  render, record to PDF in a warm process: median {seconds:.2f} s "
        f"(IQR {q1:.2f}–{q3:.2f} s, {len(result.ours)} runs paired ABAB with WeasyPrint alone "
        f"on its HTML); floor {floor:.2f} s; ratio {result.ratio:.3f} "
        f"(noise ±{result.noise:.1%}); target <= 3 s: {'met' if q3 <= 3 else 'MISSED'}"
    )
    page = folder / "crowd.html"
    page.write_text(html, encoding="utf-8")
    ours = [str(SCRIPT), "evaluate", str(source), "--pdf", str(folder / "crowd.pdf")]
    templates = (ROOT / "templates").as_uri() + "/"
    reference = [sys.executable, "-c", WEASYPRINT_ONLY, str(page), templates, str(folder / "w.pdf")]
    fresh = interleave(lambda: run(ours), lambda: run(reference), fresh_pairs, fresh_pairs, None)
    q1, seconds, q3 = quartiles(fresh.ours)
    print(
        f"  'techgate evaluate --pdf' fresh (reads, checks and scores {count:,} assessments "
        f"too): median {seconds:.2f} s (IQR {q1:.2f}–{q3:.2f} s, {len(fresh.ours)} pairs); "
        f"WeasyPrint-only script on its HTML {statistics.median(fresh.reference):.2f} s; "
        f"ratio {fresh.ratio:.3f} (noise ±{fresh.noise:.1%})"
    )
    print(f"  {load()}")


def batch_section(copies: int, pairs: int, folder: Path) -> None:
    inputs = []
    for n in range(copies):
        for example in EXAMPLES:
            target = folder / f"{example.stem}-{n}.yaml"
            text = example.read_text()
            target.write_text(re.sub(r"^id: (.+)$", rf"id: \1-{n}", text, count=1, flags=re.M))
            inputs.append(str(target))

    def batch(jobs: int) -> None:
        out = folder / f"out-{jobs}"
        run(
            [
                str(SCRIPT),
                "batch",
                *inputs,
                "--out-dir",
                str(out),
                "--formats",
                "pdf",
                "--jobs",
                str(jobs),
            ]
        )
        shutil.rmtree(out)

    print(f"batch: {len(inputs)} PDFs, --jobs 2 against --jobs 1; {load()}")
    # Ours is --jobs 2: a ratio of times below 1 is a speed-up of 1/ratio.
    result = interleave(lambda: batch(2), lambda: batch(1), pairs, pairs, None, warm=False)
    speedups = sorted(1 / r for r in result.ratios)
    q1, speedup, q3 = quartiles(speedups)
    one, two = (len(inputs) / statistics.median(t) for t in (result.reference, result.ours))
    print(
        f"  {len(speedups)} pairs: --jobs 1 median {one:.2f}/s, --jobs 2 {two:.2f}/s; "
        f"speed-up median "
        f"{speedup:.2f}x (IQR {q1:.2f}–{q3:.2f}); floor 1.00x, ceiling {os.cpu_count()} cores; "
        f"target >= 1.7x: {'met' if q1 >= 1.7 else 'MISSED' if q3 < 1.7 else 'UNDECIDED'}"
    )
    print(f"  {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--pairs", type=int, default=11, help="fewest pairs a comparison runs")
    parser.add_argument("--max-pairs", type=int, default=31, help="most pairs, when noisy")
    parser.add_argument("--fresh-pairs", type=int, default=9, help="fewest pairs of processes")
    parser.add_argument("--rounds", type=int, default=7, help="rounds over the examples")
    parser.add_argument("--crowd", type=int, default=1000, help="assessors in the crowd report")
    parser.add_argument("--crowd-pairs", type=int, default=5)
    parser.add_argument("--batch-copies", type=int, default=2)
    parser.add_argument("--batch-pairs", type=int, default=3)
    options = parser.parse_args()
    sections = options.only.split(",")
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    print(f"machine: {machine()}; {load()} (1, 5, 15 min)")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if "examples" in sections:
            examples_section(options.rounds)
        if "warm" in sections:
            warm_section(options.pairs, options.max_pairs)
        if "fresh" in sections:
            fresh_section(options.fresh_pairs, options.max_pairs, folder)
        if "crowd" in sections:
            crowd_section(options.crowd, options.crowd_pairs, options.crowd_pairs, folder)
        if "batch" in sections:
            batch_section(options.batch_copies, options.batch_pairs, folder)


if __name__ == "__main__":
    main()
