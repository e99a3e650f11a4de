"""techgate meeting-journal: a steering meeting's journal replayed, its chain checked."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="meeting-journal")
@click.argument("journal", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the meeting's state.",
)
def meeting_journal(journal: Path, output_format: str) -> int:
    """Replay the meeting JOURNAL (a .meeting.jsonl file) and print where the meeting stands.

    Every line's chain link and every event is checked; a journal that was
    edited, cut or is not a journal exits 2 naming the line. A last line a
    crash left unfinished is ignored, and said. Answers of a round still
    blind are never printed.
    """
    from techgate import api
    from techgate.cli.output import printable

    replayed = api.read_meeting_journal(journal)
    if replayed.torn_line is not None:
        click.echo(
            f"{printable(str(journal))}:{replayed.torn_line}: an unfinished last line "
            "(left by a crash) was ignored",
            err=True,
        )
    shown = api.meeting_view(replayed.state)
    if output_format == "json":
        click.echo(api.meeting_json(shown, replayed.torn_line))
    else:
        for line in api.meeting_text(shown).splitlines():
            click.echo(printable(line))
    return 0
