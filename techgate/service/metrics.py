"""Prometheus metrics in the text exposition format 0.0.4, written by hand (no client library).

Counted per route template (never the raw path, whose ids would grow the
series without end) and status; latency as a histogram; submissions by what
they did; the render pool's queue and the jobs held. Output is sorted, so the
same counts print the same bytes.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str], list[float]] = {}
        self._submissions: dict[str, int] = defaultdict(int)
        self.gauges: dict[str, tuple[str, Callable[[], int]]] = {}
        """name → (help, a function reading the value now)."""

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, method, str(status))] += 1
            counts = self._latency.setdefault((route, method), [0.0] * (len(BUCKETS) + 2))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-2] += 1  # +Inf, i.e. the count
            counts[-1] += seconds  # the sum

    def submitted(self, outcome: str) -> None:
        with self._lock:
            self._submissions[outcome] += 1

    def text(self) -> str:
        with self._lock:
            requests = sorted(self._requests.items())
            latency = sorted((key, list(value)) for key, value in self._latency.items())
            submissions = sorted(self._submissions.items())
        lines = [
            "# HELP techgate_http_requests_total HTTP requests answered, by route and status.",
            "# TYPE techgate_http_requests_total counter",
        ]
        for (route, method, status), count in requests:
            labels = _labels(route=route, method=method, status=status)
            lines.append(f"techgate_http_requests_total{{{labels}}} {count}")
        lines += [
            "# HELP techgate_http_request_duration_seconds Time to answer, by route.",
            "# TYPE techgate_http_request_duration_seconds histogram",
        ]
        for (route, method), counts in latency:
            base = _labels(route=route, method=method)
            for bound, below in zip(BUCKETS, counts, strict=False):
                lines.append(
                    f'techgate_http_request_duration_seconds_bucket{{{base},le="{bound}"}} '
                    f"{int(below)}"
                )
            lines.append(
                f'techgate_http_request_duration_seconds_bucket{{{base},le="+Inf"}} '
                f"{int(counts[-2])}"
            )
            lines.append(f"techgate_http_request_duration_seconds_sum{{{base}}} {counts[-1]:.6f}")
            lines.append(
                f"techgate_http_request_duration_seconds_count{{{base}}} {int(counts[-2])}"
            )
        lines += [
            "# HELP techgate_submissions_total Submissions: created, existing (identical inputs "
            "stored before) or replayed (an Idempotency-Key's first response).",
            "# TYPE techgate_submissions_total counter",
        ]
        lines += [
            f"techgate_submissions_total{{{_labels(outcome=outcome)}}} {count}"
            for outcome, count in submissions
        ]
        for name, (help_text, read) in sorted(self.gauges.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {read()}"]
        return "\n".join(lines) + "\n"


def _labels(**values: str) -> str:
    return ",".join(f'{key}="{_escaped(value)}"' for key, value in values.items())


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Measured:
    """ASGI middleware timing every HTTP request and counting it by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(
                _route(scope), scope["method"], status, time.perf_counter() - started
            )


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
