"""Start-up of a fresh `techgate evaluate` process, against its floors (issue 11).

    python bench/bench_startup.py [--pairs 15] [--max-pairs 41] [--only json,pdf]
    python bench/bench_startup.py --base main [--only ab-json,ab-pdf]

Every figure is a paired comparison of new processes, run as in
bench_render.py: A B, then B A, and so on, one ratio per pair; the median
ratio, its noise (half the interquartile range of the ratios) and a 95 %
interval of the median are printed with the load average. Pairs are added
until the noise is smaller than the effect, up to --max-pairs.

  json     `techgate evaluate -f json examples/callback-queue.yaml` against
           `python -c 'import pydantic'` (target: ratio <= 2.5), and, as
           further floors, the bare interpreter, `from pydantic import
           BaseModel`, a script that defines and validates one model
           (with pydantic's plugin scan, and without it as the CLI runs), and
           one that imports the libraries the command uses (click, ruamel.yaml,
           pydantic) and does nothing: what is left above it is techgate's.
           Last, the floor of any version that keeps pydantic models: those
           libraries plus techgate's criteria, proposal and record model
           classes built, nothing read, against `import pydantic` (target 2.5).
  pdf      `techgate evaluate --pdf` against a script that only imports
           WeasyPrint and renders the same HTML (target: ratio <= 1.12), and
           against the same script importing first what the command needs
           besides WeasyPrint (those libraries, Jinja, rich).
  worker   `techgate evaluate --pdf` with its PDF worker against the same
           command with TECHGATE_PDF_WORKER=0 (rendering in process), this
           tree both: what overlapping WeasyPrint's import saves (or costs,
           under `taskset -c 0`, where the worker stays off).
  ab-json  with --base REV: this tree's `evaluate -f json` against the same
  ab-pdf   command of revision REV (its tree extracted with `git archive`),
           both started the same way, so the ratio is what this tree changed.

Children run without PYTHONDONTWRITEBYTECODE, as an installed package does
(bytecode cached), and each command runs once before timing to write it;
that run also leaves the report's template compiled in Jinja's per-user
cache, as a user's first report does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import machine  # noqa: E402
from bench_render import WEASYPRINT_ONLY, interleave, load  # noqa: E402

SECTIONS = ("json", "pdf", "worker", "ab-json", "ab-pdf")
EXAMPLE = "callback-queue"
PDF_EXAMPLE = "crm-consolidation"
# Starts techgate from the tree given, as the installed script does.
LAUNCH = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'techgate'; "
    "from techgate.cli import main; sys.exit(main())"
)
ONE_MODEL = """
from pydantic import BaseModel
class One(BaseModel):
    name: str
    score: float
print(One.model_validate({"name": "x", "score": 1.0}).model_dump_json())
"""
# What 'evaluate -f json' imports that is not techgate: the floor of any
# click command that reads YAML into pydantic models.
LIBRARIES_JSON = "import click, ruamel.yaml\nfrom pydantic import BaseModel\n"
# The same, plus building the model classes the command reads and writes
# (criteria pack, proposal, decision record): the floor of any version of the
# command that keeps its pydantic models. ROOT is put on sys.path by the child.
# No plugin scan, as the command runs (techgate.cli.plugins_off, reduced to
# what it does when every plugin is off, so that no CLI module is imported).
MODELS_JSON = (
    "import sys, types\n"
    "loader = types.ModuleType('pydantic.plugin._loader')\n"
    "loader.get_plugins = lambda *args, **kwargs: ()\n"
    "sys.modules[loader.__name__] = loader\n"
    + LIBRARIES_JSON
    + "import techgate.model.criteria, techgate.model.proposal, techgate.model.evaluation\n"
)
# What 'evaluate --pdf' needs besides WeasyPrint: those, Jinja for the HTML and
# rich for the decision it prints.
LIBRARIES_PDF = "import jinja2, rich.console\n" + LIBRARIES_JSON
# Exit codes that are answers, not failures: go, conditional, no-go.
ANSWERS = (0, 3, 4)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)  # the floors measure pydantic's default
    env.update(extra)
    return env


def runner(command: list[str], env: dict[str, str], cwd: Path) -> Callable[[], None]:
    def run() -> None:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        if done.returncode not in ANSWERS:
            raise SystemExit(f"{command} failed ({done.returncode}): {done.stderr.decode()}")

    run()  # writes the bytecode caches; not timed
    return run


def compare(
    label: str,
    ours: Callable[[], None],
    reference: Callable[[], None],
    options: argparse.Namespace,
    target: float | None = None,
) -> float:
    print(f"{label}; {load()}")
    result = interleave(ours, reference, options.pairs, options.max_pairs, target, warm=False)
    print(result.summary(target))
    print(f"  {load()}")
    return result.ratio


def json_section(options: argparse.Namespace, scratch: Path) -> None:
    env = child_env()
    plugins_off = child_env(PYDANTIC_DISABLE_PLUGINS="__all__")
    python = sys.executable
    example = str(ROOT / "examples" / f"{EXAMPLE}.yaml")
    ours = runner(
        [python, "-c", LAUNCH, str(ROOT), "evaluate", "-f", "json", example], env, scratch
    )
    floors: list[tuple[str, str, dict[str, str], float | None]] = [
        ("python -c 'import pydantic' (the issue's floor)", "import pydantic", env, 2.5),
        ("python -c 'pass'", "pass", env, None),
        ("python -c 'from pydantic import BaseModel'", "from pydantic import BaseModel", env, None),
        ("one model defined, validated and dumped", ONE_MODEL, env, None),
        (
            "the same, PYDANTIC_DISABLE_PLUGINS=__all__ (as the CLI runs)",
            ONE_MODEL,
            plugins_off,
            None,
        ),
        (
            "the libraries the command imports, and nothing of techgate",
            LIBRARIES_JSON,
            plugins_off,
            None,
        ),
    ]
    on_path = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
    floors.append(
        (
            "the libraries and techgate's model classes, nothing read",
            on_path + MODELS_JSON,
            plugins_off,
            None,
        )
    )
    for label, code, floor_env, target in floors:
        reference = runner([python, "-c", code], floor_env, scratch)
        compare(
            f"json: 'evaluate -f json {EXAMPLE}' against {label}", ours, reference, options, target
        )
    # The target against the floor of keeping pydantic models at all: if that
    # floor alone exceeds 2.5 times 'import pydantic', no change to techgate's
    # own code can meet it.
    compare(
        "json floor: the libraries and techgate's model classes against "
        "python -c 'import pydantic'",
        runner([python, "-c", on_path + MODELS_JSON], plugins_off, scratch),
        runner([python, "-c", "import pydantic"], env, scratch),
        options,
        2.5,
    )


def pdf_section(options: argparse.Namespace, scratch: Path) -> None:
    env = child_env()
    python = sys.executable
    example = str(ROOT / "examples" / f"{PDF_EXAMPLE}.yaml")
    html = scratch / "report.html"
    launch = [python, "-c", LAUNCH, str(ROOT), "evaluate", example]
    runner([*launch, "--html", str(html)], env, scratch)
    base = (ROOT / "templates").as_uri() + "/"
    ours = runner([*launch, "--pdf", str(scratch / "t.pdf")], env, scratch)
    for label, code, target in (
        ("WeasyPrint alone on the same HTML (the issue's floor)", WEASYPRINT_ONLY, 1.12),
        (
            "the same after importing the libraries the command needs besides WeasyPrint",
            LIBRARIES_PDF + WEASYPRINT_ONLY,
            None,
        ),
    ):
        reference = runner(
            [python, "-c", code, str(html), base, str(scratch / "w.pdf")], env, scratch
        )
        compare(
            f"pdf: 'evaluate --pdf {PDF_EXAMPLE}' against {label}", ours, reference, options, target
        )


def worker_section(options: argparse.Namespace, scratch: Path) -> None:
    python = sys.executable
    example = str(ROOT / "examples" / f"{PDF_EXAMPLE}.yaml")
    launch = [python, "-c", LAUNCH, str(ROOT), "evaluate", example, "--pdf"]
    ours = runner([*launch, str(scratch / "on.pdf")], child_env(TECHGATE_PDF_WORKER="1"), scratch)
    reference = runner(
        [*launch, str(scratch / "off.pdf")], child_env(TECHGATE_PDF_WORKER="0"), scratch
    )
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    compare(
        f"worker: 'evaluate --pdf {PDF_EXAMPLE}' with its PDF worker against "
        f"TECHGATE_PDF_WORKER=0 ({usable} usable CPUs)",
        ours,
        reference,
        options,
    )


def base_tree(revision: str, scratch: Path) -> Path:
    tree = scratch / "base"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def ab_section(kind: str, base: Path, options: argparse.Namespace, scratch: Path) -> None:
    env = child_env()

    def command(tree: Path) -> list[str]:
        if kind == "json":
            name = EXAMPLE
            tail = ["-f", "json"]
        else:
            name = PDF_EXAMPLE
            tail = ["--pdf", str(scratch / f"{tree.name}.pdf")]
        example = str(tree / "examples" / f"{name}.yaml")
        return [sys.executable, "-c", LAUNCH, str(tree), "evaluate", example, *tail]

    ours = runner(command(ROOT), env, scratch)
    theirs = runner(command(base), env, scratch)
    compare(
        f"ab-{kind}: this tree against {options.base}, 'evaluate "
        + ("-f json" if kind == "json" else "--pdf")
        + "'",
        ours,
        theirs,
        options,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="json,pdf", help="sections, comma-separated")
    parser.add_argument("--pairs", type=int, default=15, help="fewest pairs a comparison runs")
    parser.add_argument("--max-pairs", type=int, default=41, help="most pairs, when noisy")
    parser.add_argument("--base", help="git revision for the ab-json and ab-pdf sections")
    options = parser.parse_args()
    sections = options.only.split(",")
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if any(s.startswith("ab-") for s in sections) and not options.base:
        parser.error("the ab- sections need --base REV")
    print(f"machine: {machine()}; {load()} (1, 5, 15 min)")
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        base = base_tree(options.base, scratch) if options.base else None
        if "json" in sections:
            json_section(options, scratch)
        if "pdf" in sections:
            pdf_section(options, scratch)
        if "worker" in sections:
            worker_section(options, scratch)
        for kind in ("json", "pdf"):
            if f"ab-{kind}" in sections and base is not None:
                ab_section(kind, base, options, scratch)


if __name__ == "__main__":
    main()
