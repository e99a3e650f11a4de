"""techgate scoresheet: one spreadsheet per assessor out, their answers back in."""

from __future__ import annotations

import re
from pathlib import Path

import click

from techgate.cli.options import pack_dir_option, pack_option, person_name

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
@pack_dir_option
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

    person_name("--assessor", assessor)
    loaded = api.load(proposal_path, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    stem = f"{loaded.proposal.id}-{_UNSAFE.sub('-', assessor.lower()).strip('-') or 'assessor'}"
    target = resolve_output(output or ".", stem[:64].rstrip("-"), ".xlsx")
    check_destinations([target], loaded.read)
    data = api.export_scoresheet(loaded, assessor)
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

    loaded = api.load(into, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    imported = api.import_scoresheets(loaded, sheets, replace=replace)
    for assessor, path, changes in imported.sheets:
        click.echo(f"{'imported' if changes else 'unchanged'}: {assessor} ({path})", err=True)
    if imported.text is None:
        click.echo(f"{into} already holds these answers; left as it was", err=True)
        return 0
    write_changed_proposal(
        into, imported.text, before=loaded, pack=pack, pack_dirs=pack_dirs, other_inputs=sheets
    )
    click.echo(f"wrote {into}", err=True)
    return 0
