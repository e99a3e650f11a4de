"""The one place Jinja environments are made, and the typed context templates receive.

Built-in templates come from techgate's template folder. An organisation's
own folder (--templates) is searched first, and its templates then run in
Jinja's immutable sandbox: they can read the record, not change or reach
anything else, within limits of time and size, reading only regular files
inside that folder (techgate.render.sandbox). Whatever is missing there
falls back to the built-in files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from techgate._version import __version__
from techgate.model.evaluation import (
    Evaluation,
    GateResult,
    IndicatorResult,
    LevelSwing,
    Reason,
)
from techgate.render.formats import Paper
from techgate.render.panel import PanelView, panel_view
from techgate.render.safe_text import printable, short_name
from techgate.render.sandbox import BoundedSandbox, ConfinedLoader, render_bounded
from techgate.render.sensitivity_view import WeightRange
from techgate.resources import data_dir

if TYPE_CHECKING:
    # What changed since a record, and people's decisions on it, come only with
    # --since or from the register; a plain report does not build their models.
    from techgate.model.diff import RecordDiff
    from techgate.model.register import HumanDecision
    from techgate.render.diff_view import DiffView

# Characters that start emphasis, code, links or table cells wherever they stand.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
_BLOCK_START = re.compile(r"^([#>+=-])")
_ORDERED_START = re.compile(r"^(\d+)([.)])(?=\s|$)")
# What GitHub turns into a live link or a notification in plain text, whatever
# the escaping: 'www.' and 'scheme://' (GFM's extended autolinks), name@host
# (email autolinks), @user and @org/team (mentions, which notify), #123 (issue
# references). A backslash does not stop the last three, which GitHub finds
# in the rendered text; an invisible word joiner (U+2060) after the trigger
# does, and the text reads the same.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?<=@)(?=[^\W_])|(?<=#)(?=\d)")
WORD_JOINER = "\u2060"


def escape_markdown(value: Any) -> str:
    """Make any value inert in Markdown: user text must never become markup, HTML or a link."""
    text = "" if value is None else printable(str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(WORD_JOINER, text)
    # A newline would end a table row or start a heading; fold it.
    text = " ".join(text.split())
    # Templates put some values at the start of a line, where '#', '>', '-',
    # '+', '=' or '1.' would make a heading, a quote or a list.
    return _ORDERED_START.sub(r"\1\\\2", _BLOCK_START.sub(r"\\\1", text))


# What a policy cap means, for readers who do not know the policy's field names.
CAP_WORDS = {
    "min_confidence": "confidence below the minimum for a go",
    "min_coverage": "coverage below the minimum for a go",
    "evidence_required": "scores without the evidence the pack requires",
}


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template may use; templates get it as 'ctx'."""

    evaluation: Evaluation
    top_reasons: tuple[Reason, ...]
    paper: Paper
    radar_chart: Markup
    contribution_chart: Markup
    benefits_chart: Markup
    binding: tuple[str, ...]
    """What holds the decision where it is, in words."""
    lenient: tuple[GateResult, ...]
    """Gates the pack lets off more lightly than the worst honest answer."""
    unchanged: tuple[IndicatorResult, ...]
    """Indicators the technology leaves as they are (not in the score)."""
    trait_indicators: tuple[IndicatorResult, ...]
    """Indicators that apply only because of the proposal's traits."""
    trait_gates: tuple[GateResult, ...]
    """Gates that apply only because of the proposal's traits."""
    panel: PanelView | None
    """Beyond a handful of assessors, their answers summarised (None: every answer inline)."""
    weight_ranges: tuple[WeightRange, ...] = ()
    """With a sensitivity block: per criterion, the weight shares that keep the decision,
    narrowest first."""
    level_swings: tuple[LevelSwing, ...] = ()
    """With a sensitivity block: the indicators whose score change flips it soonest."""
    tornado_chart: Markup = field(default_factory=Markup)
    """With a sensitivity block and charts: the weight ranges as an inline SVG."""
    changes: DiffView | None = None
    """What changed since a previous record, when the caller gave one (None: no section)."""
    decisions: tuple[HumanDecision, ...] = ()
    """What people decided on this record in the register, oldest first (empty: no section);
    an override of the engine is flagged."""


def report_context(
    evaluation: Evaluation,
    paper: Paper = Paper.A4,
    *,
    charts: bool = False,
    top: int = 3,
    changes: RecordDiff | None = None,
    decisions: tuple[HumanDecision, ...] = (),
) -> ReportContext:
    radar, bars, benefits = Markup(""), Markup(""), Markup("")
    if charts:
        from techgate.render.charts import benefits_chart, contribution_chart, radar_chart

        radar, bars = radar_chart(evaluation.criteria), contribution_chart(evaluation.criteria)
        benefits = benefits_chart(evaluation.analyses.benefits)
    indicators = {i.id: i for c in evaluation.criteria for i in c.indicators}
    gates = {g.id: g for g in evaluation.gates}
    automation = evaluation.analyses.automation
    return ReportContext(
        evaluation=evaluation,
        top_reasons=evaluation.reasons[:top],
        paper=paper,
        radar_chart=radar,
        contribution_chart=bars,
        benefits_chart=benefits,
        binding=binding_words(evaluation),
        lenient=tuple(g for g in evaluation.gates if g.lenient),
        unchanged=tuple(indicators[key] for key in evaluation.unchanged if key in indicators),
        trait_indicators=tuple(indicators[k] for k in automation.indicators if k in indicators),
        trait_gates=tuple(gates[k] for k in automation.gates if k in gates),
        panel=panel_view(evaluation),
        changes=None if changes is None else _changes_view(changes),
        decisions=decisions,
        **_sensitivity_parts(evaluation, charts),
    )


def _changes_view(changes: RecordDiff) -> DiffView:
    from techgate.render.diff_view import diff_view

    return diff_view(changes)


def _sensitivity_parts(evaluation: Evaluation, charts: bool) -> dict[str, Any]:
    """The context a sensitivity block adds; nothing for a record without one."""
    block = evaluation.sensitivity
    if block is None:
        return {}
    from techgate.render.sensitivity_view import nearest_level_swings, weight_ranges

    ranges = weight_ranges(block)
    parts: dict[str, Any] = {
        "weight_ranges": ranges,
        "level_swings": tuple(nearest_level_swings(block)),
    }
    if charts:
        from techgate.render.charts import tornado_chart

        parts["tornado_chart"] = tornado_chart(ranges)
    return parts


def binding_words(evaluation: Evaluation) -> tuple[str, ...]:
    """Each thing that holds the decision where it is, as a reader would name it."""
    titles = {g.id: g.title for g in evaluation.gates}
    words = []
    for ref in evaluation.margin.binding:
        if ref == "score":
            words.append(f"the score ({evaluation.score:g})")
        elif ref in titles:
            words.append(f"gate '{titles[ref]}'")
        else:
            words.append(CAP_WORDS.get(ref, ref))
    return tuple(words)


def template_dirs(user_templates: Path | None) -> tuple[Path, ...]:
    """Folders templates (and the assets they name) may come from, searched in order."""
    builtin = data_dir("templates")
    return (user_templates, builtin) if user_templates else (builtin,)


def _loader(user_templates: Path | None) -> BaseLoader:
    builtin = FileSystemLoader(str(data_dir("templates")))
    return ChoiceLoader([ConfinedLoader(user_templates), builtin]) if user_templates else builtin


def _number(value: Any) -> str:
    return "—" if value is None else f"{float(value):g}"


def money(value: Any, currency: str | None = None) -> str:
    """An amount with thousands separators and its currency, or a dash when not stated."""
    if value is None:
        return "—"
    amount = f"{float(value):,.0f}"
    return f"{currency} {amount}" if currency else amount


def _add_filters(environment: Environment) -> Environment:
    environment.filters["pct"] = lambda value: "—" if value is None else f"{float(value):.0%}"
    environment.filters["num"] = _number
    environment.filters["money"] = money
    environment.filters["short_name"] = short_name
    return environment


class _PrivateCodeCache(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, read only from files the user alone could
    have written, and where an entry that cannot be read is a miss and one that cannot be
    written is not kept.

    Jinja reads an entry with pickle and runs the code in it, so a file
    someone else could have put there is never opened as an entry (nor one
    reached through a link). Jinja writes each entry atomically and checks it
    against the template's source, Jinja and Python; an entry damaged some
    other way is compiled again rather than failing the render.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            descriptor = os.open(
                self._get_cache_filename(bucket), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
            )
        except OSError:  # none yet, a link, or unreadable: compiled as if absent
            return
        try:
            with os.fdopen(descriptor, "rb") as entry:
                if _only_mine(os.fstat(entry.fileno()), stat.S_ISREG):
                    bucket.load_bytecode(entry)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        # A folder gone, read-only or full loses the saving, never the report.
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _only_mine(found: os.stat_result, kind: Callable[[int], bool]) -> bool:
    """Of this kind, this user's, and nobody else can write it."""
    return (
        kind(found.st_mode)
        and found.st_uid == os.getuid()
        and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _private_folder(folder: Path | None) -> Path | None:
    """The folder for compiled templates (made if missing), or None when it is not the
    user's alone: never followed through a link, and never has its permissions changed
    (Jinja's own default folder chmods whatever a planted link points at)."""
    if not hasattr(os, "getuid"):
        return None
    if folder is None:
        import tempfile

        folder = Path(tempfile.gettempdir()) / f"techgate-templates-{os.getuid()}"
    try:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        found = os.lstat(folder)
    except OSError:
        return None
    return folder if _only_mine(found, stat.S_ISDIR) else None


def _code_cache(folder: Path, kind: str) -> _PrivateCodeCache:
    # Jinja keys an entry by the template's name and file, and checks it against the
    # template's source: nothing says how the environment compiled it (escaping,
    # finalize, whitespace). Entries are named after the environment and what made it
    # (this module and techgate's version), so code compiled under other settings, by the
    # other environment or another techgate, is never loaded.
    made_by = hashlib.sha256(
        f"{__version__}\0{kind}\0".encode() + Path(__file__).read_bytes()
    ).hexdigest()[:16]
    return _PrivateCodeCache(str(folder), f"{kind}-{made_by}-%s.cache")


def keep_compiled_templates(folder: Path | None = None) -> bool:
    """Keep the built-in templates compiled in 'folder' between processes; False if it cannot.

    Compiling the report's template takes about 50 ms, longer than the rest
    of rendering its HTML; a new process that finds it compiled loads it in
    about 2 ms. Without a folder, 'techgate-templates-UID' in the temporary
    directory. The folder is used only if it is the user's own and nobody
    else can write to it (a link there is not followed, and nothing's
    permissions are changed). The cached code is what compiling would give,
    so the output is the same byte for byte. User templates (--templates)
    are never cached. The command line turns this on; the library leaves it
    off unless asked.
    """
    private = _private_folder(folder)
    if private is None:  # no private folder to be had: compile as before
        return False
    html_environment(None).bytecode_cache = _code_cache(private, "html")
    markdown_environment(None).bytecode_cache = _code_cache(private, "markdown")
    return True


# One environment per template folder for the life of the process: Jinja
# keeps compiled templates in it (and reloads a template whose file changed),
# so batch and repeated renders do not compile them again.
@cache
def html_environment(user_templates: Path | None = None) -> Environment:
    """Jinja for HTML: autoescaping everywhere, including templates made from strings."""
    kind = BoundedSandbox if user_templates else Environment
    return _add_filters(
        kind(
            loader=_loader(user_templates),
            autoescape=select_autoescape(default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


@cache
def markdown_environment(user_templates: Path | None = None) -> Environment:
    """Jinja for Markdown: every expression's output is escaped for Markdown."""
    kind = BoundedSandbox if user_templates else Environment
    return _add_filters(
        kind(
            loader=_loader(user_templates),
            # HTML escaping is wrong for Markdown; finalize escapes every value instead.
            autoescape=False,
            finalize=escape_markdown,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    )


def render_template(environment: Environment, name: str, ctx: object, user: Path | None) -> str:
    """A template rendered with 'ctx'; bounded by the sandbox when user templates are in play."""
    if user is None:
        return environment.get_template(name).render(ctx=ctx)
    return render_bounded(environment, name, template_dirs(user), ctx=ctx)


def render_markdown(
    evaluation: Evaluation,
    user_templates: Path | None = None,
    changes: RecordDiff | None = None,
    decisions: tuple[HumanDecision, ...] = (),
) -> str:
    environment = markdown_environment(user_templates)
    context = report_context(evaluation, changes=changes, decisions=decisions)
    return render_template(environment, "report.md.j2", context, user_templates)


def render_html(
    evaluation: Evaluation,
    paper: Paper = Paper.A4,
    user_templates: Path | None = None,
    changes: RecordDiff | None = None,
    decisions: tuple[HumanDecision, ...] = (),
) -> str:
    context = report_context(evaluation, paper, charts=True, changes=changes, decisions=decisions)
    return render_template(
        html_environment(user_templates), "report.html.j2", context, user_templates
    )
