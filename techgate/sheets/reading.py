"""Read filled-in scoresheets back as assessments, trusting nothing in them.

openpyxl does not enforce data validation when it reads, and a sheet comes
from outside: every cell is checked again here, the archive is checked
before openpyxl opens it, and every problem is reported with the file, the
sheet and the cell.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techgate.errors import InputProblem, InvalidInputError
from techgate.loading.yaml_source import read_limited
from techgate.model.criteria import CriteriaPack
from techgate.model.proposal import Assessment, IndicatorScore, Proposal
from techgate.sheets import layout
from techgate.sheets.export import metadata_pairs
from techgate.sheets.layout import SheetRow

# A filled-in sheet of the largest shipped pack, with long notes everywhere,
# is a few hundred kilobytes; these leave room for a great deal more while
# keeping what openpyxl builds in memory small.
MAX_SHEET_BYTES = 8 * 1024 * 1024
MAX_ENTRIES = 200
MAX_UNCOMPRESSED = 32 * 1024 * 1024
MAX_ENTRY_UNCOMPRESSED = 16 * 1024 * 1024
MAX_CELLS = 50_000  # per worksheet, counted in its XML before openpyxl builds them
MAX_COLUMNS = 40
EXTRA_ROWS = 1_000  # rows below the last indicator that may exist (formatted, empty)
NOTE_CHARS = 20_000  # the model's LongText
EVIDENCE_CHARS = 2_000
_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")


@dataclass(frozen=True)
class SheetAnswers:
    """One assessor's answers, read from one scoresheet."""

    path: Path
    assessment: Assessment
    """The assessor (from the metadata) and the scores given on the sheet."""
    indicators: tuple[str, ...]
    """Every indicator the sheet asked about, answered or not, in row order."""


class _Sheet:
    """Problems of one file, each with the sheet and cell it is about."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.problems: list[InputProblem] = []

    def problem(self, where: str, message: str, hint: str = "") -> None:
        self.problems.append(InputProblem(self.name, None, None, where, message, hint))


def read_scoresheets(
    paths: Sequence[Path], proposal: Proposal, pack: CriteriaPack
) -> list[SheetAnswers]:
    """Every sheet's answers, or InvalidInputError listing every problem in every sheet."""
    rows = layout.sheet_rows(pack, proposal)
    problems: list[InputProblem] = []
    found: list[SheetAnswers] = []
    owners: dict[str, Path] = {}
    for path in paths:
        sheet = _Sheet(path)
        answers = _read_one(sheet, proposal, pack, rows)
        if answers is not None and not sheet.problems:
            assessor = answers.assessment.assessor
            if assessor in owners:
                sheet.problem(
                    f"{layout.METADATA}!B{layout.META_KEYS.index('assessor') + 1}",
                    f"a second sheet for assessor {assessor!r} (the first is {owners[assessor]})",
                    "import one sheet per assessor",
                )
            owners.setdefault(assessor, path)
        problems += sheet.problems
        if answers is not None and not sheet.problems:
            found.append(answers)
    if problems:
        raise InvalidInputError(problems)
    return found


def _read_one(
    sheet: _Sheet, proposal: Proposal, pack: CriteriaPack, rows: tuple[SheetRow, ...]
) -> SheetAnswers | None:
    raw = _read_file(sheet)
    if raw is None or not _archive_is_safe(sheet, raw):
        return None
    book = _open_workbook(sheet, raw)
    if book is None:
        return None
    names = list(book.sheetnames)
    if layout.METADATA not in names:
        sheet.problem(
            layout.METADATA,
            "the hidden metadata sheet is missing: this is not a techgate scoresheet, or it "
            "was copied into a new workbook",
            "export a fresh sheet with 'techgate scoresheet export'",
        )
        return None
    for name in names:
        if name not in layout.SHEET_NAMES:
            sheet.problem(name, "a sheet techgate did not write", "remove it, or export afresh")
    if layout.SCORES not in names:
        sheet.problem(layout.SCORES, "the scores sheet is missing")
        return None
    assessor = _check_metadata(sheet, book[layout.METADATA], proposal, pack, rows)
    scores = _read_scores(sheet, book[layout.SCORES], proposal, pack, rows)
    if assessor is None or scores is None:
        return None
    if not scores and rows:
        sheet.problem(
            f"{layout.SCORES}!{layout.SCORE}{layout.FIRST_ROW}",
            "no indicator is scored: an empty sheet is not an assessment",
            "score at least one indicator, or leave this sheet out",
        )
        return None
    return SheetAnswers(
        sheet.path,
        Assessment(assessor=assessor, scores=scores),
        tuple(row.indicator.id for row in rows),
    )


def _read_file(sheet: _Sheet) -> bytes | None:
    """The file's bytes: a regular file, not a link, of bounded size."""
    try:
        info = os.lstat(sheet.path)
    except OSError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        sheet.problem(
            "(file)",
            "is a symbolic link; a scoresheet is read only from an ordinary file",
            "copy the sheet itself here",
        )
        return None
    try:
        return read_limited(sheet.path, sheet.name, MAX_SHEET_BYTES)
    except InvalidInputError as error:
        sheet.problems += error.problems
        return None


def _archive_is_safe(sheet: _Sheet, raw: bytes) -> bool:
    """Check the zip directory (sizes, macros, external links) before anything is unpacked."""
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        sheet.problem(
            "(file)",
            "is not an .xlsx workbook (an .xlsx file is a zip archive)",
            "save the sheet as Excel Workbook (.xlsx)",
        )
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                sheet.problem("(file)", f"holds {len(entries):,} parts; a scoresheet has about 15")
                return False
            total = sum(entry.file_size for entry in entries)
            largest = max((entry.file_size for entry in entries), default=0)
            if total > MAX_UNCOMPRESSED or largest > MAX_ENTRY_UNCOMPRESSED:
                sheet.problem(
                    "(file)",
                    f"unpacks to {total:,} bytes (largest part {largest:,}); techgate unpacks at "
                    f"most {MAX_UNCOMPRESSED:,} ({MAX_ENTRY_UNCOMPRESSED:,} per part)",
                    "a scoresheet is small; this looks like a zip bomb",
                )
                return False
            return _parts_are_safe(sheet, archive, entries)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        sheet.problem("(file)", f"is a damaged zip archive: {error}")
        return False
    except NotImplementedError as error:  # an unsupported compression method
        sheet.problem("(file)", f"cannot be unpacked: {error}")
        return False


def _parts_are_safe(
    sheet: _Sheet, archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]
) -> bool:
    names = [entry.filename for entry in entries]
    lowered = [name.lower() for name in names]
    safe = True
    if any(name.endswith("vbaproject.bin") for name in lowered) or sheet.name.lower().endswith(
        (".xlsm", ".xltm")
    ):
        sheet.problem(
            "(file)",
            "holds macros (a macro-enabled workbook); techgate reads only plain .xlsx sheets",
            "save it as Excel Workbook (.xlsx), without macros",
        )
        safe = False
    if any(name.startswith("xl/externallinks/") for name in lowered):
        sheet.problem(
            "(file)",
            "links to other workbooks (external links); answers must be typed into the sheet",
            "break the links (Data > Edit Links) and save again",
        )
        safe = False
    for entry in entries:
        if not entry.filename.lower().endswith((".xml", ".rels")):
            continue
        data = archive.read(entry)  # bounded: the directory's sizes were checked
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            sheet.problem(
                entry.filename,
                "declares a document type or entities, which no spreadsheet part needs",
            )
            safe = False
        elif entry.filename.lower().startswith("xl/worksheets/") and (
            data.count(b"<c ") + data.count(b"<c>") > MAX_CELLS
        ):
            sheet.problem(
                entry.filename,
                f"holds more than {MAX_CELLS:,} cells; a scoresheet has a few hundred",
            )
            safe = False
        if b"macroEnabled" in data and entry.filename == "[Content_Types].xml":
            sheet.problem("(file)", "is a macro-enabled workbook; save it as plain .xlsx")
            safe = False
    return safe


def _open_workbook(sheet: _Sheet, raw: bytes) -> Any:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula stays a formula, so it can be refused.
        return load_workbook(
            io.BytesIO(raw), data_only=False, keep_links=False, keep_vba=False, rich_text=False
        )
    except Exception as error:  # any failure of a parser of outside input
        sheet.problem(
            "(file)",
            f"is not a readable workbook ({type(error).__name__}: {str(error)[:200]})",
            "open it in a spreadsheet program and save it as .xlsx again",
        )
        return None


def _check_metadata(
    sheet: _Sheet, meta: Any, proposal: Proposal, pack: CriteriaPack, rows: tuple[SheetRow, ...]
) -> str | None:
    """The assessor the sheet was made for, if the metadata is intact and fits."""
    found: list[tuple[str, str]] = []
    for number in range(1, len(layout.META_KEYS) + len(rows) + 2):
        key, value = meta[f"A{number}"].value, meta[f"B{number}"].value
        found.append(("" if key is None else str(key), "" if value is None else str(value)))
    extra = meta.max_row > len(found) or meta.max_column > 2
    pairs, digest = found[:-1], found[-1]
    where = f"{layout.METADATA}!B{len(found)}"
    if digest[0] != layout.DIGEST_KEY or digest[1] != layout.metadata_digest(pairs) or extra:
        sheet.problem(
            where if not extra else layout.METADATA,
            "the metadata sheet was edited, or the sheet was made for another set of indicators",
            "export a fresh sheet and copy the answers across",
        )
        return None
    given = dict(pairs[: len(layout.META_KEYS)])
    assessor = given["assessor"]
    expected = dict(metadata_pairs(proposal, pack, assessor, rows)[: len(layout.META_KEYS)])
    line = {key: f"{layout.METADATA}!B{i + 1}" for i, key in enumerate(layout.META_KEYS)}
    ok = True
    if given["format"] != layout.FORMAT:
        sheet.problem(line["format"], f"sheet format {given['format']!r} is not {layout.FORMAT}")
        ok = False
    if (given["pack_id"], given["pack_version"]) != (pack.id, pack.version) or given[
        "pack_sha256"
    ] != pack.sha256:
        sheet.problem(
            line["pack_sha256"],
            f"made for pack {given['pack_id']} {given['pack_version']} "
            f"(sha256 {given['pack_sha256'][:12]}...), but the proposal is judged by "
            f"{pack.id} {pack.version} (sha256 {pack.sha256[:12]}...)",
            "export a fresh sheet for this pack",
        )
        ok = False
    if given["proposal_id"] != proposal.id:
        sheet.problem(
            line["proposal_id"],
            f"made for proposal {given['proposal_id']!r}, not {proposal.id!r}",
        )
        ok = False
    elif given["proposal_sha256"] != expected["proposal_sha256"]:
        sheet.problem(
            line["proposal_sha256"],
            "made for another version of this proposal: its facts or evidence have changed since",
            "export a fresh sheet so the assessor judges the proposal as it now stands",
        )
        ok = False
    listed = [value for key, value in pairs[len(layout.META_KEYS) :]]
    if listed != [row.indicator.id for row in rows]:
        sheet.problem(
            f"{layout.METADATA}!B{len(layout.META_KEYS) + 1}",
            "made for another set of indicators than this pack asks of this proposal",
            "export a fresh sheet",
        )
        ok = False
    if not assessor.strip() or len(assessor) > 10_000:
        sheet.problem(line["assessor"], "names no assessor")
        ok = False
    return assessor if ok else None


def _read_scores(
    sheet: _Sheet, scores: Any, proposal: Proposal, pack: CriteriaPack, rows: tuple[SheetRow, ...]
) -> dict[str, IndicatorScore] | None:
    last = layout.FIRST_ROW + len(rows) - 1
    if scores.max_row > last + EXTRA_ROWS or scores.max_column > MAX_COLUMNS:
        sheet.problem(
            layout.SCORES,
            f"spans {scores.max_row:,} rows and {scores.max_column:,} columns; the sheet was "
            f"made with {len(rows)} indicator rows and {len(layout.HEADINGS)} columns",
        )
        return None
    before = len(sheet.problems)
    evidence_ids = {item.id for item in proposal.evidence}
    answers: dict[str, IndicatorScore] = {}
    for number, row in enumerate(rows, start=layout.FIRST_ROW):
        id_ref = f"{layout.ID}{number}"
        found = scores[id_ref].value
        if found != row.indicator.id:
            sheet.problem(
                f"{layout.SCORES}!{id_ref}",
                f"holds {_shown(found)} where the sheet was made with {row.indicator.id!r}: "
                "an indicator row was added, removed, moved or renamed",
                "export a fresh sheet and copy the answers across",
            )
            continue
        answer = _read_answer(sheet, scores, number, row, pack.scale.maximum, evidence_ids)
        if answer is not None:
            answers[row.indicator.id] = answer
    for number in range(last + 1, scores.max_row + 1):
        for column in range(1, scores.max_column + 1):
            cell = scores.cell(number, column)
            if cell.value is not None:
                sheet.problem(
                    f"{layout.SCORES}!{cell.coordinate}",
                    "holds content below the last indicator: a row was added",
                    "remove it; only the indicators the sheet was made with are read",
                )
                break
    width = len(layout.HEADINGS)
    for number in range(1, last + 1):
        for column in range(width + 1, scores.max_column + 1):
            cell = scores.cell(number, column)
            if cell.value is not None:
                sheet.problem(
                    f"{layout.SCORES}!{cell.coordinate}",
                    "holds content right of the sheet's columns: a column was added",
                )
    return answers if len(sheet.problems) == before else None


def _read_answer(
    sheet: _Sheet,
    scores: Any,
    number: int,
    row: SheetRow,
    top: int,
    evidence_ids: set[str],
) -> IndicatorScore | None:
    indicator = row.indicator
    cells = {column: scores[f"{column}{number}"] for column in layout.ANSWER_COLUMNS}
    refs = {column: f"{layout.SCORES}!{column}{number}" for column in layout.ANSWER_COLUMNS}
    before = len(sheet.problems)
    for column, cell in cells.items():
        if cell.data_type == "f" or type(cell.value).__name__.endswith("Formula"):
            sheet.problem(
                refs[column],
                "holds a formula; a formula is not an answer",
                "type the answer itself",
            )
    if len(sheet.problems) > before:
        return None
    score = _score(sheet, refs[layout.SCORE], cells[layout.SCORE].value, row, top)
    evidence = _evidence(sheet, refs[layout.EVIDENCE_IDS], cells[layout.EVIDENCE_IDS].value)
    for ref in evidence:
        if ref not in evidence_ids:
            sheet.problem(
                refs[layout.EVIDENCE_IDS],
                f"cites evidence {ref!r}, which the proposal does not list",
                f"ids listed: {', '.join(sorted(evidence_ids)) or 'none'}",
            )
    note = _note(sheet, refs[layout.NOTE], cells[layout.NOTE].value)
    if len(sheet.problems) > before:
        return None
    if score is None:
        if evidence or note:
            sheet.problem(
                refs[layout.SCORE],
                f"is empty, but {indicator.id!r} has evidence or a note",
                "give a score, or clear the evidence and note",
            )
        return None
    return IndicatorScore(score=score, evidence=evidence, note=note)


def _score(sheet: _Sheet, ref: str, value: Any, row: SheetRow, top: int) -> int | str | None:
    indicator = row.indicator
    allowed = ", ".join(row.allowed(top))
    if value is None:
        return None
    if isinstance(value, bool):
        sheet.problem(ref, f"holds {str(value).upper()}, not a score", f"one of: {allowed}")
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        lowered = text.lower()
        if lowered == "n/a":
            if indicator.allow_na:
                return "n/a"
            sheet.problem(ref, f"'n/a' is not allowed for {indicator.id!r}", f"one of: {allowed}")
            return None
        if lowered == "unchanged":
            if indicator.allow_unchanged:
                return "unchanged"
            sheet.problem(
                ref, f"'unchanged' is not allowed for {indicator.id!r}", f"one of: {allowed}"
            )
            return None
        if text.isascii() and text.isdigit() and len(text) <= 3:
            value = int(text)
        else:
            sheet.problem(ref, f"holds the text {_shown(text)}, not a score", f"one of: {allowed}")
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        sheet.problem(ref, f"holds {_shown(value)}, not a level of the scale", f"one of: {allowed}")
        return None
    if not 0 <= value <= top:
        # A cell of 1e308 is a 309-digit integer by now: quoted cut short.
        sheet.problem(
            ref, f"score {_shown(value)} is outside the scale 0-{top}", f"one of: {allowed}"
        )
        return None
    return value


def _evidence(sheet: _Sheet, ref: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, str):
        sheet.problem(ref, f"holds {_shown(value)}, not evidence ids", "ids, comma separated")
        return ()
    if len(value) > EVIDENCE_CHARS:
        sheet.problem(ref, f"holds {len(value):,} characters; evidence ids are short")
        return ()
    ids = tuple(part.strip() for part in value.split(",") if part.strip())
    bad = [item for item in ids if not _IDENTIFIER.match(item)]
    if bad:
        sheet.problem(ref, f"{_shown(bad[0])} is not an evidence id", "ids, comma separated")
        return ()
    return ids


def _note(sheet: _Sheet, ref: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        sheet.problem(ref, f"holds {_shown(value)}, not a note", "type the note as text")
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) > NOTE_CHARS:
        sheet.problem(
            ref,
            f"the note has {len(text):,} characters; a note holds at most {NOTE_CHARS:,}",
            "shorten it, or cite a document as evidence",
        )
        return ""
    return text


def _shown(value: Any) -> str:
    """A cell's value for a message: quoted, shortened, control characters escaped."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
