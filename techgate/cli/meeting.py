"""techgate meeting: the steering meeting's screen on a proposal (docs/meeting.md)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from techgate.cli.options import pack_option

if TYPE_CHECKING:
    from techgate.tui.app import MeetingApp


def build_app(
    proposal: Path,
    *,
    pack: str | None = None,
    pack_dirs: Sequence[Path] = (),
    journal: Path | None = None,
    chair: str | None = None,
    join_as: str | None = None,
    hide_names: bool = False,
    db: str | None = None,
    clock: object = None,
    refresh_seconds: float = 1.0,
) -> MeetingApp:
    """The screen over a new meeting, or the one its journal holds, resumed; files are written
    through the command line's output plan (every file or none, never over an input)."""
    from techgate import api
    from techgate.cli.output import write_files
    from techgate.errors import single_problem
    from techgate.tui.app import MeetingApp
    from techgate.tui.desk import Desk

    if (chair is None) == (join_as is None):
        raise single_problem(
            "<meeting>",
            "name the chair (--chair NAME), or join as an assessor (--as NAME)",
            field="--chair",
        )
    loaded = api.load(proposal, pack=pack, pack_dirs=pack_dirs)
    meeting = api.open_meeting(
        proposal,
        journal,
        chair=chair,
        names="hidden" if hide_names else "shown",
        clock=clock,  # type: ignore[arg-type]
        pack=pack,
        pack_dirs=pack_dirs,
    )
    # The proposal is rewritten by saving; every other file read (its pack, what that
    # extends, the journal) must never be.
    inputs = [p for p in loaded.read if not _same_file(p, proposal)]
    inputs.append(meeting.journal.path)

    def write(files: Sequence[tuple[Path, bytes]]) -> None:
        write_files(files, inputs)

    desk = Desk(meeting, writer=write, register_url=db, me=join_as)
    if join_as is not None:
        desk.join()
    return MeetingApp(desk, refresh_seconds=refresh_seconds)


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return False


@click.command(name="meeting")
@click.argument("proposal", type=click.Path(path_type=Path))
@pack_option
@click.option(
    "--journal",
    type=click.Path(path_type=Path),
    default=None,
    help="The meeting's journal. Default: PROPOSAL.meeting.jsonl beside the proposal; "
    "a journal that holds a meeting resumes it.",
)
@click.option("--chair", metavar="NAME", default=None, help="Who chairs (opens or resumes).")
@click.option(
    "--as",
    "join_as",
    metavar="NAME",
    default=None,
    help="Join the meeting in the journal as this assessor, from your own terminal.",
)
@click.option(
    "--hide-names",
    is_flag=True,
    help="A new meeting shows 'Assessor 1..n' beside answers, in the screen and the minutes.",
)
@click.option(
    "--db",
    metavar="URL",
    default=None,
    help="Enter the committee's decision in this register when the meeting is saved.",
)
def meeting(
    proposal: Path,
    pack: str | None,
    pack_dirs: tuple[Path, ...],
    journal: Path | None,
    chair: str | None,
    join_as: str | None,
    hide_names: bool,
    db: str | None,
) -> int:
    """Run the steering meeting on PROPOSAL: the decision on screen, blind rounds, what-ifs,
    the outcome, and saving (the proposal, its minutes and the register).

    Every action is kept in the journal as it happens; starting again on the
    same journal resumes the meeting where it stopped. Keys are shown at the
    foot of the screen (docs/meeting.md: running a 30-minute meeting).
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from techgate.errors import single_problem

        raise single_problem(
            "<meeting>",
            "needs a terminal: the meeting is a screen",
            "for scripts, use 'techgate whatif' and 'techgate meeting-journal'",
            field="(terminal)",
        )
    app = build_app(
        proposal,
        pack=pack,
        pack_dirs=pack_dirs,
        journal=journal,
        chair=chair,
        join_as=join_as,
        hide_names=hide_names,
        db=db,
    )
    try:
        app.run()
    finally:
        app.desk.meeting.close()
    return 0
