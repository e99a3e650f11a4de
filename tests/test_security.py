"""User text never becomes markup; WeasyPrint fetches nothing outside the templates;
user templates run sandboxed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import baseline
from pypdf import PdfReader
from rich.console import Console
from weasyprint import HTML

import techgate
from techgate.cli import cli
from techgate.model import CriteriaPack
from techgate.render import pdf as pdf_module
from techgate.render.charts import radar_chart
from techgate.render.documents import DocumentFormat, render_document
from techgate.render.pdf import TemplateOnlyFetcher
from techgate.render.text import text_view
from techgate.resources import data_dir

IMG = '<img src="file:///etc/passwd">'
ATTACH = '<link rel="attachment" href="file:///etc/hostname">'
CSS = '<style>body { background: url("http://127.0.0.1:9/x.png") }</style>'
JINJA = "{{ 7 * 7 }}"
HOSTILE = f"{IMG} {ATTACH} {CSS} {JINJA} [link](http://127.0.0.1:9) | pipe | **bold**"


def hostile_record(pack: CriteriaPack) -> Any:
    data = baseline()
    data["title"] = f"Title {IMG}"
    data["vendor"] = ATTACH
    data["owner"] = CSS
    data["segments"][0]["name"] = HOSTILE
    data["segments"][0]["alternative_remains"] = False
    data["segments"][0]["ability"] = "none"
    data["assessments"][0]["assessor"] = f"Assessor {JINJA} {IMG}"
    data["assessments"][0]["scores"]["security"]["note"] = HOSTILE
    return techgate.evaluate(techgate.load_proposal(data), pack)


def test_html_escapes_every_proposal_text(contact_centre: CriteriaPack) -> None:
    html = render_document(hostile_record(contact_centre), DocumentFormat.HTML).decode()
    assert "<img" not in html and 'rel="attachment"' not in html and "<style>body" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "{{ 7 * 7 }}" in html and ">49<" not in html


def test_markdown_escapes_every_proposal_text(contact_centre: CriteriaPack) -> None:
    markdown = render_document(hostile_record(contact_centre), DocumentFormat.MARKDOWN).decode()
    assert "<img" not in markdown and "<link" not in markdown
    assert "&lt;img src=" in markdown
    assert "[link](" not in markdown and "\\[link\\]" in markdown
    assert "| pipe |" not in markdown


def hostile_new_fields(pack: CriteriaPack) -> Any:
    """Proposal text in the fields record layout 2 reports: benefits, workforce, automation."""
    data = baseline()
    data["category"] = "chatbot"
    data["automation"] = {"generates_answers": True, "knowledge_source": HOSTILE}
    data["motive"]["objectives"][2]["text"] = HOSTILE
    data["motive"]["success_metrics"][0].update(
        {
            "name": f"Metric {IMG} [bold]x[/bold]",
            "baseline": 4,
            "target": 2,
            "measured": 3,
            "evidence": ["prod"],
        }
    )
    data["workforce"] = {
        "roles_removed": 2,
        "roles_frozen": 0,
        "roles_redeployed": 0,
        "note": HOSTILE,
    }
    data["stakeholder_input"][0]["participants"] = {"at_least": 40}
    data["assessments"][0]["scores"]["privacy"] = {"score": "unchanged", "note": HOSTILE}
    return techgate.evaluate(techgate.load_proposal(data), pack)


def test_new_fields_are_escaped_in_html_and_markdown(contact_centre: CriteriaPack) -> None:
    record = hostile_new_fields(contact_centre)
    assert record.analyses.benefits.lines[2].objective == HOSTILE
    assert record.analyses.benefits.metrics_measured == (f"Metric {IMG} [bold]x[/bold]",)
    html = render_document(record, DocumentFormat.HTML).decode()
    assert "<img" not in html and 'rel="attachment"' not in html and "<style>body" not in html
    assert ">49<" not in html
    # In the benefits table, the benefits chart and the metrics measured.
    assert html.count("&lt;img src=&#34;file:///etc/passwd&#34;&gt;") >= 3
    markdown = render_document(record, DocumentFormat.MARKDOWN).decode()
    assert "<img" not in markdown and "<link" not in markdown and "<style" not in markdown
    assert "[link](" not in markdown and "| pipe |" not in markdown
    # (A word joiner after 'http:' keeps GitHub from making the URL a link: class 13.)
    assert "\\[link\\](http:\u2060//127.0.0.1:9) \\| pipe \\| \\*\\*bold\\*\\*" in markdown


def test_pdf_shows_injected_markup_as_text_and_fetches_nothing(
    contact_centre: CriteriaPack, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    original = TemplateOnlyFetcher.fetch

    def spy(self: TemplateOnlyFetcher, url: str, headers: Any = None) -> Any:
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(TemplateOnlyFetcher, "fetch", spy)
    pdf = render_document(hostile_record(contact_centre), DocumentFormat.PDF)
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert IMG in text
    assert not asked, f"nothing should be fetched, but WeasyPrint asked for {asked}"
    assert b"/EmbeddedFiles" not in pdf


def test_fetcher_refuses_everything_outside_the_template_folders(tmp_path: Path) -> None:
    allowed = tmp_path / "templates"
    allowed.mkdir()
    (allowed / "ok.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="4" '
        'height="4"><rect width="4" height="4"/></svg>'
    )
    (allowed / "escape.svg").symlink_to("/etc/hostname")
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    html = f"""<html><head>
      <link rel="stylesheet" href="{outside.as_uri()}">
      <link rel="stylesheet" href="http://127.0.0.1:9/a.css">
      <link rel="attachment" href="file:///etc/hostname">
      <style>p {{ background: url("file:///etc/passwd") }}</style>
    </head><body>
      <p>x</p><img src="file:///etc/passwd"><img src="escape.svg"><img src="ok.svg">
      <img src="https://127.0.0.1:9/x.png"><img src="data:image/svg+xml,%3Csvg%3E%3C/svg%3E">
    </body></html>"""
    fetcher = TemplateOnlyFetcher([allowed])
    pdf = HTML(string=html, base_url=allowed.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    refused = " ".join(fetcher.refused)
    for url in (
        outside.as_uri(),
        "http://127.0.0.1:9/a.css",
        "file:///etc/hostname",
        "file:///etc/passwd",
        "escape.svg",
        "https://127.0.0.1:9/x.png",
        "data:image",
    ):
        assert url in refused, url
    assert "ok.svg" not in refused
    assert b"/EmbeddedFiles" not in pdf


def test_html_to_pdf_uses_the_restricted_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real_html = pdf_module.HTML

    def recording_html(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("url_fetcher"))
        return real_html(*args, **kwargs)

    monkeypatch.setattr(pdf_module, "HTML", recording_html)
    pdf_module.html_to_pdf("<p>x</p>", [data_dir("templates")])
    assert isinstance(seen[0], TemplateOnlyFetcher)


def test_chart_labels_are_escaped(contact_centre: CriteriaPack) -> None:
    record = hostile_record(contact_centre)
    criteria = (
        record.criteria[0].model_copy(update={"title": "</text><script>x</script>"}),
        *record.criteria[1:],
    )
    svg = str(radar_chart(criteria))
    assert "<script>" not in svg and "&lt;/text&gt;&lt;script&gt;" in svg


def evaluate_with_templates(tmp_path: Path, template: str, *outputs: str) -> Any:
    """Run evaluate with a template folder whose report.md.j2 is 'template'."""
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "report.md.j2").write_text(template)
    out = tmp_path / "out"
    out.mkdir()
    options = [part for name in outputs for part in (f"--{name}", str(out))]
    return CliRunner().invoke(
        cli, ["evaluate", "examples/callback-queue.yaml", "--templates", str(brand), *options]
    )


def test_user_templates_override_and_fall_back(tmp_path: Path) -> None:
    result = evaluate_with_templates(
        tmp_path, "# ACME review: {{ ctx.evaluation.proposal.title }}\n", "md", "html"
    )
    out = tmp_path / "out"
    assert result.exit_code == 0, result.stderr
    assert (out / "callback-queue.md").read_text().startswith("# ACME review: Virtual hold")
    assert "Executive summary" in (out / "callback-queue.html").read_text()


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ctx.evaluation.__class__.__init__.__globals__ }}",
        "{% include '../../../etc/passwd' %}",
        "{{ ctx.evaluation.gates.append(1) }}",
    ],
)
def test_user_templates_are_sandboxed(tmp_path: Path, template: str) -> None:
    result = evaluate_with_templates(tmp_path, template, "md", "pdf")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_terminal_view_never_reads_proposal_text_as_rich_markup(
    contact_centre: CriteriaPack,
) -> None:
    # The CLI prints with a console that reads markup in plain strings.
    buffer = io.StringIO()
    console = Console(file=buffer, width=400, color_system=None, highlight=False)
    console.print(text_view(hostile_new_fields(contact_centre)))
    out = buffer.getvalue()
    assert "[link](http://127.0.0.1:9) | pipe | **bold**" in out  # objective text
    assert f"Metric {IMG} [bold]x[/bold]" in out  # benefits summary, as a table caption
