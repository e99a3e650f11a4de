"""Proposal text that is hostile to the page, the Markdown viewer, the terminal or the record.

Issue 7: class 8 (an unbroken 9,999-character word), class 13 (GitHub
autolinks and mentions in Markdown), class 14 (terminal control sequences in
the text view) and part of class 20 (NEL, LS and PS survive the JSON record).
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from click.testing import CliRunner
from conftest import ROOT, baseline
from pypdf import PdfReader
from rich.console import Console
from ruamel.yaml import YAML
from test_many_assessors import with_dissenter
from weasyprint import HTML

import techgate
from techgate.cli import cli
from techgate.model import CriteriaPack, Evaluation
from techgate.render.documents import DocumentFormat, render_document
from techgate.render.environment import WORD_JOINER, escape_markdown, template_dirs
from techgate.render.pdf import TemplateOnlyFetcher
from techgate.render.safe_text import printable
from techgate.render.text import render_text, text_view

EXAMPLE = ROOT / "examples" / "callback-queue.yaml"


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


# --- Class 8: a 9,999-character word wraps, and stays on the page -------------------

WORD = "W" * 9_999  # the widest letter, with nowhere to break
PAGE_BOUND = 20  # an ordinary record is 7 pages; before, an assessor named WORD made 188


def _with_long_word(pack: CriteriaPack, field: str) -> Evaluation:
    data = baseline()
    if field == "assessor":
        data["assessments"][0]["assessor"] = WORD
    else:
        data[field] = WORD
    return techgate.evaluate(techgate.load_proposal(data), pack)


def _overflowing(box: Any, page_width: float) -> Iterator[str]:
    """Boxes whose right edge passes the page's (or whose left edge is left of it)."""
    left = box.position_x
    right = left + box.margin_width()
    if left < -0.5 or right > page_width + 0.5:
        yield f"{type(box).__name__} from {left:.0f} to {right:.0f} (page {page_width:.0f})"
    if box.style["overflow"] != "visible":
        return  # what is inside is clipped to this box
    for child in getattr(box, "children", ()):
        yield from _overflowing(child, page_width)


@pytest.mark.parametrize("field", ["title", "vendor", "assessor"])
def test_a_long_word_wraps_within_the_page_in_a_bounded_number_of_pages(
    contact_centre: CriteriaPack, field: str
) -> None:
    record = _with_long_word(contact_centre, field)
    markup = render_document(record, DocumentFormat.HTML).decode("utf-8")
    folders = template_dirs(None)
    document = HTML(
        string=markup,
        base_url=folders[0].resolve().as_uri() + "/",
        url_fetcher=TemplateOnlyFetcher(folders),
    ).render()
    assert len(document.pages) <= PAGE_BOUND
    for number, page in enumerate(document.pages, start=1):
        # The page box itself (WeasyPrint's layout tree; no public equivalent).
        outside = list(_overflowing(page._page_box, page.width))
        assert not outside, f"page {number}: {outside[:3]}"


def test_a_long_title_is_cut_in_the_running_header_and_whole_in_the_heading(
    contact_centre: CriteriaPack,
) -> None:
    record = _with_long_word(contact_centre, "title")
    pdf = PdfReader(io.BytesIO(render_document(record, DocumentFormat.PDF)))
    text = "".join(page.extract_text() for page in pdf.pages)
    # The heading has the whole title; the header on each page at most 120 characters of it.
    assert len(WORD) <= text.count("W") <= len(WORD) + 200 * len(pdf.pages)
    assert len(pdf.pages) <= PAGE_BOUND
    markup = render_document(record, DocumentFormat.HTML).decode("utf-8")
    assert f'data-running="{"W" * 119}…"' in markup


def test_every_long_field_at_once_through_the_cli(tmp_path: Path) -> None:
    yaml = YAML()
    data = yaml.load(EXAMPLE.read_text(encoding="utf-8"))
    data["title"], data["vendor"], data["owner"] = "T" * 9_999, "V" * 9_999, "O" * 9_999
    data["assessments"][0]["assessor"] = "A" * 9_999
    source = tmp_path / "long.yaml"
    with source.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    result = run("evaluate", str(source), "--pdf", str(tmp_path / "long.pdf"))
    assert result.exit_code == 0, result.stderr
    assert len(PdfReader(tmp_path / "long.pdf").pages) <= PAGE_BOUND + 10


def test_a_long_assessor_name_in_a_panel_is_shortened_where_it_repeats(
    contact_centre: CriteriaPack,
) -> None:
    # Twelve assessors: summaries name the one far from the median beside each indicator.
    record = techgate.evaluate(
        techgate.load_proposal(with_dissenter(11, name=WORD)), contact_centre
    )
    markup = render_document(record, DocumentFormat.HTML).decode("utf-8")
    assert WORD not in markup and "W" * 79 + "…" in markup
    pdf = PdfReader(io.BytesIO(render_document(record, DocumentFormat.PDF)))
    assert len(pdf.pages) <= PAGE_BOUND


# --- Class 13: no live links or mentions from proposal text in Markdown -----------------

LINKS = (
    "See http://evil.example/x, https://evil.example, ftp://f.example, _www.evil.example_, "
    "WWW.EVIL.EXAMPLE, <https://evil.example>, mail a.b+c@evil.example or "
    "mailto:x@evil.example, ping @team and @org/team, see #12"
)
# GitHub's mention and issue-reference patterns, found in the rendered text.
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
ISSUE = re.compile(r"(?<![\w&])#\d")


def _gfm_links(markdown: str) -> tuple[list[str], str]:
    """The links GitHub-flavoured Markdown makes, and the text it shows."""
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown)
    links = re.findall(r"<a [^>]*>", rendered)
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    return links, text


def test_escaped_text_makes_no_link_or_mention_and_reads_the_same() -> None:
    escaped = escape_markdown(LINKS)
    links, text = _gfm_links(escaped)
    assert links == []
    assert not MENTION.search(text) and not ISSUE.search(text)
    assert text.strip().replace(WORD_JOINER, "") == LINKS


def _linky_proposal(tmp_path: Path) -> Path:
    yaml = YAML()
    data = yaml.load(EXAMPLE.read_text(encoding="utf-8"))
    data["title"] = "Callbacks, see https://evil.example and www.evil.example"
    data["vendor"] = "QueueWise @team (sales@evil.example)"
    data["owner"] = "Ops #12 <https://evil.example>"
    data["motive"]["objectives"][0]["text"] = LINKS
    source = tmp_path / "links.yaml"
    with source.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return source


def test_markdown_reports_make_no_live_links_or_mentions(tmp_path: Path) -> None:
    source = _linky_proposal(tmp_path)
    shown = run("evaluate", str(source), "-f", "markdown", "--md", str(tmp_path / "r.md"))
    assert shown.exit_code == 0, shown.stderr
    for markdown in (shown.stdout, (tmp_path / "r.md").read_text(encoding="utf-8")):
        links, text = _gfm_links(markdown)
        assert links == [], links
        assert not MENTION.search(text) and not ISSUE.search(text)
        assert "QueueWise @\u2060team" in text  # still there to read


# --- Class 14: control sequences are shown in the text view, never obeyed -------------

CONTROLS = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x85\r\x08\u202eevil\u202c\u2066x\u2069\u2028"
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def _controlled(pack: CriteriaPack) -> Evaluation:
    data = baseline()
    data["title"] = f"Title {CONTROLS}"
    data["vendor"] = f"Vendor {CONTROLS}"
    data["owner"] = f"Owner {CONTROLS}"
    data["assessments"][0]["assessor"] = f"Assessor {CONTROLS}"
    data["motive"]["objectives"][0]["text"] = f"Objective {CONTROLS}"
    data["segments"][0]["name"] = f"Segment {CONTROLS}"
    return techgate.evaluate(techgate.load_proposal(data), pack)


def test_printable_shows_every_control_and_bidi_override() -> None:
    assert printable(CONTROLS) == (
        "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x85\\r\\x08\\u202eevil\\u202c\\u2066x\\u2069\\u2028"
    )
    assert printable("tab\tand\nnewline, é, 中文") == "tab\tand\nnewline, é, 中文"


def test_the_text_view_shows_controls_as_escapes(contact_centre: CriteriaPack) -> None:
    record = _controlled(contact_centre)
    plain = render_text(record, width=200)
    buffer = io.StringIO()
    # As the CLI prints it: a colour terminal that reads markup in plain strings.
    Console(file=buffer, width=200, force_terminal=True, color_system="truecolor").print(
        text_view(record)
    )
    coloured = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())  # rich's own colours
    for output in (plain, coloured):
        assert not RAW.search(output), repr(RAW.search(output))
        for field in ("Title", "Vendor", "Owner"):
            assert f"{field} \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m" in output
        assert "\\u202eevil\\u202c" in output


def test_evaluate_prints_no_control_sequence(tmp_path: Path) -> None:
    yaml = YAML()
    data = yaml.load(EXAMPLE.read_text(encoding="utf-8"))
    data["title"] = f"Queue {CONTROLS}"
    data["vendor"] = f"Vendor {CONTROLS}"
    source = tmp_path / "in.yaml"
    with source.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    result = run("evaluate", str(source), "-o", str(tmp_path / "out.txt"))
    shown = run("evaluate", str(source))
    for output in (shown.stdout, (tmp_path / "out.txt").read_text(encoding="utf-8")):
        assert not RAW.search(output), repr(RAW.search(output))
        assert "\\x1b]0;pwned\\x07\\x1b[2J" in output
    assert result.exit_code == shown.exit_code == 0


# --- Class 20 (part): NEL, LS and PS come back from the record as they went in ---------


def _separated_proposal(tmp_path: Path) -> Path:
    # YAML escapes: \N is NEL (U+0085), \L is LS (U+2028), \P is PS (U+2029).
    text = EXAMPLE.read_text(encoding="utf-8")
    for pattern, line in (
        (r"(?m)^title: .*$", r'title: "Virtual\\Nhold\\Lwith\\Pbreaks"'),
        (r"(?m)^vendor: .*$", r'vendor: "Queue\\LWise\\N Ltd\\P"'),
        (r"note: Held the month-end peak in the pilot\.", r'note: "Held\\Nthe\\Lpeak\\P."'),
    ):
        text, count = re.subn(pattern, line, text, count=1)
        assert count == 1, pattern
    source = tmp_path / "separated.yaml"
    source.write_text(text, encoding="utf-8")
    return source


def test_line_separators_survive_evaluate_then_report_byte_for_byte(tmp_path: Path) -> None:
    source = _separated_proposal(tmp_path)
    first = {name: tmp_path / f"a.{name}" for name in ("json", "pdf", "md", "html")}
    second = {name: tmp_path / f"b.{name}" for name in first}
    options = [part for name, path in first.items() for part in (f"--{name}", str(path))]
    assert run("evaluate", str(source), *options).exit_code == 0
    options = [part for name, path in second.items() for part in (f"--{name}", str(path))]
    assert run("report", str(first["json"]), *options).exit_code == 0
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name
    record = first["json"].read_text(encoding="utf-8")
    assert not re.search("[\x85\u2028\u2029]", record)
    assert '"Virtual\\u0085hold\\u2028with\\u2029breaks"' in record
    assert json.loads(record)["proposal"]["vendor"] == "Queue\u2028Wise\x85 Ltd\u2029"
