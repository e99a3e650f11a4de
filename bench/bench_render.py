"""Report rendering, measured; prints the figures for docs/performance.md.

    python bench/bench_render.py [--runs 7] [--batch-copies 4]

1. PDF render time in-process (record -> HTML -> PDF), median per example.
2. techgate's whole 'evaluate --pdf' against WeasyPrint alone rendering the
   same HTML, each as a fresh process (goal: ratio <= 1.10).
3. 'batch --jobs 2' against '--jobs 1' on copies of the examples (goal >= 1.7x).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCRIPT = Path(sys.executable).parent / "techgate"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import machine  # noqa: E402


def render_times(runs: int) -> dict[str, float]:
    import techgate
    from techgate.render.documents import DocumentFormat, render_document

    pack = techgate.load_criteria("contact-centre")
    records = {p.stem: techgate.evaluate(techgate.load_proposal(p), pack) for p in EXAMPLES}
    render_document(records[EXAMPLES[0].stem], DocumentFormat.PDF)  # fonts, imports
    medians = {}
    for name, record in records.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            render_document(record, DocumentFormat.PDF)
            times.append(time.perf_counter() - start)
        medians[name] = statistics.median(times)
    return medians


def wall(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        if result.returncode not in (0, 3, 4):  # decisions are exit codes too
            raise SystemExit(f"{command} failed: {result.stderr.decode()}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def whole_against_weasyprint(example: Path, runs: int, folder: Path) -> tuple[float, float]:
    html = folder / "report.html"
    subprocess.run(
        [str(SCRIPT), "evaluate", str(example), "--html", str(html)],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    templates = ROOT / "templates"
    weasy = (
        "from weasyprint import HTML\n"
        f"HTML(filename={str(html)!r}, base_url={templates.as_uri() + '/'!r})"
        f".write_pdf({str(folder / 'w.pdf')!r}, pdf_variant='pdf/ua-1')\n"
    )
    whole = wall([str(SCRIPT), "evaluate", str(example), "--pdf", str(folder / "t.pdf")], runs)
    alone = wall([sys.executable, "-c", weasy], runs)
    return whole, alone


def batch_throughput(copies: int, folder: Path) -> dict[int, float]:
    inputs = []
    for n in range(copies):
        for example in EXAMPLES:
            target = folder / f"{example.stem}-{n}.yaml"
            text = example.read_text()
            target.write_text(re.sub(r"^id: (.+)$", rf"id: \1-{n}", text, count=1, flags=re.M))
            inputs.append(str(target))
    rates = {}
    for jobs in (1, 2):
        out = folder / f"out-{jobs}"
        start = time.perf_counter()
        subprocess.run(
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
            ],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        rates[jobs] = len(inputs) / (time.perf_counter() - start)
        shutil.rmtree(out)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--batch-copies", type=int, default=4)
    options = parser.parse_args()
    print(f"machine: {machine()}")
    medians = render_times(options.runs)
    for name, seconds in medians.items():
        print(f"pdf render in-process: {name}: median {seconds * 1000:.0f} ms")
    print(
        f"pdf render in-process: all examples: median "
        f"{statistics.median(medians.values()) * 1000:.0f} ms"
    )
    with tempfile.TemporaryDirectory() as folder:
        whole, alone = whole_against_weasyprint(
            ROOT / "examples" / "crm-consolidation.yaml", options.runs, Path(folder)
        )
        print(
            f"evaluate --pdf (whole techgate): median {whole * 1000:.0f} ms; WeasyPrint alone "
            f"on the same HTML: median {alone * 1000:.0f} ms; ratio {whole / alone:.2f}"
        )
        rates = batch_throughput(options.batch_copies, Path(folder))
        print(
            f"batch, {options.batch_copies * len(EXAMPLES)} PDFs: --jobs 1 {rates[1]:.2f}/s, "
            f"--jobs 2 {rates[2]:.2f}/s, speed-up {rates[2] / rates[1]:.2f}x"
        )


if __name__ == "__main__":
    main()
