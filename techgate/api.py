"""The library seam: what every command, the comparison, the service and a meeting call.

One way in for each job, so that a proposal is read, checked and judged the
same way whoever asks:

- load(): a proposal from a path, ProposalText (YAML or JSON) or a mapping, with its pack
  resolved through a pack source and every check run once;
- evaluate(): the decision record for a proposal;
- render(): any set of documents from one record (the HTML report is built
  once for both --html and --pdf), with what changed since a previous record
  when one is given;
- diff_records() / render_diff(): what changed between two records, and
  that change as text, JSON or Markdown;
- pack_with() / proposal_with_answer(): validated copies of a pack with
  other weights or policy, or of a proposal with one answer changed; their
  hashes are their own, never the original's;
- whatif() / whatif_session() / render_whatif(): a proposal judged again with weights,
  scores, answers or facts changed, before and after; a session to undo and redo;
- open_register() / submit(): the register of decisions (SQLite or
  PostgreSQL): evaluations stored with their proposal and pack, human
  decisions, the audit chain; the Register it returns lists, shows, decides
  and verifies.
- subscribe() / deliver_due() / deliverer() / verify_webhook(): signed webhooks
  (Standard Webhooks) from the register's outbox; Register.webhooks lists,
  disables and enables subscriptions and lists delivery tries.

Nothing here prints or exits; errors are InvalidInputError (every problem,
located) or RenderError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techgate.errors import InputProblem, InvalidInputError, single_problem
from techgate.loading import (
    Checked,
    Document,
    PackChoice,
    PackSource,
    load_for_evaluation,
    parse_yaml_text,
    recording_reads,
)
from techgate.loading.packs import PackInfo
from techgate.model.criteria import CriteriaPack, PackOverlay
from techgate.model.evaluation import Evaluation, SensitivityRequest
from techgate.model.proposal import Proposal
from techgate.vocabulary import DocumentFormat, OutputFormat, Paper, WebhookEvent

if TYPE_CHECKING:
    # Each of these modules builds model classes that one command or another
    # needs and 'evaluate' never does (about 30 ms of a fresh process): they
    # are imported where used, and the names re-exported on first use
    # (__getattr__ below). tests/test_startup.py keeps it so.
    from techgate.model.comparison import Comparison
    from techgate.model.diff import RecordDiff
    from techgate.model.register import Filters, Outcome, Page, Role, TokenInfo
    from techgate.model.waiver import Waiver, WaiverList, WaiverRequest, applies
    from techgate.model.whatif import ChangeKind, ChangeRequest, WhatIf
    from techgate.register.store import IdempotencyClaim, Respond, StoredResponse
    from techgate.webhooks.settings import DeliverySettings

if TYPE_CHECKING:
    # numpy comes with these; commands that never weigh do not pay for it.
    from techgate.engine.ahp import PanelPriorities
    from techgate.loading.pairwise import PairwiseStudy
    from techgate.model.register import History, HumanDecision, Submitted
    from techgate.model.webhooks import DeliveryAttempt, NewSubscription
    from techgate.register import Clock
    from techgate.register import Register as Register  # for the service's annotations
    from techgate.render.weights import ConsistencyWarning
    from techgate.webhooks.delivery import Deliverer
    from techgate.whatif import WhatIfSession

__all__ = [
    "ChangeKind",
    "ChangeRequest",
    "Compared",
    "DeliverySettings",
    "DocumentFormat",
    "Filters",
    "Loaded",
    "Outcome",
    "Page",
    "ProposalText",
    "Role",
    "SensitivityRequest",
    "Waiver",
    "WaiverList",
    "WaiverRequest",
    "WebhookEvent",
    "applies",
    "check_file",
    "check_overlay",
    "compare",
    "deliver_due",
    "deliverer",
    "diff_records",
    "dry_run",
    "evaluate",
    "export_scoresheet",
    "idempotency_claim",
    "import_scoresheets",
    "json_text",
    "keep_compiled_templates",
    "list_packs",
    "load",
    "load_pack",
    "open_register",
    "pack_from_text",
    "pack_with",
    "proposal_with_answer",
    "read_record",
    "read_waivers",
    "register_diff",
    "render",
    "render_comparison",
    "render_diff",
    "render_history",
    "render_whatif",
    "service_pack",
    "service_packs",
    "start_moderation",
    "submit",
    "submit_once",
    "subscribe",
    "verify_webhook",
    "waiver_request",
    "weigh_pairwise",
    "whatif",
    "whatif_session",
]


# Names re-exported for the commands and the service, each imported on first
# use: module -> names.
_LAZY = {
    "techgate.model.register": ("Filters", "Outcome", "Page", "Role"),
    "techgate.model.waiver": ("Waiver", "WaiverList", "WaiverRequest", "applies"),
    "techgate.model.whatif": ("ChangeKind", "ChangeRequest"),
    "techgate.webhooks.settings": ("DeliverySettings",),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}

if not TYPE_CHECKING:  # mypy reads the imports above; a typo stays an error

    def __getattr__(name: str) -> Any:
        module = _LAZY_NAMES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this function
        return value


@dataclass(frozen=True)
class ProposalText:
    """A proposal given as YAML (or JSON) text rather than a file, e.g. an HTTP body.

    Bytes are read as a file's would be: at most 1 MiB, UTF-8 (a byte that is
    not is named by line and column).
    """

    text: str | bytes
    name: str = "<text>"
    """What problems call it, in place of a file name."""
    allow_tabs: bool = False
    """JSON may indent with tabs; YAML may not."""

    def document(self) -> Document:
        from techgate.loading.yaml_source import parse_yaml_bytes

        if isinstance(self.text, bytes):
            return parse_yaml_bytes(self.text, self.name, allow_tabs=self.allow_tabs)
        return parse_yaml_text(self.text, self.name, allow_tabs=self.allow_tabs)


Source = Path | str | Mapping[str, Any] | ProposalText | Document
"""A proposal: a path (a str is a path too), ProposalText for YAML or JSON text, a
mapping, or a document already read."""


@dataclass(frozen=True)
class Loaded:
    """A proposal and its pack, checked together, and what was read to get them."""

    proposal: Proposal
    pack: CriteriaPack
    document: Document
    """The proposal's source, for locating later problems."""
    read: tuple[Path, ...]
    """Every file read (the proposal, its pack and what that extends): inputs no
    output may replace."""
    notices: tuple[InputProblem, ...]
    """Not errors, but worth telling the author (deprecated names)."""


def load(
    source: Source,
    *,
    pack: PackChoice = None,
    packs: PackSource | None = None,
    pack_dirs: Sequence[Path] = (),
) -> Loaded:
    """Read a proposal, resolve its pack and run every check once.

    pack is the operator's choice (an id, a path read as given, or a pack
    object); without it the proposal's own 'pack' is used, but only if the
    pack source offers it (by default: built-in packs and the proposal's own
    folder, and any pack_dirs), else the default pack.
    """
    with recording_reads() as read:
        if isinstance(source, ProposalText):
            source = source.document()
        checked: Checked = load_for_evaluation(source, pack, packs, pack_dirs)
    return Loaded(checked.proposal, checked.pack, checked.document, tuple(read), checked.notices)


def evaluate(
    source: Source | Loaded | Proposal,
    *,
    pack: PackChoice = None,
    packs: PackSource | None = None,
    pack_dirs: Sequence[Path] = (),
    sensitivity: SensitivityRequest | None = None,
    waivers: Iterable[Waiver] = (),
    at: dt.datetime | None = None,
) -> Evaluation:
    """The decision record. A Proposal object is checked against the pack here.

    With sensitivity, the record carries its 'sensitivity' block: the weight
    and score changes that would flip the decision, and its stability. Of
    waivers, those for this proposal id in force at 'at' (default: now, UTC;
    model.waiver.applies, the one expiry check) mark the failed gates they
    name as waived.
    """
    if isinstance(source, Proposal):
        from techgate.engine import evaluate as checked_then_run

        if isinstance(pack, CriteriaPack):
            chosen = _in_force(waivers, at, source.id)
            return checked_then_run(source, pack, sensitivity=sensitivity, waivers=chosen)
        source = source.model_dump(mode="json", exclude_none=True)
    loaded = (
        source
        if isinstance(source, Loaded)
        else load(source, pack=pack, packs=packs, pack_dirs=pack_dirs)
    )
    from techgate.engine import evaluate_checked

    return evaluate_checked(
        loaded.proposal,
        loaded.pack,
        sensitivity=sensitivity,
        waivers=_in_force(waivers, at, loaded.proposal.id),
    )


def _in_force(
    waivers: Iterable[Waiver], at: dt.datetime | None, proposal_id: str
) -> tuple[Waiver, ...]:
    chosen = tuple(waivers)
    if not chosen:
        return ()
    from techgate.model.waiver import in_force

    return in_force(chosen, at or dt.datetime.now(dt.UTC), proposal_id)


def waiver_request(values: Mapping[str, Any], name: str = "<waiver>") -> WaiverRequest:
    """A waiver request from plain values (command-line options, an HTTP body), every field
    checked; problems name the field. The register checks the rest when it grants it."""
    from techgate.loading.validation import validate_document
    from techgate.model.waiver import WaiverRequest

    # A byte that was not UTF-8 (a shell argument) reaches here as a lone surrogate.
    broken = [
        InputProblem(
            name,
            None,
            None,
            key,
            "is not UTF-8 text (a lone surrogate, or a byte the terminal did not encode)",
        )
        for key, value in values.items()
        if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value)
    ]
    if broken:
        raise InvalidInputError(broken)
    return validate_document(WaiverRequest, Document(name, dict(values)))


def read_waivers(path: Path) -> tuple[Waiver, ...]:
    """A waivers file (the JSON 'techgate register waivers -f json' writes), every field
    checked; evaluate() picks those in force. Trusted as the repository holding it is."""
    from techgate.loading.waivers import read_waivers as read

    return read(path)


def load_pack(reference: str | Path, *, packs: PackSource | None = None) -> CriteriaPack:
    """A pack chosen by the operator: an id the source offers, or a path read as given."""
    from techgate.loading import load_pack as read_pack

    return read_pack(reference, packs)


def list_packs() -> list[PackInfo]:
    """The built-in packs, as 'techgate criteria list' shows them."""
    from techgate.loading.packs import list_builtin_packs

    return list_builtin_packs()


def check_file(
    path: Path, *, pack: PackChoice = None, pack_dirs: Sequence[Path] = ()
) -> CriteriaPack | Loaded:
    """Check one file without evaluating: a pack (it has 'criteria' or 'extends') or a proposal."""
    from techgate.loading import is_pack, pack_from_document, read_yaml_file

    with recording_reads():
        document = read_yaml_file(path)
        if is_pack(document):
            return pack_from_document(document, path)
    return load(document, pack=pack, pack_dirs=pack_dirs)


@dataclass(frozen=True)
class Compared:
    """A comparison, and what was read to make it."""

    comparison: Comparison
    read: tuple[Path, ...]
    """Every file read: inputs no output may replace."""
    notices: tuple[InputProblem, ...]
    """Not errors, but worth telling the authors."""


def compare(
    sources: Sequence[Source],
    *,
    pack: PackChoice = None,
    pack_dirs: Sequence[Path] = (),
    title: str | None = None,
    sensitivity: SensitivityRequest | None = None,
) -> Compared:
    """Judge several proposals for one need by one pack, and rank them.

    Every proposal must be judged by the same pack: the one given, or the
    one they all name. Problems in any of them are reported together.
    """
    from techgate.engine import evaluate_checked
    from techgate.engine.compare import Entry
    from techgate.engine.compare import compare as rank

    if len(sources) < 2:
        raise single_problem(
            "<command line>", "a comparison needs at least two proposals", field="proposals"
        )
    loaded: list[Loaded] = []
    problems: list[InputProblem] = []
    for source in sources:
        try:
            loaded.append(load(source, pack=pack, pack_dirs=pack_dirs))
        except InvalidInputError as error:
            # A pack they share, or a file named twice, has its problems said once.
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise InvalidInputError(problems)
    problems += _mixed_packs(loaded) + _same_ids(loaded)
    if problems:
        raise InvalidInputError(list(dict.fromkeys(problems)))
    chosen = loaded[0].pack
    entries = [
        Entry(item.proposal, evaluate_checked(item.proposal, chosen), item.document.name)
        for item in loaded
    ]
    try:
        comparison = rank(
            entries,
            chosen,
            evaluate_checked,
            # The pack names the need when it is the procurement's own.
            title=title or chosen.title,
            sensitivity=sensitivity,
        )
    except InvalidInputError as error:
        raise _located(error, loaded) from None
    return Compared(
        comparison,
        tuple(path for item in loaded for path in item.read),
        tuple(notice for item in loaded for notice in item.notices),
    )


def _located(error: InvalidInputError, loaded: list[Loaded]) -> InvalidInputError:
    """Problems the price stage found in a proposal, at their line in its file."""
    documents = {item.document.name: item.document for item in loaded}
    problems = []
    for problem in error.problems:
        document = documents.get(problem.file)
        if document is None or problem.line is not None:
            problems.append(problem)
            continue
        path = tuple(problem.field.split(".")) if problem.field else ()
        problems.append(document.problem(path, problem.message, problem.hint))
    return InvalidInputError(problems)


def _mixed_packs(loaded: list[Loaded]) -> list[InputProblem]:
    first = loaded[0]
    return [
        item.document.problem(
            ("pack",),
            f"is judged by pack {item.pack.id} {item.pack.version} while "
            f"{first.document.name} is judged by {first.pack.id} {first.pack.version}",
            "proposals compared must be judged by one pack: give --pack",
        )
        for item in loaded[1:]
        if item.pack.sha256 != first.pack.sha256
    ]


def _same_ids(loaded: list[Loaded]) -> list[InputProblem]:
    seen: dict[str, str] = {}
    problems = []
    for item in loaded:
        key = item.proposal.id
        if key in seen:
            problems.append(
                item.document.problem(
                    ("id",),
                    f"proposal id {key!r} is also the id of {seen[key]}",
                    "each proposal in a comparison needs its own id",
                )
            )
        seen.setdefault(key, item.document.name)
    return problems


def render_comparison(
    comparison: Comparison,
    formats: Iterable[DocumentFormat | str],
    *,
    paper: Paper | str = Paper.A4,
    templates: Path | None = None,
) -> dict[DocumentFormat, bytes]:
    """Each requested document of a comparison, in the order asked; all or none."""
    from techgate.render.comparison import render_comparison_documents

    return render_comparison_documents(
        comparison,
        [DocumentFormat(f) for f in formats],
        paper=Paper(paper),
        user_templates=templates,
    )


@dataclass(frozen=True)
class Weighed:
    """A panel's pairwise judgements and the weights they give."""

    study: PairwiseStudy
    """The judgements, checked against their pack."""
    results: list[PanelPriorities]
    """Per matrix (criteria, then indicators of a criterion): weights, λmax, CI, CR."""
    warnings: list[ConsistencyWarning]
    """Matrices above the consistency limit, with their worst judgements."""
    read: tuple[Path, ...]
    """Every file read: inputs no output may replace."""


def weigh_pairwise(path: Path, pack_dirs: Sequence[Path] = ()) -> Weighed:
    """Weights from a pairwise judgements file (AHP; see docs/weights.md)."""
    from techgate.engine.ahp import weigh
    from techgate.loading.pairwise import read_pairwise
    from techgate.render.weights import warnings

    with recording_reads() as read:
        study = read_pairwise(path, pack_dirs)
    results = [weigh(comparison) for comparison in study.comparisons]
    return Weighed(study, results, warnings(results), (*read, path))


def check_overlay(text: str, name: str, base: CriteriaPack) -> CriteriaPack:
    """Read a generated overlay back as a pack over its base, before it is written."""
    from techgate.loading.pairwise import check_overlay as read_back

    return read_back(text, name, base)


def export_scoresheet(loaded: Loaded, assessor: str) -> bytes:
    """One assessor's scoresheet (.xlsx bytes) for a loaded proposal; see docs/scoresheets.md."""
    from techgate.sheets.export import export_scoresheet as export

    return export(loaded.proposal, loaded.pack, assessor)


@dataclass(frozen=True)
class Imported:
    """What reading scoresheets into a proposal does."""

    sheets: tuple[tuple[str, Path, bool], ...]
    """(assessor, sheet file, whether it changes the proposal), in the order given."""
    text: str | None
    """The proposal file's new text (comments and layout kept); None when nothing changes."""


def import_scoresheets(loaded: Loaded, sheets: Sequence[Path], *, replace: bool) -> Imported:
    """Check every cell of every sheet and work out the proposal's new text; all or nothing."""
    from techgate.sheets.importing import changes_of
    from techgate.sheets.proposal_file import assessments_changed
    from techgate.sheets.reading import read_scoresheets

    answers = read_scoresheets(sheets, loaded.proposal, loaded.pack)
    changing = changes_of(loaded.proposal, answers, replace=replace)
    states = tuple((s.assessment.assessor, s.path, s in changing) for s in answers)
    if not changing:
        return Imported(states, None)
    return Imported(
        states,
        assessments_changed(
            _source_text(loaded),
            loaded.document.name,
            [sheet.assessment for sheet in changing],
            {sheet.assessment.assessor: sheet.indicators for sheet in changing},
        ),
    )


def start_moderation(loaded: Loaded, chair: str | None, started: dt.date) -> tuple[str, int]:
    """The proposal's new text with moderation started at the panel's medians, and how many
    indicators it covers; refused when it has started already or nothing was assessed."""
    from techgate.model.moderation import assessments_sha256, panel_start
    from techgate.model.proposal import ModeratedAnswer, Moderation
    from techgate.sheets.layout import sheet_rows
    from techgate.sheets.proposal_file import moderation_added

    subject, name = loaded.proposal, loaded.document.name
    if subject.moderation is not None:
        raise single_problem(
            name,
            f"moderation already started on {subject.moderation.started.isoformat()}",
            "edit the 'moderation' block; remove it to reopen independent scoring",
            field="moderation",
        )
    if not subject.assessments:
        raise single_problem(
            name,
            "has no assessments to moderate",
            "import the assessors' scoresheets first",
            field="assessments",
        )
    starts = {
        row.indicator.id: panel_start(subject.assessments, row.indicator.id)
        for row in sheet_rows(loaded.pack, subject)
    }
    starts = {key: value for key, value in starts.items() if value.start is not None}
    moderation = Moderation(
        started=started,
        chair=chair,
        answers_sha256=assessments_sha256(subject.assessments),
        scores={key: ModeratedAnswer(score=value.start) for key, value in starts.items()},
    )
    return moderation_added(_source_text(loaded), name, moderation, starts), len(starts)


def _source_text(loaded: Loaded) -> str:
    text = loaded.document.text
    if text is None:
        raise single_problem(
            loaded.document.name, "is not a file whose text can be edited", field="(document)"
        )
    return text


def read_record(path: Path) -> Evaluation:
    """A saved decision record (JSON), checked as strictly as any input."""
    from techgate.loading import read_evaluation

    return read_evaluation(path)


def render(
    record: Evaluation,
    formats: Iterable[DocumentFormat | str],
    *,
    paper: Paper | str = Paper.A4,
    templates: Path | None = None,
    previous: Evaluation | None = None,
    decisions: Iterable[HumanDecision] = (),
) -> dict[DocumentFormat, bytes]:
    """Each requested document's bytes, in the order asked; all or none.

    With previous (an earlier record of the proposal), the Markdown, HTML and
    PDF reports add "what changed since the last evaluation"; with decisions
    (what people decided on this record in the register), a section that
    flags any override of the engine. Without them they are exactly as before.
    """
    from techgate.render.documents import render_documents

    return render_documents(
        record,
        [DocumentFormat(f) for f in formats],
        paper=Paper(paper),
        user_templates=templates,
        changes=None if previous is None else diff_records(previous, record),
        decisions=tuple(decisions),
    )


def keep_compiled_templates(folder: Path | None = None) -> bool:
    """Keep the built-in templates compiled between processes (Jinja's bytecode cache, in a
    private per-user temporary folder unless one is given): a new process then skips about
    50 ms of compiling the report. The output is the same. False when no folder can be used."""
    from techgate.render.environment import keep_compiled_templates as keep

    return keep(folder)


def diff_records(before: Evaluation, after: Evaluation) -> RecordDiff:
    """What changed from the earlier record to the later: decision, figures, gates,
    indicators, answers, evidence and conditions (see docs/diff.md)."""
    from techgate.engine.diff import diff_records as diff

    return diff(before, after)


def render_history(history: History) -> str:
    """A proposal's history (Register.history) as Markdown."""
    from techgate.render.history import history_markdown

    return history_markdown(history)


def register_diff(
    register: Register, proposal_id: str, *, before: int | None = None, after: int | None = None
) -> RecordDiff:
    """What changed between two stored evaluations of one proposal (by default its last two)."""
    earlier, later = register.pair(proposal_id, before, after)
    return diff_records(earlier, later)


def render_diff(
    diff: RecordDiff,
    output_format: OutputFormat | str,
    *,
    width: int = 100,
    templates: Path | None = None,
) -> str:
    """A diff as text (laid out at 'width' columns), JSON or Markdown."""
    from techgate.render.diff import render_diff as rendered

    return rendered(diff, OutputFormat(output_format), width=width, user_templates=templates)


def pack_with(
    pack: CriteriaPack,
    *,
    criterion_weights: Mapping[str, float] | None = None,
    indicator_weights: Mapping[str, float] | None = None,
    policy: Mapping[str, Any] | None = None,
) -> CriteriaPack:
    """The pack with other weights or policy thresholds, validated like an 'extends' overlay.

    Unknown criterion or indicator ids and out-of-range values are
    InvalidInputError; the copy has its own sha256.
    """
    from techgate.loading.packs import apply_overlay
    from techgate.loading.validation import validate_document

    data: dict[str, Any] = {
        "id": pack.id,
        "title": pack.title,
        "version": pack.version,
        "extends": pack.id,
        "weights": {
            "criteria": dict(criterion_weights or {}),
            "indicators": dict(indicator_weights or {}),
        },
        "policy": dict(policy or {}),
    }
    document = Document(f"<changes to {pack.id}>", data)
    overlay = validate_document(PackOverlay, document)
    changed = apply_overlay(pack, overlay, document)
    # apply_overlay records the base in the lineage; a changed copy is the
    # same pack with other settings, not a pack extending itself.
    return changed.model_copy(update={"lineage": pack.lineage})


def proposal_with_answer(
    proposal: Proposal, assessor: str, indicator: str, score: int | str | None
) -> Proposal:
    """The proposal with one assessor's answer to one indicator set (None removes it).

    The assessor must exist; the copy is validated and has its own sha256.
    Whether the indicator exists is the pack's business: evaluate() checks it.
    """
    names = [a.assessor for a in proposal.assessments]
    if assessor not in names:
        raise single_problem(
            "<proposal>",
            f"no assessor {assessor!r}",
            f"assessors: {', '.join(names) or 'none'}",
            field="assessments",
        )
    from pydantic import ValidationError

    try:
        assessments = []
        for assessment in proposal.assessments:
            if assessment.assessor == assessor:
                scores: dict[str, Any] = dict(assessment.scores)
                if score is None:
                    scores.pop(indicator, None)
                elif indicator in scores:
                    scores[indicator] = scores[indicator].model_copy(update={"score": score})
                else:
                    scores[indicator] = {"score": score}
                assessment = assessment.model_copy(update={"scores": scores})
            assessments.append(assessment)
        return proposal.model_copy(update={"assessments": tuple(assessments)})
    except ValidationError as error:
        raise _problems_of(error, ("assessments", assessor, indicator)) from None


def _problems_of(error: Any, where: tuple[str, ...]) -> InvalidInputError:
    # Union members each say why the value is not theirs; the first says it best.
    details = error.errors(include_url=False)[:1]
    return InvalidInputError(
        InputProblem("<proposal>", None, None, ".".join(where), detail["msg"]) for detail in details
    )


def open_register(
    url: str | None = None, *, clock: Clock | None = None, max_waiver_days: int | None = None
) -> Register:
    """The register of decisions at url (else TECHGATE_DB, else ./techgate.db), created and
    migrated when needed. SQLAlchemy is imported here, not before: commands that never
    touch the register do not pay for it. Close it when done (it is a context manager).
    max_waiver_days is the register's own limit on a waiver's length (a pack's applies too).
    """
    from techgate.register import open_register as opened
    from techgate.register import utc_now

    return opened(url, clock=clock or utc_now, max_waiver_days=max_waiver_days)


def json_text(model: Any) -> str:
    """Any model as techgate writes JSON: two-space indent, risky characters escaped."""
    from techgate.render.json import json_text as written

    return written(model)


def token_list_json(tokens: Sequence[TokenInfo]) -> str:
    """Tokens as a JSON list (two-space indent, one trailing newline), as the CLI prints them."""
    from pydantic import TypeAdapter

    from techgate.model.register import TokenInfo

    adapter = TypeAdapter(tuple[TokenInfo, ...])
    return adapter.dump_json(tuple(tokens), indent=2).decode("utf-8") + "\n"


def service_packs(register: Register) -> PackSource:
    """The packs a proposal sent to the service may name: those installed in the register, by
    id, then the built-in ones; never a path. Installed packs are read once per content."""
    from techgate.loading import HeldPacks

    held = {
        pack_id: _installed_pack(sha256, canonical_json)
        for pack_id, (sha256, canonical_json) in register.installed_packs().items()
    }
    return HeldPacks({**_builtin_packs(), **held})


_BUILTIN: dict[str, tuple[tuple[int, int], CriteriaPack]] = {}


def _builtin_packs() -> dict[str, CriteriaPack]:
    """The built-in packs, each read once per content: a service would otherwise parse the
    pack's YAML for every submission (about 10 ms of the 20 a submission took)."""
    from techgate.loading import BuiltinPacks, load_named_pack
    from techgate.loading.sources import builtin_ids
    from techgate.resources import data_dir

    found: dict[str, CriteriaPack] = {}
    for pack_id in builtin_ids():
        status = (data_dir("criteria") / f"{pack_id}.yaml").stat()
        key = (status.st_mtime_ns, status.st_size)
        cached = _BUILTIN.get(pack_id)
        if cached is None or cached[0] != key:
            cached = (key, load_named_pack(pack_id, None, BuiltinPacks()))
            _BUILTIN[pack_id] = cached
        found[pack_id] = cached[1]
    return found


def service_pack(packs: PackSource, pack_id: str) -> CriteriaPack:
    """One pack the service offers, by id: installed, else built in; a path is refused."""
    from techgate.loading import load_named_pack

    return load_named_pack(pack_id, None, packs)


_INSTALLED: dict[str, CriteriaPack] = {}
_INSTALLED_LIMIT = 64


def _installed_pack(sha256: str, canonical_json: str) -> CriteriaPack:
    # Content-addressed, so a pack read once is the pack for good; the cache is
    # bounded so a stream of installs cannot grow it without end.
    pack = _INSTALLED.get(sha256)
    if pack is None:
        pack = CriteriaPack.model_validate_json(canonical_json)
        if len(_INSTALLED) >= _INSTALLED_LIMIT:
            _INSTALLED.pop(next(iter(_INSTALLED)))
        _INSTALLED[sha256] = pack
    return pack


def pack_from_text(text: ProposalText, packs: PackSource) -> CriteriaPack:
    """A criteria pack sent as YAML or JSON text; what it extends comes from 'packs' alone."""
    from techgate.loading import is_pack
    from techgate.loading import pack_from_text as read

    document = text.document()
    if not is_pack(document):
        raise single_problem(
            text.name,
            "is not a criteria pack (a mapping with 'criteria' or 'extends')",
            line=1,
        )
    return read(document, packs)


def idempotency_claim(
    caller: str, key: str, payload: bytes, lifetime: dt.timedelta
) -> IdempotencyClaim:
    """An Idempotency-Key sent by a caller with a payload (kept as its sha256)."""
    import hashlib

    from techgate.register.store import IdempotencyClaim

    return IdempotencyClaim(caller, key, hashlib.sha256(payload).hexdigest(), lifetime)


def submit_once(
    register: Register,
    loaded: Loaded,
    *,
    by: str,
    claim: IdempotencyClaim,
    respond: Respond,
) -> StoredResponse:
    """submit() under an Idempotency-Key (see Register.submit_once)."""
    from techgate.render.json import render_json

    at = register.now()
    record = dry_run(register, loaded, at=at)
    return register.submit_once(
        loaded.proposal,
        loaded.pack,
        record,
        render_json(record),
        by=by,
        at=at,
        claim=claim,
        respond=respond,
    )


def dry_run(register: Register, loaded: Loaded, *, at: dt.datetime | None = None) -> Evaluation:
    """The record submit() would store now (the proposal's waivers in force applied), without
    storing anything."""
    at = at or register.now()
    waivers = register.waivers(loaded.proposal.id, at=at).waivers
    return evaluate(loaded, waivers=waivers, at=at)


def submit(register: Register, source: Source | Loaded, *, by: str | None = None) -> Submitted:
    """Evaluate a proposal and store the evaluation, its proposal and its pack in the register.

    The stored record is exactly what 'evaluate --json' writes. Identical
    inputs submitted again store nothing and return the evaluation stored
    first ('created' is false). The proposal's waivers in force at the
    register's clock are applied, so the stored record shows them; once they
    expire or are revoked, submitting again gives the record without them.
    """
    from techgate.render.json import render_json

    loaded = source if isinstance(source, Loaded) else load(source)
    # One reading of the clock: the moment the waivers are judged at is the one stored.
    at = register.now()
    waivers = register.waivers(loaded.proposal.id, at=at).waivers
    record = evaluate(loaded, waivers=waivers, at=at)
    return register.submit(loaded.proposal, loaded.pack, record, render_json(record), by=by, at=at)


def subscribe(
    register: Register,
    url: str,
    events: Iterable[WebhookEvent | str],
    *,
    by: str,
    allow_private: bool = False,
) -> NewSubscription:
    """Subscribe a receiver to events; the result holds its signing secret, shown only now.

    The URL must be http or https without credentials; an address that is
    loopback, private or link-local is refused unless allow_private.
    """
    return register.webhooks.subscribe(url, events, by, allow_private=allow_private)


def messages_queued() -> int:
    """How many webhook messages this process has queued: a change that moved it may have
    something to deliver (the service wakes its deliverer only then)."""
    from techgate.register.webhooks import queued_here

    return queued_here()


def deliver_due(
    register: Register, settings: DeliverySettings | None = None
) -> tuple[DeliveryAttempt, ...]:
    """One delivery pass now: every due message tried once; the tries made, in order."""
    from techgate.webhooks.delivery import deliver_due as delivered

    return delivered(register, settings)


def deliverer(
    register: Register, settings: DeliverySettings | None = None, *, interval: float = 5.0
) -> Deliverer:
    """A background deliverer (not yet started): start(), wake() after a change, stop()."""
    from techgate.webhooks.delivery import Deliverer

    return Deliverer(register, settings, interval=interval)


def verify_webhook(
    headers: Mapping[str, str], body: bytes, secret: str, *, tolerance: float = 300.0
) -> str:
    """For a receiver: check a message's Standard Webhooks signature and replay window.

    Returns its webhook-id (drop repeats of it); raises SignatureError.
    """
    from techgate.webhooks.signing import verify

    return verify(headers, body, secret, tolerance=tolerance)


# What-if (techgate whatif, and the meeting's what-if panel) ---------------------------------


def whatif_session(
    source: Source | Loaded,
    *,
    pack: PackChoice = None,
    packs: PackSource | None = None,
    pack_dirs: Sequence[Path] = (),
) -> WhatIfSession:
    """A what-if session over a proposal: apply, undo and redo changes, each step a new
    frozen value; see docs/whatif.md."""
    from techgate.whatif import WhatIfSession

    loaded = (
        source
        if isinstance(source, Loaded)
        else load(source, pack=pack, packs=packs, pack_dirs=pack_dirs)
    )
    return WhatIfSession.start(loaded.proposal, loaded.pack)


def whatif(
    source: Source | Loaded,
    changes: Iterable[ChangeRequest | tuple[ChangeKind | str, str]],
    *,
    pack: PackChoice = None,
    packs: PackSource | None = None,
    pack_dirs: Sequence[Path] = (),
) -> WhatIf:
    """The decision before and after the changes, applied in the order given.

    Each change is (kind, 'TARGET=VALUE') or a ChangeRequest: a weight
    ('safety=30', 'safety.privacy=3'), a score ('privacy=3'), an answer
    ('Amira Haddad:accuracy=2') or a fact ('human_escalation.minutes_to_person=3').
    Every change that cannot be made is reported at once (InvalidInputError,
    naming the change as typed); the changed inputs pass every check a file does.
    """
    from techgate.whatif.requests import requests_of

    requests = requests_of(changes)
    session = whatif_session(source, pack=pack, packs=packs, pack_dirs=pack_dirs)
    return session.apply_all(requests).result()


def whatif_change(line: str) -> ChangeRequest:
    """One change typed on a line ('weight safety=30', or '--weight safety=30'), checked as
    'techgate whatif' checks its options; InvalidInputError naming it otherwise."""
    from techgate.whatif.requests import request_of_line

    return request_of_line(line)


def render_whatif(
    result: WhatIf,
    output_format: OutputFormat | str,
    *,
    width: int = 100,
    templates: Path | None = None,
) -> str:
    """A what-if as text (laid out at 'width' columns), JSON or Markdown."""
    from techgate.render.whatif import render_whatif as rendered

    return rendered(result, OutputFormat(output_format), width=width, user_templates=templates)


# -- the steering meeting (techgate.meeting; docs/meeting.md) ------------------------------

if TYPE_CHECKING:
    from techgate.meeting.events import MeetingOutcome
    from techgate.meeting.journal import Clock as MeetingClock
    from techgate.meeting.journal import Replayed
    from techgate.meeting.session import MeetingSession
    from techgate.meeting.state import MeetingState
    from techgate.model.register import HumanDecision


def open_meeting(
    proposal_path: Path | str,
    journal: Path | str | None = None,
    *,
    chair: str | None = None,
    names: str = "shown",
    date: dt.date | None = None,
    clock: MeetingClock | None = None,
    pack: PackChoice = None,
    pack_dirs: Sequence[Path] = (),
) -> MeetingSession:
    """A steering meeting on a proposal: a new one, or the one its journal holds, resumed.

    The journal defaults to PROPOSAL.meeting.jsonl beside the proposal. A new
    meeting needs its chair; resuming checks the journal was kept on this
    proposal (as opened or last saved) and pack. Each of the session's actions
    appends one event and returns the new state; minutes(format) and save()
    give bytes, never write.
    """
    from techgate.meeting.events import NameMode
    from techgate.meeting.journal import Journal, utc_now
    from techgate.meeting.session import MeetingSession, journal_beside

    path = Path(proposal_path)
    loaded = load(path, pack=pack, pack_dirs=pack_dirs)
    try:
        mode = NameMode(names)
    except ValueError:
        raise single_problem(
            "<meeting>", f"names are 'shown' or 'hidden', not {names!r}", field="names"
        ) from None
    chosen = loaded.pack

    def judged(proposal: Proposal) -> Evaluation:
        return evaluate(proposal, pack=chosen)

    def checked(text: str) -> Proposal:
        return load(ProposalText(text, str(path)), pack=chosen).proposal

    opened = Journal.open(Path(journal) if journal else journal_beside(path), create=True)
    try:
        return MeetingSession.start(
            opened,
            path=path,
            proposal=loaded.proposal,
            pack=chosen,
            text=loaded.document.text,
            chair=chair,
            names=mode,
            date=date,
            evaluate=judged,
            check_text=checked,
            clock=clock or utc_now,
        )
    except BaseException:
        opened.close()
        raise


def meeting_whatif_session(meeting: MeetingSession) -> WhatIfSession:
    """A what-if session over a meeting's proposal with the answers it revealed, judged by its
    pack: what the meeting screen's what-ifs change (nothing of it is saved)."""
    from techgate.whatif import WhatIfSession

    return WhatIfSession.start(meeting.proposal(), meeting.pack)


def read_meeting_journal(path: Path | str) -> Replayed:
    """A meeting journal read, its chain checked and its events replayed (no proposal needed)."""
    from techgate.meeting.journal import read_journal

    return read_journal(Path(path))


def meeting_outcome_for_register(outcome: MeetingOutcome) -> Outcome | None:
    """The register's outcome for a meeting's decision; None for defer, which records nothing."""
    from techgate.meeting.events import MeetingOutcome
    from techgate.model.register import Outcome

    return {
        MeetingOutcome.APPROVE: Outcome.APPROVED,
        MeetingOutcome.REJECT: Outcome.REJECTED,
        MeetingOutcome.APPROVE_WITH_CONDITIONS: Outcome.APPROVED_WITH_CONDITIONS,
        MeetingOutcome.DEFER: None,
    }[outcome]


def record_meeting_decision(register: Register, meeting: MeetingSession) -> HumanDecision | None:
    """The meeting's recorded outcome entered in the register: the proposal with the meeting's
    answers submitted, then decided by the chair (conditions in the reason). None for defer."""
    from techgate.render.json import render_json

    outcome = meeting.journal.state.outcome
    if outcome is None:
        raise single_problem(
            meeting.journal.name, "the committee has recorded no decision", field="outcome"
        )
    chosen = meeting_outcome_for_register(outcome.outcome)
    if chosen is None:
        return None
    # Judged again as a submission is: the proposal's waivers in force applied, read at
    # one moment that is also the one stored (the meeting's own record ignores waivers).
    proposal, at = meeting.proposal(), register.now()
    waivers = register.waivers(proposal.id, at=at).waivers
    record = evaluate(proposal, pack=meeting.pack, waivers=waivers, at=at)
    submitted = register.submit(
        proposal, meeting.pack, record, render_json(record), by=meeting.chair, at=at
    )
    parts = [outcome.reason] if outcome.reason else []
    parts += [
        f"Condition {number}: {c.text} (owner {c.owner}, due {c.due.isoformat()})"
        for number, c in enumerate(outcome.conditions, start=1)
    ]
    return register.decide(submitted.evaluation.id, chosen, meeting.chair, "\n".join(parts) or None)


def meeting_view(state: MeetingState) -> MeetingState:
    """A meeting's state as screens and minutes may show it (names hidden when so chosen)."""
    from techgate.meeting.state import view

    return view(state)


def meeting_text(shown: MeetingState) -> str:
    """A meeting's state in plain lines."""
    from techgate.meeting.text import state_text

    return state_text(shown)


def meeting_json(shown: MeetingState, torn_line: int | None = None) -> str:
    """A meeting's state (and any torn last line) as JSON."""
    from techgate.meeting.text import state_json

    return state_json(shown, torn_line)
