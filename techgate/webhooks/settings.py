"""How deliveries are made: timeouts, the retry schedule, whether private targets are allowed.

Standard library only, so techgate.api can offer it without loading the deliverer.
"""

from __future__ import annotations

from dataclasses import dataclass

from techgate.errors import single_problem

BACKOFF = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
"""Seconds to wait after the 1st, 2nd... failed try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
(the Standard Webhooks example schedule, cut at about 28 hours). After the 8th try fails the
message is given up."""


@dataclass(frozen=True)
class DeliverySettings:
    """What a delivery pass may do."""

    allow_private_targets: bool = False
    """Let messages go to loopback, private and link-local addresses (a local setup, tests).
    Off, a target that resolves to one is refused at every try and the message fails."""
    timeout: float = 10.0
    """Seconds for a whole try: connecting, TLS, sending and the status line together."""
    backoff: tuple[float, ...] = BACKOFF
    """Seconds to wait after each failed try; one more try than there are entries."""
    workers: int = 4
    """Messages sent at once in one pass."""
    batch: int = 500
    """At most this many tries in one pass, so that a pass ends."""
    lease_margin: float = 60.0
    """A claim expires this long after its try's timeout: then another deliverer may take
    the message (its first deliverer died)."""
    max_retry_after: float = 86_400.0
    """A receiver's Retry-After (seconds) is honoured up to this."""

    @property
    def tries(self) -> int:
        return len(self.backoff) + 1

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= 300:
            raise _problem("timeout", "must be more than 0 and at most 300 seconds")
        if not 1 <= self.workers <= 64 or self.batch < 1:
            raise _problem("workers", "workers must be 1 to 64, and batch at least 1")
        if any(not 0 <= delay <= 30 * 86_400 for delay in self.backoff):
            raise _problem("backoff", "each delay must be 0 to 30 days")


def _problem(field: str, message: str) -> Exception:
    return single_problem("<delivery settings>", message, field=field)
