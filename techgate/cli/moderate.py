"""techgate moderate: after independent scoring, the panel agrees its answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from techgate.cli.options import pack_option, person_name


@click.group()
def moderate() -> None:
    """Moderation: lock the assessors' answers and agree the panel's."""


@moderate.command()
@click.argument("proposal", type=click.Path(path_type=Path))
@click.option("--chair", default=None, help="Who chairs the moderation.")
@click.option(
    "--date",
    "started",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="When moderation starts (YYYY-MM-DD; default: today).",
)
@pack_option
def start(
    proposal: Path,
    chair: str | None,
    started: dt.datetime | None,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
) -> int:
    """Start moderating PROPOSAL: lock the answers and write each indicator's panel median.

    Adds a 'moderation' block holding, for every indicator an assessor
    answered, the panel's median as a level (a half level rounds down).
    Change a moderated score only with a 'comment' saying why; from now on
    'scoresheet import' refuses to change the assessors' answers.
    """
    from techgate import api
    from techgate.cli.output import show_notices
    from techgate.cli.proposal_edit import write_changed_proposal

    if chair is not None:
        person_name("--chair", chair)
    loaded = api.load(proposal, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    changed, count = api.start_moderation(
        loaded, chair, started.date() if started else dt.date.today()
    )
    write_changed_proposal(proposal, changed, before=loaded, pack=pack, pack_dirs=pack_dirs)
    click.echo(
        f"wrote {proposal}: moderation of {count} indicators started; "
        "the assessors' answers are now locked",
        err=True,
    )
    return 0
