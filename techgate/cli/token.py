"""techgate token: API tokens for the service, made on the database directly.

Whoever can open the database is trusted: that is how the first admin token
is made. The secret is printed once, alone on its line on stdout, so a
script can capture it; only its sha256 is kept.
"""

from __future__ import annotations

import datetime as dt
import getpass

import click

from techgate.cli.register import db_option, register_format_option
from techgate.vocabulary import LARGEST_ID

ROLES = ("reader", "submitter", "approver", "admin")


def _default_by() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "command line"


@click.group()
def token() -> None:
    """API tokens for 'techgate serve': create, list, revoke (see docs/service.md)."""


@token.command()
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the token may do.")
@click.option(
    "--expires",
    type=click.DateTime(),
    default=None,
    help="When it stops working (UTC date or time). Default: never.",
)
@click.option("--by", metavar="NAME", default=None, help="Who creates it. Default: your login.")
@db_option
def create(
    name: str, role: str, expires: dt.datetime | None, by: str | None, db: str | None
) -> int:
    """Create a token called NAME (recorded as the submitter or decider of what it does).

    The secret is printed once, alone on stdout; the register keeps only its hash.
    """
    from techgate import api

    with api.open_register(db) as opened:
        made = opened.create_token(
            name,
            api.Role(role),
            by or _default_by(),
            None if expires is None else expires.replace(tzinfo=dt.UTC),
        )
    click.echo(made.secret)
    click.echo(
        f"token {made.token.id} ({made.token.role.value}) for {made.token.name}; "
        "keep the secret now, it is not shown again",
        err=True,
    )
    return 0


@token.command(name="list")
@db_option
@register_format_option
def list_(db: str | None, output_format: str) -> int:
    """List every token (never a secret): id, role, name, prefix, expiry, revocation."""
    from techgate import api
    from techgate.cli.output import printable

    with api.open_register(db) as opened:
        found = opened.tokens()
    if output_format == "json":
        from techgate.render.json import escape_risky

        click.echo(
            escape_risky(api.token_list_json(found)),
            nl=False,
        )
        return 0
    if not found:
        click.echo("no tokens")
    for item in found:
        state = "active"
        if item.revoked_at is not None:
            state = f"revoked {item.revoked_at:%Y-%m-%d} by {item.revoked_by}"
        elif item.expires_at is not None:
            state = f"expires {item.expires_at:%Y-%m-%d %H:%M} UTC"
        click.echo(
            printable(f"{item.id}  {item.role.value:<9} {item.prefix}…  {item.name}  [{state}]")
        )
    return 0


@token.command()
@click.argument("token_id", type=click.IntRange(1, LARGEST_ID))
@click.option("--by", metavar="NAME", default=None, help="Who revokes it. Default: your login.")
@db_option
def revoke(token_id: int, by: str | None, db: str | None) -> int:
    """Revoke token TOKEN_ID: it stops working at once (revoking twice changes nothing)."""
    from techgate import api
    from techgate.cli.output import printable

    with api.open_register(db) as opened:
        info = opened.revoke_token(token_id, by or _default_by())
    click.echo(printable(f"token {info.id} ({info.name}) revoked at {info.revoked_at}"))
    return 0
