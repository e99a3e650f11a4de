"""techgate's command line.

Commands are thin: parse, call the library, print, return an exit code.
"""

from __future__ import annotations

import os

import click

from techgate._version import __version__
from techgate.cli import plugins_off
from techgate.cli.app import ExitCode, TechgateGroup

__all__ = ["ExitCode", "cli", "main"]


# Each command's module is imported when the command is run (or listed).
COMMANDS = {
    "evaluate": "techgate.cli.evaluate:evaluate",
    "report": "techgate.cli.report:report",
    "diff": "techgate.cli.diff:diff",
    "batch": "techgate.cli.batch:batch",
    "compare": "techgate.cli.compare:compare",
    "validate": "techgate.cli.validate:validate",
    "criteria": "techgate.cli.criteria:criteria",
    "init": "techgate.cli.scaffold:init",
    "schema": "techgate.cli.scaffold:schema",
    "weights": "techgate.cli.weights:weights",
    "whatif": "techgate.cli.whatif:whatif",
    "scoresheet": "techgate.cli.scoresheet:scoresheet",
    "moderate": "techgate.cli.moderate:moderate",
    "register": "techgate.cli.register:register",
    "token": "techgate.cli.token:token",
    "serve": "techgate.cli.serve:serve",
    "webhook": "techgate.cli.webhook:webhook",
    "meeting": "techgate.cli.meeting:meeting",
    "meeting-journal": "techgate.cli.meeting_journal:meeting_journal",
}


@click.group(
    cls=TechgateGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="techgate")
def cli() -> None:
    """Decide whether to adopt a proposed technology: go, conditional or no-go, and why.

    Start with 'techgate evaluate examples/callback-queue.yaml', or
    'techgate init' to write a proposal of your own.
    """


def main() -> None:
    # pydantic looks for plugins by scanning every installed package's entry
    # points, about 20-30 ms of each command's start-up; techgate's command
    # line uses none. Library users keep pydantic's default, and a user who
    # set the variable keeps their choice. Even switched off, pydantic's loader
    # imports importlib.metadata (another 25 ms): see plugins_off.
    os.environ.setdefault(plugins_off.VARIABLE, "__all__")
    plugins_off.skip_plugin_scan()
    cli.main(prog_name="techgate")
