"""The meeting's minutes as Markdown, HTML and PDF, from its journal and the record as it stands.

Everything shown comes from the journal (who, when, what was revealed,
tried, noted and decided) and from the decision record of the proposal with
the meeting's answers in place; nothing reads a clock, so the same journal
gives the same bytes. Names follow the meeting's choice (view()): hidden,
every answer and note is 'Assessor n'. User text goes through the report
environments: escaped for HTML by autoescaping, made inert for Markdown by
the Markdown environment's finalize.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techgate.meeting.events import MeetingOutcome
from techgate.meeting.state import MeetingState, Person, Round, view
from techgate.model.evaluation import Evaluation
from techgate.render.environment import (
    binding_words,
    html_environment,
    markdown_environment,
    render_template,
    template_dirs,
)
from techgate.vocabulary import DocumentFormat

OUTCOME_WORDS = {
    MeetingOutcome.APPROVE: "Approved",
    MeetingOutcome.REJECT: "Rejected",
    MeetingOutcome.APPROVE_WITH_CONDITIONS: "Approved with conditions",
    MeetingOutcome.DEFER: "Deferred",
}
MINUTES_FORMATS = (DocumentFormat.MARKDOWN, DocumentFormat.HTML, DocumentFormat.PDF)


@dataclass(frozen=True)
class TriedWhatIf:
    """A what-if as the minutes list it."""

    seq: int
    at: str
    kind: str
    details: str
    """The change's other fields, as 'key=value' pairs in key order."""
    undone: bool


@dataclass(frozen=True)
class MinutesContext:
    """Everything the minutes templates may use; they get it as 'ctx'."""

    state: MeetingState
    """The meeting as it may be shown (names hidden when the meeting hides them)."""
    record: Evaluation
    """The decision record of the proposal with the meeting's answers in place."""
    binding: tuple[str, ...]
    """What holds the record's decision where it is, in words."""
    journal: str
    """The journal's name."""
    present: tuple[Person, ...]
    absent: tuple[Person, ...]
    rounds: tuple[Round, ...]
    """Rounds revealed (a round still blind has nothing to minute)."""
    whatifs: tuple[TriedWhatIf, ...]
    outcome_words: str | None
    """The decision in words, or None before it is recorded."""


def _details(change: dict[str, Any]) -> str:
    parts = []
    for key in sorted(change):
        if key == "kind":
            continue
        value = change[key]
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


def minutes_context(state: MeetingState, record: Evaluation, journal: str) -> MinutesContext:
    shown = view(state)
    tried = tuple(
        TriedWhatIf(
            row.seq,
            row.at,
            str(row.change["kind"]),
            _details(row.change),
            row.undone_seq is not None,
        )
        for row in shown.whatifs
    )
    return MinutesContext(
        state=shown,
        record=record,
        binding=binding_words(record),
        # The file's name only: where it lies on one machine is no part of the minutes.
        journal=Path(journal).name,
        present=tuple(p for p in shown.people if p.present and p.name != shown.chair),
        absent=tuple(p for p in shown.people if not p.present),
        rounds=tuple(r for r in shown.rounds if r.revealed),
        whatifs=tried,
        outcome_words=None if shown.outcome is None else OUTCOME_WORDS[shown.outcome.outcome],
    )


def render_minutes(context: MinutesContext, document_format: DocumentFormat) -> bytes:
    """The minutes in one format: md, html or pdf."""
    if document_format is DocumentFormat.MARKDOWN:
        text = render_template(markdown_environment(None), "minutes.md.j2", context, None)
        return text.encode("utf-8")
    html = render_template(html_environment(None), "minutes.html.j2", context, None)
    if document_format is DocumentFormat.HTML:
        return html.encode("utf-8")
    if document_format is DocumentFormat.PDF:
        from techgate.render.pdf import html_to_pdf

        return html_to_pdf(html, template_dirs(None))
    raise ValueError(f"minutes are written as md, html or pdf, not {document_format.value}")
