"""techgate scoresheet: one spreadsheet per assessor out, their answers back in."""

from __future__ import annotations

import re
from pathlib import Path

import click

from techgate.cli.options import _folders, pack_option, person_name

_UNSAFE = re.compile(r"[^a-z0-9]+")


@click.group()
def scoresheet() -> None:
    """Panel scoring in spreadsheets: export a sheet per assessor, import the answers."""


@scoresheet.command()
@click.argument("pack", metavar="[PACK]", required=False)
@click.option(
    "--proposal",
    "proposal_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The proposal (.yaml) the assessor scores.",
)
@click.option(
    "--assessor", required=True, help="The assessor's name, as the proposal will hold it."
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    type=click.Path(readable=False),
    default=None,
    help="Where to write the .xlsx; a folder receives <proposal-id>-<assessor>.xlsx "
    "(default: that name in the current folder).",
)
@click.option(
    "--pack-dir",
    "pack_dirs",
    metavar="DIR",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    callback=_folders,
    help="A folder the proposal may name its pack in (repeatable).",
)
def export(
    pack: str | None,
    proposal_path: Path,
    assessor: str,
    output: str | None,
    pack_dirs: tuple[Path, ...],
) -> int:
    """Write one assessor's scoresheet for a proposal.

    PACK is a built-in pack id or a pack path; without it, the proposal's
    own pack. The assessor's answers already in the proposal are filled in.
    """
    from techgate import api
    from techgate.cli.output import check_destinations, resolve_output, show_notices, write_files
    from techgate.sheets.export import export_scoresheet

    person_name("--assessor", assessor)
    loaded = api.load(proposal_path, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    stem = f"{loaded.proposal.id}-{_UNSAFE.sub('-', assessor.lower()).strip('-') or 'assessor'}"
    target = resolve_output(output or ".", stem[:64].rstrip("-"), ".xlsx")
    check_destinations([target], loaded.read)
    data = export_scoresheet(loaded.proposal, loaded.pack, assessor)
    write_files([(target, data)], loaded.read)
    click.echo(f"wrote {target}", err=True)
    return 0


@scoresheet.command(name="import")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--into",
    "into",
    required=True,
    type=click.Path(path_type=Path),
    help="The proposal (.yaml) the answers go into; comments and layout are kept.",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace the answers of assessors the proposal already has (refused otherwise).",
)
@pack_option
def import_(
    sheets: tuple[Path, ...],
    into: Path,
    replace: bool,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
) -> int:
    """Read filled-in scoresheets and write their answers into the proposal.

    Every cell is checked again (spreadsheets do not enforce their own
    validation when read); any problem in any sheet refuses the whole
    import, with the file, sheet and cell, and nothing is written.
    """
    from techgate import api
    from techgate.cli.output import show_notices
    from techgate.cli.proposal_edit import write_changed_proposal
    from techgate.sheets.importing import changes_of
    from techgate.sheets.proposal_file import assessments_changed
    from techgate.sheets.reading import read_scoresheets

    loaded = api.load(into, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    answers = read_scoresheets(sheets, loaded.proposal, loaded.pack)
    changing = changes_of(loaded.proposal, answers, replace=replace)
    for sheet in answers:
        state = "imported" if sheet in changing else "unchanged"
        click.echo(f"{state}: {sheet.assessment.assessor} ({sheet.path})", err=True)
    if not changing:
        click.echo(f"{into} already holds these answers; left as it was", err=True)
        return 0
    text = loaded.document.text
    assert text is not None  # a proposal read from a file keeps its source
    changed = assessments_changed(
        text,
        str(into),
        [sheet.assessment for sheet in changing],
        {sheet.assessment.assessor: sheet.indicators for sheet in changing},
    )
    write_changed_proposal(
        into, changed, before=loaded, pack=pack, pack_dirs=pack_dirs, other_inputs=sheets
    )
    click.echo(f"wrote {into}", err=True)
    return 0
