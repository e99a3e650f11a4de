"""Report rendering, measured; prints the figures for docs/performance.md.

    python bench/bench_render.py [--runs 7] [--batch-copies 4]

1. PDF render time in-process (record -> HTML -> PDF), median per example.
2. techgate's whole pipeline (read the proposal and the pack, score, template,
   render) against WeasyPrint alone rendering the same HTML, both in one
   warm process (goal: ratio <= 1.10); and, for context, the same comparison
   as fresh processes, which adds each side's start-up.
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


def in_process_ratio(example: Path, runs: int) -> tuple[float, float]:
    """Median seconds of techgate's whole pipeline and of WeasyPrint alone, warm."""
    from weasyprint import HTML

    from techgate.engine import evaluate
    from techgate.loading import load_for_evaluation
    from techgate.render.documents import DocumentFormat, render_document
    from techgate.render.environment import render_html
    from techgate.resources import data_dir

    def whole() -> bytes:
        proposal, pack, _ = load_for_evaluation(example)
        return render_document(evaluate(proposal, pack), DocumentFormat.PDF)

    proposal, pack, _ = load_for_evaluation(example)
    html = render_html(evaluate(proposal, pack))
    base = data_dir("templates").as_uri() + "/"

    def alone() -> bytes:
        pdf: bytes = HTML(string=html, base_url=base).write_pdf(pdf_variant="pdf/ua-1")
        return pdf

    whole(), alone()  # warm both: imports, fonts
    timings: dict[str, list[float]] = {"whole": [], "alone": []}
    for _ in range(runs):
        for label, job in (("whole", whole), ("alone", alone)):
            start = time.perf_counter()
            job()
            timings[label].append(time.perf_counter() - start)
    return statistics.median(timings["whole"]), statistics.median(timings["alone"])


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
    example = ROOT / "examples" / "crm-consolidation.yaml"
    whole, alone = in_process_ratio(example, options.runs)
    print(
        f"in one warm process: whole pipeline median {whole * 1000:.0f} ms; WeasyPrint alone "
        f"median {alone * 1000:.0f} ms; ratio {whole / alone:.3f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        whole, alone = whole_against_weasyprint(
            ROOT / "examples" / "crm-consolidation.yaml", options.runs, Path(folder)
        )
        print(
            f"as fresh processes: evaluate --pdf median {whole * 1000:.0f} ms; WeasyPrint alone "
            f"median {alone * 1000:.0f} ms; ratio {whole / alone:.2f}"
        )
        rates = batch_throughput(options.batch_copies, Path(folder))
        print(
            f"batch, {options.batch_copies * len(EXAMPLES)} PDFs: --jobs 1 {rates[1]:.2f}/s, "
            f"--jobs 2 {rates[2]:.2f}/s, speed-up {rates[2] / rates[1]:.2f}x"
        )


if __name__ == "__main__":
    main()
