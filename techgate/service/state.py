"""What one running service holds: the register, its settings, the render pool, the metrics."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from techgate.service.problems import ProblemError

if TYPE_CHECKING:
    # The register only as a type, through the seam: the service calls it, never imports it.
    from techgate.api import Register
    from techgate.service.metrics import Metrics
    from techgate.service.rendering import RenderPool
    from techgate.service.settings import Settings
    from techgate.webhooks.delivery import Deliverer


@dataclass
class InFlight:
    """Idempotency keys whose first request is still running in this process.

    Other processes are kept apart by the key's primary key in the database
    (written under the write lock); this set answers 409 at once instead of
    making a retry wait behind the first request.
    """

    _held: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def hold(self, caller: str, key: str) -> Iterator[None]:
        with self._lock:
            if (caller, key) in self._held:
                raise ProblemError(
                    409,
                    "a request with this Idempotency-Key is still being processed; "
                    "retry once it has finished",
                    kind="idempotency-key-in-use",
                    headers={"Retry-After": "1"},
                )
            self._held.add((caller, key))
        try:
            yield
        finally:
            with self._lock:
                self._held.discard((caller, key))


@dataclass
class ServiceState:
    register: Register
    settings: Settings
    renders: RenderPool
    metrics: Metrics
    in_flight: InFlight = field(default_factory=InFlight)
    deliverer: Deliverer | None = None

    def wake_deliverer(self) -> None:
        """After a change that may have queued webhook messages: deliver them now."""
        if self.deliverer is not None:
            self.deliverer.wake()


def state_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.techgate
    return state
