"""techgate validate: check proposals and packs, listing every problem at once."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import pack_option


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@pack_option
def validate(files: tuple[Path, ...], pack: str | None, pack_dirs: tuple[Path, ...]) -> int:
    """Check proposals and criteria packs without evaluating them.

    Each FILE is recognised as a pack (it has a 'criteria' list or 'extends')
    or a proposal; proposals are also checked against their pack. Every
    problem in every file is listed as file:line:column: field: message.
    Exit code 2 if any file is invalid.
    """
    from techgate import api
    from techgate.cli.output import show_notices
    from techgate.errors import InputProblem, InvalidInputError
    from techgate.model.criteria import CriteriaPack

    problems: list[InputProblem] = []
    for path in files:
        try:
            found = api.check_file(path, pack=pack, pack_dirs=pack_dirs)
            if isinstance(found, CriteriaPack):
                click.echo(
                    f"ok: {path}: criteria pack {found.id} {found.version}, "
                    f"{len(found.indicators())} indicators, {len(found.gates)} gates"
                )
                continue
            show_notices(found.notices)
            click.echo(
                f"ok: {path}: proposal {found.proposal.id}, "
                f"{len(found.proposal.assessments)} assessor(s), checked against "
                f"{found.pack.id} {found.pack.version}"
            )
        except InvalidInputError as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInputError(problems)
    return 0
