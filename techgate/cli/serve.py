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
@db_option
def serve(host: str, port: int, allow_remote: bool, render_workers: int, db: str | None) -> int:
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
    app = create_app(db, Settings(render_workers=render_workers))
    click.echo(
        f"techgate: serving {app.state.techgate.register.url} on http://{host}:{port}/v1", err=True
    )
    serve_forever(app, host, port)
    return 0
