"""techgate validate: check proposals and packs, listing every problem at once."""

from __future__ import annotations

from pathlib import Path

import click

from techgate.cli.options import criteria_option


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@criteria_option
def validate(files: tuple[Path, ...], criteria: str | None) -> int:
    """Check proposals and criteria packs without evaluating them.

    Each FILE is recognised as a pack (it has a 'criteria' list or 'extends')
    or a proposal; proposals are also checked against their pack. Every
    problem in every file is listed as file:line:column: field: message.
    Exit code 2 if any file is invalid.
    """
    from techgate.errors import InputProblem, InvalidInputError
    from techgate.loading import is_pack, load_for_evaluation, pack_from_document, read_yaml_file

    problems: list[InputProblem] = []
    for path in files:
        try:
            document = read_yaml_file(path)
            if is_pack(document):
                pack = pack_from_document(document, path)
                click.echo(
                    f"ok: {path}: criteria pack {pack.id} {pack.version}, "
                    f"{len(pack.indicators())} indicators, {len(pack.gates)} gates"
                )
                continue
            proposal, pack, _ = load_for_evaluation(document, criteria)
            click.echo(
                f"ok: {path}: proposal {proposal.id}, {len(proposal.assessments)} "
                f"assessor(s), checked against {pack.id} {pack.version}"
            )
        except InvalidInputError as error:
            problems.extend(error.problems)
    if problems:
        raise InvalidInputError(problems)
    return 0
