"""Scoresheets: export one assessor's sheet, import it back; every bad sheet refused by cell.

Bad sheets are made the way they happen: a good export opened with openpyxl
and changed, or its zip archive changed.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES

from techgate import api
from techgate.cli import cli
from techgate.sheets import layout
from techgate.sheets.export import export_scoresheet

PANEL = EXAMPLES / "self-service-portal-panel.yaml"
MARIA = "Ops – Maria Santos"
DANIEL = "IT – Daniel Kim"
JOAN = "Panel – Joan Whitfield"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def proposal(tmp_path: Path) -> Path:
    path = tmp_path / "panel.yaml"
    shutil.copyfile(PANEL, path)
    return path


def export(proposal: Path, assessor: str, name: str = "sheet.xlsx") -> Path:
    target = proposal.parent / name
    code, _, err = run(
        "scoresheet",
        "export",
        "--proposal",
        str(proposal),
        "--assessor",
        assessor,
        "-o",
        str(target),
    )
    assert code == 0, err
    return target


def changed(sheet: Path, change: Callable[[Any], None], name: str = "changed.xlsx") -> Path:
    book = openpyxl.load_workbook(sheet)
    change(book)
    target = sheet.parent / name
    book.save(target)
    return target


def import_(proposal: Path, *sheets: Path, replace: bool = False) -> tuple[int, str]:
    args = ["scoresheet", "import", *map(str, sheets), "--into", str(proposal)]
    code, _, err = run(*([*args, "--replace"] if replace else args))
    return code, err


# --- export -----------------------------------------------------------------


def test_export_twice_gives_the_same_bytes_with_dates_from_the_proposal(proposal: Path) -> None:
    first = export(proposal, MARIA, "first.xlsx").read_bytes()
    second = export(proposal, MARIA, "second.xlsx").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2026, 11, 2, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2026-11-02T00:00:00Z" in core


def test_sheet_lists_what_the_assessor_scores_with_levels_and_answer_lists(proposal: Path) -> None:
    loaded = api.load(proposal)
    book = openpyxl.load_workbook(export(proposal, "New Assessor"))
    assert book.sheetnames == ["Scores", "Evidence", "Metadata"]
    scores = book["Scores"]
    ids = [scores[f"A{n}"].value for n in range(5, scores.max_row + 1)]
    # Computed indicators (derived) and those for generative tools are not asked.
    pack_ids = set(loaded.pack.indicators())
    assert "route-to-person" in pack_ids and "route-to-person" not in ids
    assert "grounded-answers" in pack_ids and "grounded-answers" not in ids
    assert ids[:3] == ["availability", "accuracy", "data-credibility"]
    assert len(ids) == 16
    assert scores["D5"].value.startswith("Does it stay up")
    assert scores["I5"].value.splitlines()[0].startswith("0: ")
    assert len(scores["I5"].value.splitlines()) == 5
    lists = {
        tuple(str(dv.sqref).split()): dv.formula1 for dv in scores.data_validations.dataValidation
    }
    by_cell = {cell: formula for cells, formula in lists.items() for cell in cells}
    assert by_cell["E5"] == '"0,1,2,3,4"'  # availability: neither n/a nor unchanged
    assert by_cell["E10"] == '"0,1,2,3,4,n/a,unchanged"'  # channel-valued allows both
    assert by_cell["E7"] == '"0,1,2,3,4,unchanged"'
    # Nothing pre-filled for an assessor the proposal does not have.
    assert all(scores[f"E{n}"].value is None for n in range(5, 21))


def test_structure_is_locked_and_only_answer_cells_are_open(proposal: Path) -> None:
    book = openpyxl.load_workbook(export(proposal, MARIA))
    scores = book["Scores"]
    assert scores.protection.sheet
    assert book.security is not None and book.security.lockStructure
    assert book["Metadata"].sheet_state == "veryHidden"
    assert scores.freeze_panes == "A5"
    assert scores.print_title_rows == "$4:$4"
    assert scores.page_setup.orientation == "landscape"
    for column in "EFG":
        assert scores[f"{column}5"].protection.locked is False
    for column in "ABCDHI":
        assert scores[f"{column}5"].protection.locked is True
    assert scores.column_dimensions["D"].width >= 40


def test_existing_answers_are_prefilled(proposal: Path) -> None:
    scores = openpyxl.load_workbook(export(proposal, MARIA))["Scores"]
    assert scores["E5"].value == 3 and scores["F5"].value == "ref-council"
    assert scores["G7"].value == "Address lookup validated against the national register."


def test_metadata_names_pack_proposal_assessor_and_rows(proposal: Path) -> None:
    loaded = api.load(proposal)
    meta = openpyxl.load_workbook(export(proposal, MARIA))["Metadata"]
    values = {meta[f"A{n}"].value: meta[f"B{n}"].value for n in range(1, 9)}
    assert values["pack_sha256"] == loaded.pack.sha256
    assert values["pack_version"] == loaded.pack.version
    assert values["assessor"] == MARIA
    assert values["proposal_sha256"] == layout.proposal_basis_sha256(loaded.proposal)
    assert values["proposal_sha256"] != loaded.proposal.sha256  # answers are not part of it
    assert meta["A9"].value == "indicator" and meta["B9"].value == "availability"


def test_a_title_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    loaded = api.load(PANEL)
    hostile = loaded.proposal.model_copy(update={"title": '=HYPERLINK("http://x")'})
    data = export_scoresheet(hostile, loaded.pack, MARIA)
    sheet = tmp_path / "s.xlsx"
    sheet.write_bytes(data)
    cell = openpyxl.load_workbook(sheet)["Scores"]["A1"]
    assert cell.data_type == "s" and cell.value.endswith('=HYPERLINK("http://x")')


def test_an_assessor_name_with_control_characters_is_refused(proposal: Path) -> None:
    code, _, err = run(
        "scoresheet",
        "export",
        "--proposal",
        str(proposal),
        "--assessor",
        "A\x07",
        "-o",
        str(proposal.parent / "s.xlsx"),
    )
    assert code == 2 and "--assessor" in err
    assert not (proposal.parent / "s.xlsx").exists()


# --- round trip -------------------------------------------------------------


@pytest.mark.parametrize("assessor", [MARIA, DANIEL, JOAN])
def test_unchanged_sheet_imported_leaves_the_file_byte_for_byte(
    proposal: Path, assessor: str
) -> None:
    before = proposal.read_bytes()
    sheet = export(proposal, assessor)
    code, err = import_(proposal, sheet, replace=True)
    assert code == 0, err
    assert proposal.read_bytes() == before


def test_an_assessor_already_present_needs_replace(proposal: Path) -> None:
    sheet = export(proposal, MARIA)
    before = proposal.read_bytes()
    code, err = import_(proposal, sheet)
    assert code == 2
    assert f"{sheet}: Metadata!B7: assessor {MARIA!r} already has answers" in err
    assert proposal.read_bytes() == before


def test_changed_answers_go_in_and_the_rest_of_the_file_stays(proposal: Path) -> None:
    def score(book: Any) -> None:
        ws = book["Scores"]
        ws["E5"] = 1
        ws["F5"] = "pen-test, ref-council"
        ws["G5"] = "Outage at the last month-end"
        ws["E6"], ws["F6"], ws["G6"] = None, None, None  # accuracy: no longer answered
        ws["E10"] = "n/a"

    before = proposal.read_text("utf-8")
    sheet = changed(export(proposal, MARIA), score)
    code, err = import_(proposal, sheet, replace=True)
    assert code == 0, err
    after = proposal.read_text("utf-8")
    assert "# forms and fixed help text only" in after  # comments kept
    answers = next(a for a in api.load(proposal).proposal.assessments if a.assessor == MARIA)
    assert answers.scores["availability"].score == 1
    assert answers.scores["availability"].evidence == ("pen-test", "ref-council")
    assert answers.scores["availability"].note == "Outage at the last month-end"
    assert "accuracy" not in answers.scores
    assert answers.scores["channel-valued"].score == "n/a"
    assert answers.role == "Operations manager"  # what the sheet does not carry stays
    # Everything outside Maria's answers is as it was, byte for byte.
    for marker in ("  - assessor: Ops", "  - assessor: IT"):
        assert marker in after
    assert after.split("  - assessor: Ops")[0] == before.split("  - assessor: Ops")[0]
    assert after.split("  - assessor: IT")[1] == before.split("  - assessor: IT")[1]
    assert "      failure-fallback: 3\n" in after.split("  - assessor: IT")[0]


def test_a_new_assessor_is_added_and_the_file_still_validates(proposal: Path) -> None:
    def score(book: Any) -> None:
        for row in range(5, 21):
            book["Scores"][f"E{row}"] = 2

    sheet = changed(export(proposal, "Fourth Assessor"), score)
    code, err = import_(proposal, sheet)
    assert code == 0, err
    loaded = api.load(proposal)
    fourth = next(a for a in loaded.proposal.assessments if a.assessor == "Fourth Assessor")
    assert len(fourth.scores) == 16 and {s.score for s in fourth.scores.values()} == {2}


def test_several_sheets_import_together(proposal: Path) -> None:
    def score(value: int) -> Callable[[Any], None]:
        def change(book: Any) -> None:
            book["Scores"]["E5"] = value

        return change

    one = changed(export(proposal, "Five", "five.xlsx"), score(1), "five-done.xlsx")
    two = changed(export(proposal, "Six", "six.xlsx"), score(4), "six-done.xlsx")
    code, err = import_(proposal, one, two)
    assert code == 0, err
    names = [a.assessor for a in api.load(proposal).proposal.assessments]
    assert names[-2:] == ["Five", "Six"]


# --- bad sheets -------------------------------------------------------------


def _set(ref: str, value: Any) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        book["Scores"][ref] = value

    return change


def _remove_row(book: Any) -> None:
    book["Scores"].delete_rows(8)


def _insert_row(book: Any) -> None:
    book["Scores"].insert_rows(8)
    book["Scores"]["A8"] = "my-own-indicator"


def _swap_rows(book: Any) -> None:
    ws = book["Scores"]
    ws["A5"], ws["A6"] = ws["A6"].value, ws["A5"].value


def _edit_metadata(book: Any) -> None:
    book["Metadata"]["B7"] = "Someone Else"


def _drop_metadata(book: Any) -> None:
    book.security = None
    del book["Metadata"]


def _add_sheet(book: Any) -> None:
    book.create_sheet("Workings")


def _other_pack_version(book: Any) -> None:
    meta = book["Metadata"]
    meta["B3"] = "9.9"
    pairs = [(str(meta[f"A{n}"].value), str(meta[f"B{n}"].value)) for n in range(1, meta.max_row)]
    meta[f"B{meta.max_row}"] = layout.metadata_digest(pairs)


def _remove_evidence_and_note(book: Any) -> None:
    book["Scores"]["E7"] = None


BAD_CELLS = [
    (_set("E5", 7), "Scores!E5", "score 7 is outside the scale 0-4"),
    (_set("E5", -1), "Scores!E5", "outside the scale"),
    (_set("E5", "good"), "Scores!E5", "holds the text 'good', not a score"),
    (_set("E5", 2.5), "Scores!E5", "not a level of the scale"),
    (_set("E5", True), "Scores!E5", "holds TRUE, not a score"),
    (_set("E5", "n/a"), "Scores!E5", "'n/a' is not allowed for 'availability'"),
    (_set("E5", "unchanged"), "Scores!E5", "'unchanged' is not allowed for 'availability'"),
    (_set("E5", "=2+1"), "Scores!E5", "holds a formula; a formula is not an answer"),
    (_set("G5", "=A1"), "Scores!G5", "holds a formula"),
    (_set("F5", "ref-council, brochure"), "Scores!F5", "cites evidence 'brochure'"),
    (_set("F5", "Not An Id"), "Scores!F5", "is not an evidence id"),
    (_set("G5", "x" * 20_001), "Scores!G5", "20,001 characters"),
    (_remove_evidence_and_note, "Scores!E7", "is empty, but 'data-credibility' has evidence"),
    (_set("A5", "availability-2"), "Scores!A5", "an indicator row was added, removed"),
    (_swap_rows, "Scores!A5", "where the sheet was made with 'availability'"),
    (_remove_row, "Scores!A8", "where the sheet was made with 'failure-fallback'"),
    (_insert_row, "Scores!A8", "holds 'my-own-indicator'"),
    (_set("A21", "extra"), "Scores!A21", "below the last indicator: a row was added"),
    (_set("J5", "extra"), "Scores!J5", "a column was added"),
    (_edit_metadata, "Metadata!B25", "the metadata sheet was edited"),
    (_drop_metadata, "Metadata", "the hidden metadata sheet is missing"),
    (_add_sheet, "Workings", "a sheet techgate did not write"),
    (_other_pack_version, "Metadata!B4", "made for pack contact-centre 9.9"),
]


@pytest.mark.parametrize(
    ("change", "where", "message"), BAD_CELLS, ids=[f"{w} {m[:30]}" for _, w, m in BAD_CELLS]
)
def test_every_bad_sheet_is_refused_with_file_sheet_and_cell(
    proposal: Path, change: Callable[[Any], None], where: str, message: str
) -> None:
    # Maria's sheet comes pre-filled (evidence and a note on row 7).
    assessor = MARIA if change is _remove_evidence_and_note else "New Assessor"
    sheet = changed(export(proposal, assessor), change)
    before = proposal.read_bytes()
    code, err = import_(proposal, sheet, replace=True)
    assert code == 2, err
    assert f"{sheet}: {where}: " in err, err
    assert message in err, err
    assert "nothing was written" in err
    assert proposal.read_bytes() == before


def test_an_empty_sheet_is_not_an_assessment(proposal: Path) -> None:
    sheet = export(proposal, "Silent Assessor")
    code, err = import_(proposal, sheet)
    assert code == 2 and f"{sheet}: Scores!E5: no indicator is scored" in err


def test_every_problem_in_every_sheet_is_reported_at_once(proposal: Path) -> None:
    def three(book: Any) -> None:
        ws = book["Scores"]
        ws["E5"], ws["E6"], ws["F7"] = 9, "=1", "nowhere"

    one = changed(export(proposal, "One", "one.xlsx"), three, "one-bad.xlsx")
    two = changed(export(proposal, "Two", "two.xlsx"), _set("E8", "great"), "two-bad.xlsx")
    code, err = import_(proposal, one, two)
    assert code == 2
    for line in (
        f"{one}: Scores!E5:",
        f"{one}: Scores!E6:",
        f"{one}: Scores!F7:",
        f"{two}: Scores!E8:",
    ):
        assert line in err
    assert "4 problems found" in err


def test_two_sheets_for_one_assessor_are_refused(proposal: Path) -> None:
    blank = export(proposal, "Same Person", "blank.xlsx")
    first = changed(blank, _set("E5", 2), "a.xlsx")
    second = changed(blank, _set("E5", 1), "b.xlsx")
    code, err = import_(proposal, first, second)
    assert code == 2
    assert f"{second}: Metadata!B7: a second sheet for assessor 'Same Person'" in err


def test_a_sheet_for_another_proposal_is_refused(proposal: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    shutil.copyfile(EXAMPLES / "crm-consolidation.yaml", other)
    sheet = export(other, "New Assessor", "crm.xlsx")
    code, err = import_(proposal, sheet)
    assert code == 2
    assert f"{sheet}: Metadata!B5: made for proposal 'crm-consolidation'" in err


def test_a_sheet_for_an_earlier_version_of_the_proposal_is_refused(proposal: Path) -> None:
    sheet = export(proposal, "New Assessor")
    text = proposal.read_text("utf-8").replace("vendor: PortalWorks", "vendor: PortalWorks Ltd")
    proposal.write_text(text, "utf-8")
    code, err = import_(proposal, sheet)
    assert code == 2
    assert f"{sheet}: Metadata!B6: made for another version of this proposal" in err


def test_another_assessors_answers_do_not_invalidate_a_sheet(proposal: Path) -> None:
    sheet = export(proposal, "Late Assessor")
    first = changed(export(proposal, "Early Assessor", "early.xlsx"), _set("E5", 2), "e.xlsx")
    assert import_(proposal, first)[0] == 0
    code, err = import_(proposal, changed(sheet, _set("E5", 3)))
    assert code == 0, err


# --- hostile files ----------------------------------------------------------


def _rezip(sheet: Path, target: Path, extra: dict[str, bytes]) -> Path:
    with (
        zipfile.ZipFile(sheet) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for entry in source.infolist():
            out.writestr(entry, source.read(entry))
        for name, data in extra.items():
            out.writestr(name, data)
    return target


def test_not_a_zip_is_refused(proposal: Path) -> None:
    fake = proposal.parent / "fake.xlsx"
    fake.write_text("id,score\navailability,3\n")
    code, err = import_(proposal, fake)
    assert code == 2 and f"{fake}: (file): is not an .xlsx workbook" in err


def test_a_zip_bomb_is_refused_from_its_directory(proposal: Path) -> None:
    sheet = export(proposal, "New Assessor")
    bomb = _rezip(sheet, proposal.parent / "bomb.xlsx", {"xl/padding.xml": b"\0" * (40 << 20)})
    assert bomb.stat().st_size < 1 << 20  # small on disk, 40 MiB unpacked
    code, err = import_(proposal, bomb)
    assert code == 2 and "looks like a zip bomb" in err


def test_external_links_and_macros_are_refused(proposal: Path) -> None:
    sheet = export(proposal, "New Assessor")
    linked = _rezip(
        sheet, proposal.parent / "linked.xlsx", {"xl/externalLinks/externalLink1.xml": b"<x/>"}
    )
    macro = _rezip(sheet, proposal.parent / "macro.xlsx", {"xl/vbaProject.bin": b"\0" * 64})
    xlsm = proposal.parent / "sheet.xlsm"
    shutil.copyfile(sheet, xlsm)
    code, err = import_(proposal, linked, macro, xlsm)
    assert code == 2
    assert f"{linked}: (file): links to other workbooks" in err
    assert f"{macro}: (file): holds macros" in err
    assert f"{xlsm}: (file): holds macros" in err


def test_entities_in_a_part_are_refused(proposal: Path) -> None:
    sheet = export(proposal, "New Assessor")
    with zipfile.ZipFile(sheet) as archive:
        shared = archive.read("xl/workbook.xml")
    bad = proposal.parent / "entities.xlsx"
    with zipfile.ZipFile(sheet) as source, zipfile.ZipFile(bad, "w") as out:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + shared
            out.writestr(entry, data)
    code, err = import_(proposal, bad)
    assert code == 2 and "declares a document type or entities" in err


def test_huge_dimensions_are_refused(proposal: Path) -> None:
    sheet = changed(export(proposal, "New Assessor"), _set("XFD1048576", 1))
    code, err = import_(proposal, sheet)
    assert code == 2 and f"{sheet}: Scores: spans 1,048,576 rows and 16,384 columns" in err


def test_a_symlink_is_refused(proposal: Path) -> None:
    sheet = export(proposal, "New Assessor")
    link = proposal.parent / "link.xlsx"
    link.symlink_to(sheet)
    code, err = import_(proposal, link)
    assert code == 2 and f"{link}: (file): is a symbolic link" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_pipe_is_refused_without_blocking(proposal: Path) -> None:
    pipe = proposal.parent / "pipe.xlsx"
    os.mkfifo(pipe)
    code, err = import_(proposal, pipe)
    assert code == 2 and "is not a regular file" in err


def test_the_proposal_cannot_be_one_of_the_sheets(proposal: Path) -> None:
    code, err = import_(proposal, proposal)
    assert code == 2 and "is not an .xlsx workbook" in err


# --- moderation locks the answers -------------------------------------------


def test_after_moderation_starts_a_changed_sheet_is_refused(proposal: Path) -> None:
    sheet = changed(export(proposal, MARIA), _set("E5", 1))
    code, _, err = run("moderate", "start", str(proposal), "--date", "2026-11-20")
    assert code == 0, err
    before = proposal.read_bytes()
    code, err = import_(proposal, sheet, replace=True)
    assert code == 2
    assert "moderation started on 2026-11-20: the individual answers are locked" in err
    assert proposal.read_bytes() == before
    # The same answers again change nothing and are not refused.
    code, err = import_(proposal, export(proposal, MARIA, "again.xlsx"), replace=True)
    assert code == 0, err
    assert proposal.read_bytes() == before
