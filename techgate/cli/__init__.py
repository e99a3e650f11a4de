"""techgate's command line.

Commands are thin: parse, call the library, print, return an exit code.
"""

from __future__ import annotations

import os

import click

from techgate._version import __version__
from techgate.cli import plugins_off
from techgate.cli.app import ExitCode, TechgateGroup
from techgate.cli.batch import batch
from techgate.cli.compare import compare
from techgate.cli.criteria import criteria
from techgate.cli.diff import diff
from techgate.cli.evaluate import evaluate
from techgate.cli.meeting import meeting
from techgate.cli.meeting_journal import meeting_journal
from techgate.cli.moderate import moderate
from techgate.cli.register import register
from techgate.cli.report import report
from techgate.cli.scaffold import init, schema
from techgate.cli.scoresheet import scoresheet
from techgate.cli.serve import serve
from techgate.cli.token import token
from techgate.cli.validate import validate
from techgate.cli.webhook import webhook
from techgate.cli.weights import weights
from techgate.cli.whatif import whatif

__all__ = ["ExitCode", "cli", "main"]


@click.group(cls=TechgateGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="techgate")
def cli() -> None:
    """Decide whether to adopt a proposed technology: go, conditional or no-go, and why.

    Start with 'techgate evaluate examples/callback-queue.yaml', or
    'techgate init' to write a proposal of your own.
    """


cli.add_command(evaluate)
cli.add_command(report)
cli.add_command(diff)
cli.add_command(batch)
cli.add_command(compare)
cli.add_command(validate)
cli.add_command(criteria)
cli.add_command(init)
cli.add_command(schema)
cli.add_command(weights)
cli.add_command(whatif)

cli.add_command(scoresheet)
cli.add_command(moderate)
cli.add_command(register)
cli.add_command(token)
cli.add_command(serve)
cli.add_command(webhook)
cli.add_command(meeting)
cli.add_command(meeting_journal)


def main() -> None:
    # pydantic looks for plugins by scanning every installed package's entry
    # points, about 20-30 ms of each command's start-up; techgate's command
    # line uses none. Library users keep pydantic's default, and a user who
    # set the variable keeps their choice. Even switched off, pydantic's loader
    # imports importlib.metadata (another 25 ms): see plugins_off.
    os.environ.setdefault(plugins_off.VARIABLE, "__all__")
    plugins_off.skip_plugin_scan()
    cli.main(prog_name="techgate")
