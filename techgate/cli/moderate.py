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
    from techgate.errors import single_problem
    from techgate.model.moderation import assessments_sha256, panel_start
    from techgate.model.proposal import ModeratedAnswer, Moderation
    from techgate.sheets.layout import sheet_rows
    from techgate.sheets.proposal_file import moderation_added

    if chair is not None:
        person_name("--chair", chair)
    loaded = api.load(proposal, pack=pack, pack_dirs=pack_dirs)
    show_notices(loaded.notices)
    subject = loaded.proposal
    if subject.moderation is not None:
        raise single_problem(
            str(proposal),
            f"moderation already started on {subject.moderation.started.isoformat()}",
            "edit the 'moderation' block; remove it to reopen independent scoring",
            field="moderation",
        )
    if not subject.assessments:
        raise single_problem(
            str(proposal),
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
        started=(started.date() if started else dt.date.today()),
        chair=chair,
        answers_sha256=assessments_sha256(subject.assessments),
        scores={key: ModeratedAnswer(score=value.start) for key, value in starts.items()},
    )
    text = loaded.document.text
    assert text is not None  # a proposal read from a file keeps its source
    changed = moderation_added(text, str(proposal), moderation, starts)
    write_changed_proposal(proposal, changed, before=loaded, pack=pack, pack_dirs=pack_dirs)
    click.echo(
        f"wrote {proposal}: moderation of {len(starts)} indicators started; "
        "the assessors' answers are now locked",
        err=True,
    )
    return 0
