"""Delivering the outbox: claim a due message, POST it signed, record how it went.

A pass claims due messages one at a time (each claim a short transaction under
the write lock) and sends them with a few worker threads; the HTTP request runs
outside any transaction, so a decision never waits on a receiver. Each try:

- the URL is checked again and its host resolved once; every address must be
  allowed, and the connection goes to the address checked (no second lookup);
- POST with the Standard Webhooks headers, no redirect followed, the whole try
  bounded by one deadline (a watchdog closes the socket when it passes, so a
  receiver dripping bytes cannot stretch it);
- 2xx: delivered; 410: the subscription is disabled; anything else: failed,
  tried again after the schedule's next delay (or a longer Retry-After), and
  given up after the last.

Within a pass, once a subscriber fails, its other messages wait for the next
pass, so one dead receiver costs one timeout per pass, not one per message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from techgate._version import __version__
from techgate.errors import InvalidInputError
from techgate.model.webhooks import DeliveryAttempt, DeliveryOutcome
from techgate.webhooks.settings import DeliverySettings
from techgate.webhooks.signing import sign
from techgate.webhooks.targets import Target, TargetRefused, check_url, resolve

if TYPE_CHECKING:
    from techgate.register.store import Register
    from techgate.register.webhooks import Claim, WebhookStore

LOG = logging.getLogger("techgate.webhooks")
MAX_ERROR = 300


@dataclass(frozen=True)
class Answer:
    """What one POST came to."""

    status_code: int | None
    error: str | None
    retry_after: float | None = None


def deliver_due(
    register: Register,
    settings: DeliverySettings | None = None,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> tuple[DeliveryAttempt, ...]:
    """One pass: try every message due now (up to settings.batch); return the tries, in order.

    'stopping' is asked before each claim: a pass ends early, between tries, once it
    says yes.
    """
    settings = settings or DeliverySettings()
    # Expiries are events nobody writes: each pass looks for those due since the last.
    register.announce_expired_waivers()
    store = register.webhooks
    lock = threading.Lock()
    tried: set[int] = set()
    failing: set[int] = set()
    attempts: list[DeliveryAttempt] = []
    lease = dt.timedelta(seconds=settings.timeout + settings.lease_margin)

    def work() -> None:
        while True:
            with lock:
                if len(tried) >= settings.batch or stopping():
                    return
                skip, passed_by = set(tried), set(failing)
            claim = store.claim(lease=lease, skip_messages=skip, skip_subscriptions=passed_by)
            if claim is None:
                return
            with lock:
                tried.add(claim.outbox_id)
            attempt = deliver_one(store, claim, settings)
            with lock:
                attempts.append(attempt)
                if attempt.outcome is not DeliveryOutcome.DELIVERED:
                    failing.add(claim.subscription_id)

    if settings.workers == 1:
        work()
    else:
        with ThreadPoolExecutor(settings.workers, thread_name_prefix="techgate-webhook") as pool:
            for future in [pool.submit(work) for _ in range(settings.workers)]:
                future.result()  # a database error in any worker is the pass's error
    return tuple(sorted(attempts, key=lambda a: a.id))


def deliver_one(store: WebhookStore, claim: Claim, settings: DeliverySettings) -> DeliveryAttempt:
    """Send one claimed message and record the outcome."""
    timestamp = int(claim.attempted_at.timestamp())
    answer = post(
        claim.url, sign(claim.secret, claim.message_id, timestamp, claim.body), claim.body, settings
    )
    status = answer.status_code
    next_at: dt.datetime | None = None
    if status is not None and 200 <= status < 300:
        outcome = DeliveryOutcome.DELIVERED
    elif status == 410:
        outcome = DeliveryOutcome.DISABLED
    elif claim.attempt >= settings.tries:
        outcome = DeliveryOutcome.GAVE_UP
    else:
        outcome = DeliveryOutcome.FAILED
        delay = settings.backoff[claim.attempt - 1]
        if answer.retry_after is not None:
            delay = max(delay, min(answer.retry_after, settings.max_retry_after))
        next_at = claim.attempted_at + dt.timedelta(seconds=delay)
    attempt = store.record(
        claim, outcome, status_code=status, error=answer.error, next_attempt_at=next_at
    )
    LOG.info(
        "webhook %s to subscription %d, try %d: %s%s",
        claim.message_id,
        claim.subscription_id,
        claim.attempt,
        outcome.value,
        f" ({answer.error})" if answer.error else "",
    )
    return attempt


def post(url: str, headers: dict[str, str], body: bytes, settings: DeliverySettings) -> Answer:
    """POST body to url with the given headers; never raises for anything the network does."""
    try:
        target = check_url(url, allow_private=settings.allow_private_targets)
        address = resolve(target, allow_private=settings.allow_private_targets)
    except InvalidInputError as error:
        return Answer(None, _clean("refused: " + error.problems[0].message))
    except TargetRefused as error:
        return Answer(None, _clean(f"refused: {error}"))
    connection = _PinnedConnection(target, address, settings.timeout)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        connection.cut()

    watchdog = threading.Timer(settings.timeout, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.putrequest(
            "POST", target.request_target, skip_host=True, skip_accept_encoding=True
        )
        for name, value in {
            "Host": target.host_header,
            "User-Agent": f"techgate/{__version__} (webhooks)",
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Connection": "close",
            **headers,
        }.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        status = response.status
        if expired.is_set():
            raise TimeoutError
        return Answer(status, _status_error(response), _retry_after(response))
    except TimeoutError:
        return Answer(None, f"timed out after {settings.timeout:g} s")
    except OSError as error:
        if expired.is_set():
            return Answer(None, f"timed out after {settings.timeout:g} s")
        return Answer(None, _clean(_network_error(error)))
    except http.client.HTTPException as error:
        if expired.is_set():
            return Answer(None, f"timed out after {settings.timeout:g} s")
        return Answer(None, _clean(f"bad response: {type(error).__name__} {error}"))
    finally:
        watchdog.cancel()
        connection.close()


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one address already checked, speaking for the URL's host.

    TLS is verified against the host name (SNI and the certificate), not the
    address: pinning the address changes where we connect, not whom we trust.
    """

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address
        self._tls = ssl.create_default_context() if target.scheme == "https" else None
        self._lock = threading.Lock()

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self.sock = sock
        if self._tls is not None:
            wrapped = self._tls.wrap_socket(sock, server_hostname=self.host)
            with self._lock:
                self.sock = wrapped

    def cut(self) -> None:
        """Unblock whatever the connection is waiting on (called by the watchdog)."""
        with self._lock:
            sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _status_error(response: http.client.HTTPResponse) -> str | None:
    status = response.status
    if 200 <= status < 300:
        return None
    reason = _clean(response.reason or "")
    if 300 <= status < 400:
        return f"HTTP {status} {reason}: redirects are not followed; subscribe the new URL".strip()
    return f"HTTP {status} {reason}".strip()


def _retry_after(response: http.client.HTTPResponse) -> float | None:
    value = (response.getheader("Retry-After") or "").strip()
    return float(value) if value.isdigit() and len(value) <= 9 else None


def _network_error(error: OSError) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset by the receiver"
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or error}"
    return f"{type(error).__name__}: {error.strerror or error}"


def _clean(text: str) -> str:
    """One printable line of at most MAX_ERROR characters (it is shown in listings)."""
    kept = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(kept.split())[:MAX_ERROR]


class Deliverer:
    """A background thread that runs a delivery pass, then waits, until stopped.

    The HTTP service owns one: start() when it starts, wake() after a change
    that may have queued messages, stop() when it shuts down. A pass that fails
    (the database restarting) is logged and tried again after the interval;
    the thread never dies of it.
    """

    def __init__(
        self,
        register: Register,
        settings: DeliverySettings | None = None,
        *,
        interval: float = 5.0,
        on_pass: Callable[[tuple[DeliveryAttempt, ...]], None] | None = None,
    ) -> None:
        self._register = register
        self._settings = settings or DeliverySettings()
        self._interval = interval
        self._on_pass = on_pass
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        """Passes run so far."""
        self.last_error: str | None = None
        """What the last failed pass said; None after a pass that worked."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="techgate-deliverer", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next pass now rather than after the interval."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the tries under way (each is bounded by the settings' timeout)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                attempts = deliver_due(self._register, self._settings, stopping=self._stop.is_set)
                self.last_error = None
                if self._on_pass is not None:
                    self._on_pass(attempts)
            except Exception as error:  # the thread outlives any one pass
                self.last_error = f"{type(error).__name__}: {error}"
                LOG.warning("webhook delivery pass failed: %s", self.last_error)
            self.passes += 1
            self._wake.wait(self._interval)
