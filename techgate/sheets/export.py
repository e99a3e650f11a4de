"""Write one assessor's scoresheet (.xlsx) for a proposal and its pack.

The workbook is built with openpyxl and then repacked with fixed zip dates,
so that the same proposal, pack and assessor give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from techgate._version import __version__
from techgate.errors import InputProblem, InvalidInputError
from techgate.model.criteria import CriteriaPack
from techgate.model.proposal import Assessment, IndicatorScore, Proposal
from techgate.sheets import layout
from techgate.sheets.layout import SheetRow

_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_ANSWER_FILL = PatternFill("solid", fgColor="FFF6D5")
_UNLOCKED = Protection(locked=False)
# Excel's limit on a data validation's prompt.
_PROMPT_CHARS = 250
_NOTE_CHARS = 20_000  # the model's LongText


def export_scoresheet(proposal: Proposal, pack: CriteriaPack, assessor: str) -> bytes:
    """The scoresheet's bytes; the assessor's answers already in the proposal are filled in."""
    rows = layout.sheet_rows(pack, proposal)
    existing = next((a for a in proposal.assessments if a.assessor == assessor), None)
    book = Workbook()
    scores = book.active
    assert scores is not None  # a new workbook always has one sheet
    scores.title = layout.SCORES
    _fill_scores(scores, proposal, pack, assessor, rows, existing)
    _fill_evidence(book.create_sheet(layout.EVIDENCE), proposal)
    _fill_metadata(book.create_sheet(layout.METADATA), proposal, pack, assessor, rows)
    # The structure is locked: no sheet added, removed, renamed or unhidden.
    book.security = WorkbookProtection(lockStructure=True)
    moment = dt.datetime.combine(max(proposal.date, _EARLIEST), dt.time())
    book.properties.creator = "techgate"
    book.properties.created = moment
    book.properties.modified = moment
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _with_fixed_dates(buffer.getvalue(), moment)


# Zip dates start in 1980.
_EARLIEST = dt.date(1980, 1, 1)


def _with_fixed_dates(data: bytes, moment: dt.datetime) -> bytes:
    """The archive again, every entry dated 'moment' instead of the clock's time."""
    stamp = (moment.year, moment.month, moment.day, 0, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(entry))
    return out.getvalue()


def _shown(text: str) -> str:
    """Text for a display cell: characters XML cannot carry become the replacement mark."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def _put(sheet: Worksheet, ref: str, value: Any, *, text: bool = False) -> None:
    """Set a cell; text is always stored as text, never read as a formula."""
    cell = sheet[ref]
    cell.value = value
    if text or isinstance(value, str):
        # openpyxl would take a string starting with '=' for a formula: a
        # proposal's title must never become one.
        cell.data_type = "s"


def _fill_scores(
    sheet: Worksheet,
    proposal: Proposal,
    pack: CriteriaPack,
    assessor: str,
    rows: tuple[SheetRow, ...],
    existing: Assessment | None,
) -> None:
    top = pack.scale.maximum
    scale = ", ".join(f"{level.value} {level.label}" for level in pack.scale.levels)
    _put(sheet, "A1", _shown(f"Scoresheet: {proposal.title}"))
    sheet["A1"].font = Font(bold=True, size=14)
    _put(
        sheet,
        "A2",
        _shown(
            f"Assessor: {assessor}  ·  proposal {proposal.id} of {proposal.date.isoformat()}  ·  "
            f"pack {pack.id} {pack.version}"
        ),
    )
    _put(
        sheet,
        "A3",
        _shown(
            f"Score alone, before the panel meets. Levels: {scale}. Cite evidence by the ids "
            f"on the '{layout.EVIDENCE}' sheet; leave a score empty if you cannot judge it "
            "(it counts as a gap, level 0)."
        ),
    )
    for column, (heading, width) in layout.HEADINGS.items():
        ref = f"{column}{layout.HEADER_ROW}"
        _put(sheet, ref, heading)
        sheet[ref].font = Font(bold=True)
        sheet[ref].fill = _HEADER_FILL
        sheet[ref].alignment = _WRAP
        sheet.column_dimensions[column].width = width
    validations: dict[tuple[str, ...], DataValidation] = {}
    answers = existing.scores if existing else {}
    problems: list[InputProblem] = []
    for number, row in enumerate(rows, start=layout.FIRST_ROW):
        indicator = row.indicator
        allowed = row.allowed(top)
        _put(sheet, f"{layout.ID}{number}", indicator.id)
        _put(sheet, f"{layout.CRITERION}{number}", _shown(row.criterion.title))
        _put(sheet, f"{layout.TITLE}{number}", _shown(indicator.title))
        _put(sheet, f"{layout.QUESTION}{number}", _shown(indicator.question))
        _put(sheet, f"{layout.ALLOWED}{number}", ", ".join(allowed))
        described = "\n".join(
            f"{level}: {_shown(indicator.levels[level])}"
            for level in sorted(indicator.levels)
            if level <= top
        )
        _put(sheet, f"{layout.LEVELS}{number}", described)
        for column in layout.HEADINGS:
            sheet[f"{column}{number}"].alignment = _WRAP
        for column in layout.ANSWER_COLUMNS:
            cell = sheet[f"{column}{number}"]
            cell.protection = _UNLOCKED
            cell.fill = _ANSWER_FILL
        answer = answers.get(indicator.id)
        if answer is not None:
            problems += _prefill(sheet, number, answer, assessor, indicator.id)
        if allowed not in validations:
            validations[allowed] = _score_validation(allowed)
        validations[allowed].add(f"{layout.SCORE}{number}")
    if problems:
        raise InvalidInputError(problems)
    last = layout.FIRST_ROW + len(rows) - 1
    for validation in validations.values():
        sheet.add_data_validation(validation)
    if rows:
        sheet.add_data_validation(_evidence_validation(proposal, last))
        sheet.add_data_validation(_note_validation(last))
    sheet.freeze_panes = f"A{layout.FIRST_ROW}"
    sheet.protection.sheet = True
    # Assessors may still widen columns and rows to read long text.
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.print_title_rows = f"{layout.HEADER_ROW}:{layout.HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    setup = sheet.sheet_properties.pageSetUpPr
    if setup is not None:
        setup.fitToPage = True
    footer = sheet.oddFooter
    if footer is not None and footer.center is not None:
        footer.center.text = f"{_shown(assessor)}  ·  page &P of &N"


def _prefill(
    sheet: Worksheet, number: int, answer: IndicatorScore, assessor: str, indicator: str
) -> list[InputProblem]:
    if ILLEGAL_CHARACTERS_RE.search(answer.note):
        return [
            InputProblem(
                "<proposal>",
                None,
                None,
                f"assessments.{assessor}.scores.{indicator}.note",
                "holds control characters a spreadsheet cannot carry",
                "remove them from the note, then export again",
            )
        ]
    score = answer.score
    _put(sheet, f"{layout.SCORE}{number}", score)
    if answer.evidence:
        _put(sheet, f"{layout.EVIDENCE_IDS}{number}", ", ".join(answer.evidence))
    if answer.note:
        _put(sheet, f"{layout.NOTE}{number}", answer.note, text=True)
    return []


def _score_validation(allowed: tuple[str, ...]) -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"' + ",".join(allowed) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not an answer",
        error=f"Choose one of: {', '.join(allowed)}",
        promptTitle="Score",
        prompt=f"One of: {', '.join(allowed)}"[:_PROMPT_CHARS],
        showInputMessage=True,
    )


def _evidence_validation(proposal: Proposal, last: int) -> DataValidation:
    ids = ", ".join(item.id for item in proposal.evidence) or "none listed"
    validation = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1="2000",
        allow_blank=True,
        promptTitle="Evidence",
        prompt=f"Evidence ids, comma separated: {ids}"[:_PROMPT_CHARS],
        showInputMessage=True,
    )
    validation.add(f"{layout.EVIDENCE_IDS}{layout.FIRST_ROW}:{layout.EVIDENCE_IDS}{last}")
    return validation


def _note_validation(last: int) -> DataValidation:
    validation = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(_NOTE_CHARS),
        allow_blank=True,
        showErrorMessage=True,
        error=f"A note holds at most {_NOTE_CHARS:,} characters.",
    )
    validation.add(f"{layout.NOTE}{layout.FIRST_ROW}:{layout.NOTE}{last}")
    return validation


def _fill_evidence(sheet: Worksheet, proposal: Proposal) -> None:
    for column, (heading, width) in zip("ABCDE", _EVIDENCE_HEADINGS, strict=True):
        _put(sheet, f"{column}1", heading)
        sheet[f"{column}1"].font = Font(bold=True)
        sheet[f"{column}1"].fill = _HEADER_FILL
        sheet.column_dimensions[column].width = width
    for number, item in enumerate(proposal.evidence, start=2):
        _put(sheet, f"A{number}", item.id)
        _put(sheet, f"B{number}", item.kind.value)
        _put(sheet, f"C{number}", _shown(item.title))
        _put(sheet, f"D{number}", _shown(item.source))
        _put(sheet, f"E{number}", item.date.isoformat() if item.date else "")
        for column in "ABCDE":
            sheet[f"{column}{number}"].alignment = _WRAP
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


_EVIDENCE_HEADINGS = (("Id", 22), ("Kind", 20), ("What it is", 50), ("Source", 40), ("Date", 12))


def metadata_pairs(
    proposal: Proposal, pack: CriteriaPack, assessor: str, rows: tuple[SheetRow, ...]
) -> list[tuple[str, str]]:
    """The metadata rows, digest excluded, as export writes them and import expects them."""
    values = {
        "format": layout.FORMAT,
        "pack_id": pack.id,
        "pack_version": pack.version,
        "pack_sha256": pack.sha256,
        "proposal_id": proposal.id,
        "proposal_sha256": layout.proposal_basis_sha256(proposal),
        "assessor": assessor,
        "techgate_version": __version__,
    }
    pairs = [(key, values[key]) for key in layout.META_KEYS]
    pairs += [(layout.INDICATOR_KEY, row.indicator.id) for row in rows]
    return pairs


def _fill_metadata(
    sheet: Worksheet,
    proposal: Proposal,
    pack: CriteriaPack,
    assessor: str,
    rows: tuple[SheetRow, ...],
) -> None:
    pairs = metadata_pairs(proposal, pack, assessor, rows)
    pairs.append((layout.DIGEST_KEY, layout.metadata_digest(pairs)))
    for number, (key, value) in enumerate(pairs, start=1):
        _put(sheet, f"A{number}", key)
        _put(sheet, f"B{number}", value, text=True)
    sheet.protection.sheet = True
    sheet.sheet_state = "veryHidden"
