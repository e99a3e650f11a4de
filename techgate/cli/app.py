"""The command group, and the one place where outcomes and errors become exit codes."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Mapping, MutableMapping
from enum import IntEnum
from typing import Any

import click


class ExitCode(IntEnum):
    """What 'techgate' exits with; the same whatever the output format."""

    GO = 0
    UNEXPECTED = 1
    INVALID = 2
    CONDITIONAL = 3
    NO_GO = 4
    # techgate diff: the decision moved. Distinct from 3 and 4, so a script
    # cannot take a diff's outcome for a decision.
    DECISION_BETTER = 5
    DECISION_WORSE = 6
    TAMPERED = 7  # 'register verify': the register was changed behind its back
    HANGUP = 129  # the terminal closed (128 + SIGHUP), as shells report it
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 143  # a service manager's stop (128 + SIGTERM)

    @classmethod
    def for_signal(cls, signum: int) -> ExitCode:
        return cls(128 + signum)

    @classmethod
    def for_direction(cls, direction: str) -> ExitCode:
        """techgate diff: 0 when the decision stayed, 5 when it got better, 6 when worse."""
        return {"same": cls.GO, "better": cls.DECISION_BETTER, "worse": cls.DECISION_WORSE}[
            direction
        ]

    @classmethod
    def for_decision(cls, decision: str) -> ExitCode:
        return {"go": cls.GO, "conditional": cls.CONDITIONAL, "no-go": cls.NO_GO}[decision]


class TechgateGroup(click.Group):
    """A click group whose commands return exit codes and whose errors never show tracebacks.

    Commands given as 'lazy' (name -> 'module:attribute') are imported when
    first asked for: a run of one command does not import the modules of the
    other eighteen (about 8 ms of each process). Listing them (--help) or a
    name that is none of them loads them all, so help and "no such command"
    read as before.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def _load(self, name: str) -> None:
        module, attribute = self.lazy.pop(name).split(":")
        self.add_command(getattr(importlib.import_module(module), attribute), name)

    def load_all(self) -> MutableMapping[str, click.Command]:
        """Every command, imported."""
        for name in list(self.lazy):
            self._load(name)
        return self.commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            self._load(cmd_name)
        elif cmd_name not in self.commands:
            self.load_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.load_all())

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = self._run(args, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args: Any, prog_name: str | None, complete_var: str | None, **extra: Any) -> int:
        from techgate.errors import InvalidInputError, TechgateError

        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            error.show()
            return ExitCode.INVALID
        except click.Abort:  # Ctrl-C (click turns KeyboardInterrupt into Abort)
            click.echo("techgate: interrupted; nothing was left half-written", err=True)
            return ExitCode.INTERRUPTED
        except InvalidInputError as error:
            from techgate.cli.output import printable

            for problem in error.problems:
                click.echo(printable(str(problem)), err=True)
            count = len(error.problems)
            click.echo(
                f"techgate: {count} problem{'s' if count != 1 else ''} found; nothing was written.",
                err=True,
            )
            return ExitCode.INVALID
        except TechgateError as error:
            from techgate.cli.output import printable

            click.echo(f"techgate: {printable(str(error))}", err=True)
            return ExitCode.UNEXPECTED
        except Exception as error:
            if os.environ.get("TECHGATE_DEBUG"):
                traceback.print_exc()
            click.echo(f"techgate: unexpected error: {type(error).__name__}: {error}", err=True)
            click.echo(
                "techgate: this is a bug; set TECHGATE_DEBUG=1 to see the traceback.", err=True
            )
            return ExitCode.UNEXPECTED
        return int(result) if isinstance(result, int) else ExitCode.GO
