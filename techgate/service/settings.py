"""The service's limits, in one place; every one has a default that needs no configuration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """What 'techgate serve' allows and how it renders; see docs/service.md."""

    max_body_bytes: int = MIB
    """The largest request body read; larger ones are refused (413) before being read whole.
    Proposals and packs are also held to the command line's limits (1 MiB, depth, values)."""
    render_workers: int = 1
    """Processes that lay out HTML and PDF reports; 0 renders in a thread of this process
    (tests, or a machine that cannot spare a process)."""
    render_queue: int = 4
    """Renders that may wait for a worker; beyond that the service answers 503 + Retry-After."""
    render_timeout_s: float = 60.0
    """A render waited on longer than this answers 504 (ask for it as a job instead)."""
    async_record_bytes: int = 256 * 1024
    """A record this large (its JSON) is rendered to PDF or HTML as a job (202) unasked."""
    job_limit: int = 100
    """Finished jobs kept in memory (the oldest go first); jobs do not survive a restart."""
    job_lifetime: dt.timedelta = dt.timedelta(hours=1)
    """How long a finished job's document is kept."""
    idempotency_lifetime: dt.timedelta = dt.timedelta(hours=24)
    """How long an Idempotency-Key is remembered."""
    retry_after_s: int = 5
    """What Retry-After says when the database or the render pool is busy."""
    max_waiver_days: int | None = None
    """The longest a waiver may run from the day it is granted, when tighter than the pack's
    own max_waiver_days (default 365)."""
    deliver_webhooks: bool = True
    """Run the webhook deliverer in the background (and the waiver expiry sweep with it)."""
    allow_private_webhooks: bool = False
    """Let subscriptions and deliveries reach loopback, private and link-local addresses
    (a receiver on the same machine or network); off, those are refused."""
    delivery_interval_s: float = 5.0
    """How often the deliverer looks for due messages when nothing woke it."""
    delivery_timeout_s: float = 10.0
    """The longest one delivery try may take (connect, send, status line)."""
    delivery_backoff_s: tuple[float, ...] | None = None
    """Waits between tries (default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; see
    docs/webhooks.md)."""
