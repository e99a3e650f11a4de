"""techgate serve: the HTTP decision service (FastAPI on uvicorn); see docs/service.md."""

from __future__ import annotations

import click

from techgate.cli.register import db_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow listening on an address other machines can reach. Put TLS in front "
    "(a reverse proxy): tokens travel in every request.",
)
@click.option(
    "--render-workers",
    type=click.IntRange(0, 8),
    default=1,
    show_default=True,
    help="Processes laying out PDF and HTML reports (0: a thread of the server).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Server processes sharing the port (one per core: Python runs one request's "
    "code at a time per process).",
)
@click.option(
    "--max-waiver-days",
    type=click.IntRange(1, 3650),
    default=None,
    help="The longest a waiver may run, when tighter than the pack's own limit (365 days).",
)
@click.option(
    "--no-webhooks",
    is_flag=True,
    help="Do not deliver webhooks from this process (another process runs "
    "'techgate webhook deliver', or nobody subscribes).",
)
@click.option(
    "--allow-private-webhooks",
    is_flag=True,
    help="Let webhook subscriptions reach loopback and private addresses (a receiver on "
    "this machine or network).",
)
@db_option
def serve(
    host: str,
    port: int,
    allow_remote: bool,
    render_workers: int,
    workers: int,
    max_waiver_days: int | None,
    no_webhooks: bool,
    allow_private_webhooks: bool,
    db: str | None,
) -> int:
    """Serve the decision register over HTTP, under /v1, until SIGTERM or Ctrl-C.

    Needs no configuration: the register is ./techgate.db unless --db or
    $TECHGATE_DB says otherwise. Make the first admin token with
    'techgate token create NAME --role admin'.
    """
    from techgate.service import Settings, create_app
    from techgate.service.server import is_loopback, serve_forever

    if not is_loopback(host) and not allow_remote:
        raise click.UsageError(
            f"--host {host} can be reached from other machines; bearer tokens would cross "
            "the network in clear. Put a TLS proxy in front and pass --allow-remote."
        )
    settings = Settings(
        render_workers=render_workers,
        max_waiver_days=max_waiver_days,
        deliver_webhooks=not no_webhooks,
        allow_private_webhooks=allow_private_webhooks,
    )
    if workers > 1:
        from techgate import api
        from techgate.service.workers import serve_workers

        # Opened once here: the database is created and migrated before the workers
        # start, and a bad --db is said once, in one line.
        with api.open_register(db) as opened:
            shown = opened.url
        click.echo(f"techgate: serving {shown} on http://{host}:{port}/v1", err=True)
        serve_workers(db, settings, host, port, workers)
        return 0
    app = create_app(db, settings)
    click.echo(
        f"techgate: serving {app.state.techgate.register.url} on http://{host}:{port}/v1", err=True
    )
    serve_forever(app, host, port)
    return 0
