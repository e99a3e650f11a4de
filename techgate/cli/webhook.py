"""techgate webhook: subscribers of the register's events, and delivering to them.

Thin commands over techgate.api and the Register it opens. See docs/webhooks.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from techgate.cli.register import _echo_json, _time, db_option, register_format_option
from techgate.vocabulary import LARGEST_ID, WebhookEvent

if TYPE_CHECKING:
    from techgate.model.webhooks import DeliveryAttempt, Subscription

EVENTS = tuple(event.value for event in WebhookEvent)


F = TypeVar("F", bound=Callable[..., Any])


def allow_private_option(help_text: str) -> Callable[[F], F]:
    return click.option("--allow-private", is_flag=True, help=help_text)


@click.group()
def webhook() -> None:
    """Signed webhooks (Standard Webhooks): who is told of evaluations, decisions and waivers.

    Messages are queued in the register with the change they report and sent
    by 'techgate webhook deliver' (or the service's deliverer), retried with
    backoff; every try is recorded. See docs/webhooks.md.
    """


@webhook.command()
@click.argument("url")
@click.option(
    "--event",
    "events",
    type=click.Choice(EVENTS),
    multiple=True,
    required=True,
    help="An event to send (repeat for several).",
)
@click.option("--by", metavar="NAME", required=True, help="Who subscribes it.")
@allow_private_option(
    "Allow a loopback, private or link-local target (a local setup); deliveries must allow "
    "them too."
)
@db_option
@register_format_option
def add(
    url: str,
    events: tuple[str, ...],
    by: str,
    allow_private: bool,
    db: str | None,
    output_format: str,
) -> int:
    """Subscribe URL to events; prints its signing secret, which is never shown again."""
    from techgate import api

    with api.open_register(db) as opened:
        made = api.subscribe(opened, url, events, by=by, allow_private=allow_private)
    if output_format == "json":
        _echo_json(made)
        return 0
    click.echo(_subscription_line(made.subscription))
    click.echo(f"secret: {made.secret}")
    click.echo(
        "keep the secret now: it signs every message and is not shown again "
        "(the register keeps it to sign with)",
        err=True,
    )
    return 0


@webhook.command(name="list")
@db_option
@register_format_option
def list_(db: str | None, output_format: str) -> int:
    """List subscriptions, enabled or not (never their secrets)."""
    from pydantic import TypeAdapter

    from techgate import api
    from techgate.model.webhooks import Subscription

    with api.open_register(db) as opened:
        found = opened.webhooks.subscriptions()
    if output_format == "json":
        text = TypeAdapter(tuple[Subscription, ...]).dump_json(found, indent=2).decode()
        click.echo(text)
        return 0
    if not found:
        click.echo("no subscriptions")
    for subscription in found:
        click.echo(_subscription_line(subscription))
    return 0


def _change(
    subscription_id: int,
    enabled: bool,
    by: str,
    why: str | None,
    db: str | None,
    output_format: str,
) -> int:
    from techgate import api

    reason = why or ("disabled" if not enabled else "enabled") + f" by {by}"
    with api.open_register(db) as opened:
        changed = opened.webhooks.change(subscription_id, enabled, by, reason)
    if output_format == "json":
        _echo_json(changed)
    else:
        click.echo(_subscription_line(changed))
    return 0


@webhook.command()
@click.argument("subscription_id", type=click.IntRange(1, LARGEST_ID))
@click.option("--by", metavar="NAME", required=True, help="Who disables it.")
@click.option("--why", metavar="TEXT", default=None, help="Why (one line).")
@db_option
@register_format_option
def disable(
    subscription_id: int, by: str, why: str | None, db: str | None, output_format: str
) -> int:
    """Stop queuing and delivering messages to a subscription (kept; enable it again later)."""
    return _change(subscription_id, False, by, why, db, output_format)


@webhook.command()
@click.argument("subscription_id", type=click.IntRange(1, LARGEST_ID))
@click.option("--by", metavar="NAME", required=True, help="Who enables it.")
@click.option("--why", metavar="TEXT", default=None, help="Why (one line).")
@db_option
@register_format_option
def enable(
    subscription_id: int, by: str, why: str | None, db: str | None, output_format: str
) -> int:
    """Deliver to a disabled subscription again (messages it still owes resume)."""
    return _change(subscription_id, True, by, why, db, output_format)


@webhook.command()
@allow_private_option("Deliver to loopback, private and link-local targets too.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 300),
    default=10.0,
    show_default=True,
    help="Seconds for each try, all told.",
)
@db_option
@register_format_option
def deliver(allow_private: bool, timeout: float, db: str | None, output_format: str) -> int:
    """Try every message due now, once (for cron and scripts); print the tries.

    Exit 0 whatever the receivers answered (see the tries); 2 if the register
    cannot be opened.
    """
    from techgate import api

    settings = api.DeliverySettings(allow_private_targets=allow_private, timeout=timeout)
    with api.open_register(db) as opened:
        attempts = api.deliver_due(opened, settings)
    _show_attempts(attempts, output_format, empty="nothing due")
    return 0


@webhook.command()
@click.option(
    "--subscription",
    "subscription_id",
    type=click.IntRange(1, LARGEST_ID),
    default=None,
    help="Only this subscription's.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help="At most this many.",
)
@db_option
@register_format_option
def attempts(subscription_id: int | None, limit: int, db: str | None, output_format: str) -> int:
    """The latest delivery tries, newest first: outcome, status or error, next try."""
    from techgate import api

    with api.open_register(db) as opened:
        found = opened.webhooks.attempts(subscription_id, limit=limit)
    _show_attempts(found, output_format, empty="no delivery tries")
    return 0


def _show_attempts(found: tuple[DeliveryAttempt, ...], output_format: str, empty: str) -> None:
    if output_format == "json":
        from pydantic import TypeAdapter

        from techgate.model.webhooks import DeliveryAttempt

        text = TypeAdapter(tuple[DeliveryAttempt, ...]).dump_json(found, indent=2).decode()
        click.echo(text)
        return
    if not found:
        click.echo(empty)
    for attempt in found:
        click.echo(_attempt_line(attempt))


def _subscription_line(subscription: Subscription) -> str:
    from techgate.cli.output import printable

    state = "enabled" if subscription.enabled else "DISABLED"
    line = (
        f"{subscription.id}  {state:<8} {subscription.url}  "
        f"[{', '.join(e.value for e in subscription.events)}] by {subscription.created_by}"
    )
    if subscription.changed_why:
        line += f"; {subscription.changed_why} ({subscription.changed_by})"
    return printable(line)


def _attempt_line(attempt: DeliveryAttempt) -> str:
    from techgate.cli.output import printable

    detail = attempt.error or (f"HTTP {attempt.status_code}" if attempt.status_code else "")
    then = f"; next try {_time(attempt.next_attempt_at)}" if attempt.next_attempt_at else ""
    return printable(
        f"{_time(attempt.attempted_at)}  subscription {attempt.subscription_id}  "
        f"{attempt.event_type.value} {attempt.message_id} try {attempt.attempt}: "
        f"{attempt.outcome.value}" + (f" ({detail})" if detail else "") + then
    )
