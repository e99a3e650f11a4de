"""An organisation's own templates (--templates) cannot hang, fill the memory or read outside.

Issue 7, classes 7 and 11. Each case here hung, crashed with exit 1 ("could
not render") or copied a file from outside the template folder into the
report before techgate/render/sandbox.py; now each is exit 2 naming the
template (and its line, where there is one), and nothing is written.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from techgate.cli import cli
from techgate.model import Evaluation
from techgate.render import sandbox
from techgate.render.documents import DocumentFormat, render_document
from techgate.render.pdf import TemplateOnlyFetcher, html_to_pdf

EXAMPLE = "examples/callback-queue.yaml"
SECRET = "root:x:0:0"  # the first line of /etc/passwd


def run_with(brand: Path, tmp_path: Path, *formats: str) -> Any:
    """evaluate with --templates brand, writing each format into tmp_path/out."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    options = [part for name in formats for part in (f"--{name}", str(out))]
    result = CliRunner().invoke(cli, ["evaluate", EXAMPLE, "--templates", str(brand), *options])
    assert "Traceback" not in result.output + result.stderr
    return result


def brand_with(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    brand = tmp_path / "brand"
    brand.mkdir()
    for name, content in files.items():
        path = brand / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return brand


def assert_refused(result: Any, tmp_path: Path, where: str) -> None:
    """Exit 2, the problem located at 'where' (a file, or file:line), nothing written."""
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stderr.startswith(where), result.stderr
    assert list((tmp_path / "out").iterdir()) == []


# --- Class 7: templates that would hang, fill the memory or crash -------------------

# A template, and what the error must say. Each failed the old code: it hung
# (the first eleven, killed after a minute) or exited 1 "could not render".
HOSTILE = {
    "nested ranges": (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "loop iterations, calls and filters",
    ),
    "huge repetition": ("{{ 'x' * 10**10 }}", "would be 10,000,000,000 long"),
    "huge range": ("{{ range(10**9) | list | length }}", "range() of 1,000,000,000"),
    "huge power": ("{{ 7 ** (10**10) }}", "an integer wider than"),
    "centre filter": ("{{ 'x' | center(10**10) }}", "would be 10,000,000,000 long"),
    "str method": ("{{ 'x'.rjust(10**10) }}", "would be 10,000,000,000 long"),
    "format filter width": ("{{ '%10000000000d' | format(1) }}", "a format width"),
    "percent width": ("{{ '%.10000000000f' % 1.5 }}", "a format width"),
    "str.format width": ("{{ '{:>{}}'.format(1, 10**10) }}", "a format width"),
    "doubling in a loop": (
        "{% set ns = namespace(s='x' * 1000000) %}"
        "{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
        "at most 16,000,000",
    ),
    "many large values": (
        "{{ range(10000) | map('center', 16000000) | list | length }}",
        "more than 128,000,000 characters and items made in all",
    ),
    "replace expansion": (
        "{{ ('x' * 1000000) | replace('x', 'x' * 1000000) }}",
        "1,000,000,000,000 long",
    ),
    "macro recursion": (
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "calls or includes itself without end",
    ),
    "self include": ("{% include 'report.md.j2' %}", "calls or includes itself without end"),
    "self extends": ("{% extends 'report.md.j2' %}", "calls or includes itself without end"),
    "recursive loop": (
        "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
        "calls or includes itself without end",
    ),
    "division by zero": ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    "undefined name": ("{{ nothing.here }}", "'nothing' is undefined"),
    "random text": ("{{ lipsum(10**9) }}", "'lipsum' is undefined"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_template_is_exit_2_at_its_line(tmp_path: Path, name: str) -> None:
    template, message = HOSTILE[name]
    # Two lines of harmless text first: the error must point at line 3.
    brand = brand_with(tmp_path, {"report.md.j2": f"# Ours\n\n{template}\n"})
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}:3:1: ")
    assert message in result.stderr


def test_calls_without_loops_or_output_count_against_the_budget(tmp_path: Path) -> None:
    # 2**60 macro calls, none deeper than 60 and none writing anything.
    template = (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}\n"
        "{{ f(60) }}"
    )
    brand = brand_with(tmp_path, {"report.md.j2": template})
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}:1:1: ")
    assert f"more than {sandbox.MAX_STEPS:,} loop iterations, calls and filters" in result.stderr


def test_output_beyond_the_cap_is_refused(tmp_path: Path) -> None:
    # 10,000 pieces of a million characters: 10 GB if it were let through.
    template = "{% for i in range(10000) %}{{ 'x' * 1000000 }}{% endfor %}"
    brand = brand_with(tmp_path, {"report.md.j2": template})
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}:1:1: ")
    assert f"the output would be {sandbox.MAX_CHARS + 1_000_000:,} long" in result.stderr


def test_slow_work_within_the_size_limits_stops_at_the_time_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each iteration searches ten million characters: seconds for 10,000 of them,
    # in far fewer steps than the step limit and making nothing new. The budget
    # is lowered to keep the test quick; what is tested is that the clock is
    # checked at all.
    monkeypatch.setattr(sandbox, "RENDER_SECONDS", 0.2)
    template = "{% set s = 'x' * 10000000 %}{% for i in range(10000) %}{{ 'xy' in s }}{% endfor %}"
    brand = brand_with(tmp_path, {"report.md.j2": template})
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}:1:1: ")
    assert "rendering took longer than 0.2 seconds" in result.stderr


def test_a_template_that_is_not_utf8_is_exit_2_naming_it(tmp_path: Path) -> None:
    brand = brand_with(tmp_path, {"report.md.j2": b"# Ours\n\xff\xfe {{ 1 }}\n"})
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}:2:1: ")
    assert "is not UTF-8 text" in result.stderr


def test_an_included_template_is_located_in_its_own_file(tmp_path: Path) -> None:
    brand = brand_with(
        tmp_path,
        {
            "report.md.j2": "# Ours\n{% include 'parts/body.md.j2' %}\n",
            "parts/body.md.j2": "fine\nfine\n{{ ctx.evaluation.score // 0 }}\n",
        },
    )
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'parts' / 'body.md.j2'}:3:1: ")


def test_ordinary_templates_still_render(tmp_path: Path) -> None:
    template = (
        "{% set e = ctx.evaluation %}{% macro row(c) %}| {{ c.title }} | {{ c.score | num }} |"
        "{% endmacro %}"
        "{{ '{:>6}|{:,}'.format(e.score, 25000000) }} {{ '%-8s|%.2f' % ('go', 1.5) }} "
        "{{ '%05d' | format(42) }} {{ e.proposal.title | center(40) | trim }}\n"
        "{% for c in e.criteria %}{{ row(c) }}{% if not loop.last %}\n{% endif %}{% endfor %}\n"
        "{{ e.criteria | map(attribute='title') | join(', ') }} {{ range(3) | sum }} "
        "{{ range(5) | batch(2) | list | length }} {{ 'x' * 3 }} {{ 2 ** 10 }}\n"
    )
    brand = brand_with(tmp_path, {"report.md.j2": template})
    result = run_with(brand, tmp_path, "md")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "out" / "callback-queue.md").read_text(encoding="utf-8")
    # (Markdown templates escape every value and fold runs of spaces.)
    assert re.search(r"[\d.]+\\\|25,000,000 go \\\|1\.50 00042 Virtual hold", text), text
    assert "xxx 1024" in text and " 3 3 " in text


def test_built_in_templates_under_the_limits_give_the_same_bytes(
    records: dict[str, Evaluation], tmp_path: Path
) -> None:
    # A folder that overrides nothing: the built-in templates then run in the
    # bounded sandbox, and must come out exactly as they do unbounded.
    brand = brand_with(tmp_path, {"unrelated.txt": "x"})
    for name in ("self-service-portal-panel", "chatbot-no-human"):
        for document_format in (DocumentFormat.HTML, DocumentFormat.MARKDOWN):
            bounded = render_document(records[name], document_format, user_templates=brand)
            assert bounded == render_document(records[name], document_format), name


# --- Class 11: nothing outside the template folder, nothing but regular files ----------


def test_a_template_linked_outside_the_folder_is_refused(tmp_path: Path) -> None:
    brand = brand_with(tmp_path, {})
    (brand / "report.md.j2").symlink_to("/etc/passwd")
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}: ")
    assert "outside the template folder" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_an_include_through_a_linked_folder_is_refused(tmp_path: Path) -> None:
    brand = brand_with(tmp_path, {"report.md.j2": "# Ours\n{% include 'etc/passwd' %}\n"})
    (brand / "etc").symlink_to("/etc")
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'etc' / 'passwd'}: ")
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("document", ["html", "pdf"])
def test_a_linked_stylesheet_is_refused_in_html_and_pdf(tmp_path: Path, document: str) -> None:
    # report.css is included into the built-in report.html.j2.
    brand = brand_with(tmp_path, {})
    (brand / "report.css").symlink_to("/etc/passwd")
    result = run_with(brand, tmp_path, document)
    assert_refused(result, tmp_path, f"{brand / 'report.css'}: ")


def test_a_link_to_a_device_is_refused_before_reading(tmp_path: Path) -> None:
    brand = brand_with(tmp_path, {})
    (brand / "report.md.j2").symlink_to("/dev/zero")
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}: ")


def test_a_pipe_or_a_folder_as_template_is_refused_without_waiting(tmp_path: Path) -> None:
    brand = brand_with(tmp_path, {})
    os.mkfifo(brand / "report.md.j2")
    (brand / "report.css").mkdir()
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}: ")
    assert "is not a regular file" in result.stderr
    result = run_with(brand, tmp_path, "html")
    assert_refused(result, tmp_path, f"{brand / 'report.css'}: ")


def test_a_template_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    big = "x" * (sandbox.MAX_TEMPLATE_BYTES + 1)
    brand = brand_with(tmp_path, {"report.md.j2": big})
    result = run_with(brand, tmp_path, "md")
    assert_refused(result, tmp_path, f"{brand / 'report.md.j2'}: ")
    assert f"templates may be at most {sandbox.MAX_TEMPLATE_BYTES:,}" in result.stderr


def test_links_that_stay_inside_the_folder_are_followed(tmp_path: Path) -> None:
    brand = brand_with(tmp_path, {"shared/real.md.j2": "# Linked {{ ctx.evaluation.score }}\n"})
    (brand / "report.md.j2").symlink_to(brand / "shared" / "real.md.j2")
    linked_folder = tmp_path / "brand-link"
    linked_folder.symlink_to(brand)
    result = run_with(linked_folder, tmp_path, "md")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / "callback-queue.md").read_text().startswith("# Linked ")


def test_the_pdf_fetcher_refuses_a_pipe_inside_the_folder(tmp_path: Path) -> None:
    allowed = tmp_path / "brand"
    allowed.mkdir()
    pipe = allowed / "logo.png"
    os.mkfifo(pipe)
    finished = threading.Event()

    def unblock() -> None:
        # If the fetcher opened the pipe it would wait for a writer for ever:
        # after a while, play the writer so that the test fails instead.
        if not finished.wait(15):
            with contextlib.suppress(OSError):
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    fetcher_seen: list[TemplateOnlyFetcher] = []
    original = TemplateOnlyFetcher.__init__

    def keep(self: TemplateOnlyFetcher, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        fetcher_seen.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TemplateOnlyFetcher, "__init__", keep)
        html_to_pdf('<p>x</p><img src="logo.png">', [allowed])
    finished.set()
    assert any(re.search(r"logo\.png$", url) for url in fetcher_seen[0].refused)
