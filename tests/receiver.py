"""A real webhook receiver on a loopback socket, answering as each test tells it."""

from __future__ import annotations

import http.server
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """ThreadingHTTPServer in a thread. Each request takes the next planned answer.

    An answer is a status code, ("status", extra headers), "hold" (wait until
    release() and then 200: a receiver that hangs), or the default when the
    plan is empty.
    """

    default: Any = 200
    plan: deque[Any] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                owner.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                answer = owner.plan.popleft() if owner.plan else owner.default
                headers: dict[str, str] = {}
                if answer == "hold":
                    owner.holding.set()
                    owner.released.wait(30)
                    answer = 200
                if isinstance(answer, tuple):
                    answer, headers = answer
                try:
                    self.send_response(answer)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, *answers: Any) -> None:
        self.plan.extend(answers)

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
