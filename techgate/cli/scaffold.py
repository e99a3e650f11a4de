"""techgate init and techgate schema: help people write inputs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import click

from techgate.vocabulary import SchemaKind, choices

SCHEMA_FILE = "techgate-proposal.schema.json"


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("proposal.yaml"))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option(
    "--schema-ref",
    metavar="URL",
    default=None,
    help=f"Where editors find the schema. Default: write {SCHEMA_FILE} beside PATH "
    "and point to it.",
)
def init(path: Path, force: bool, schema_ref: str | None) -> int:
    """Write a commented proposal template to PATH (default proposal.yaml), ready to fill in."""
    import json
    from importlib.resources import files

    from techgate.cli.output import descriptor_of, resolve_output, write_files
    from techgate.errors import single_problem
    from techgate.model.schema import json_schema

    schema_path = path.parent / SCHEMA_FILE
    # The template is a file of its own, written beside its schema: a device
    # or a stream (/dev/stdout) has no folder to put the schema in.
    stream = descriptor_of(path) is not None or os.path.realpath(path).startswith("/dev/")
    if stream or (os.path.lexists(path) and not os.path.isfile(path)):  # noqa: PTH113
        raise single_problem(str(path), "is not a file init can create", "name a new .yaml file")
    for existing in (path, schema_path if schema_ref is None else None):
        # lexists: a link, even a dangling one, is something already there.
        if existing is not None and os.path.lexists(existing) and not force:
            raise single_problem(
                str(existing), "already exists", "use --force to overwrite, or another path"
            )
    resolve_output(path, path.stem, path.suffix)
    template = files("techgate.cli").joinpath("proposal-template.yaml").read_text("utf-8")
    text = template.format(
        schema_ref=schema_ref or f"./{SCHEMA_FILE}",
        file_name=path.name,
        today=dt.date.today().isoformat(),
    )
    outputs = [(path, text.encode("utf-8"))]
    if schema_ref is None:
        schema = json.dumps(json_schema(SchemaKind.PROPOSAL), indent=2) + "\n"
        outputs.insert(0, (schema_path, schema.encode("utf-8")))
    write_files(outputs)
    click.echo(f"wrote {path}; fill it in, then run: techgate evaluate {path}", err=True)
    return 0


@click.command()
@click.argument("kind", type=click.Choice(choices(SchemaKind)))
def schema(kind: str) -> int:
    """Print the JSON Schema (draft-7) of a proposal, a criteria pack or a decision record."""
    import json

    from techgate.model.schema import json_schema

    click.echo(json.dumps(json_schema(SchemaKind(kind)), indent=2))
    return 0
