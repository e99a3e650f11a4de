"""Running the service: on a socket in a thread (tests, benchmarks) or in the foreground.

uvicorn shuts down gracefully on SIGTERM and SIGINT in the foreground: it
stops accepting, lets requests in progress finish, then runs the app's
shutdown (the render pool and the register are closed).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def _config(app: FastAPI, *, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=log_level == "info",
        # The service's own middleware counts and limits; uvicorn's server header says nothing
        # a caller needs.
        server_header=False,
        timeout_graceful_shutdown=30,
    )


@dataclass
class Running:
    """A service running in a thread of this process."""

    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self, timeout: float = 30.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_on_socket(app: FastAPI, sock: socket.socket, *, log_level: str = "warning") -> Running:
    """Serve app on an already bound socket, in a thread; returns once it accepts requests."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        # asyncio turns Nagle's algorithm off only on sockets made with proto IPPROTO_TCP;
        # one made with proto 0 would hold each response's body back until the client
        # acknowledged its headers: 40 ms a request on a kept-alive connection. Accepted
        # connections inherit the option from the listening socket.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server = uvicorn.Server(_config(app, log_level=log_level))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="techgate-service", daemon=True
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the service stopped while starting")
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return Running(server, thread, f"http://{shown}:{port}")


def start_on_loopback(app: FastAPI, port: int = 0) -> Running:
    """Bind 127.0.0.1 (port 0: any free port) and serve app there, in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return start_on_socket(app, sock)


def serve_forever(app: FastAPI, host: str, port: int, *, log_level: str = "info") -> None:
    """Serve in the foreground until SIGTERM or SIGINT."""
    config = _config(app, log_level=log_level)
    config.host, config.port = host, port
    uvicorn.Server(config).run()
