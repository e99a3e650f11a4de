"""A real service on a loopback socket, with a token of every kind, for the service's tests."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from conftest import EXAMPLES
from fastapi import FastAPI

from techgate import api
from techgate.model.register import Role
from techgate.service import Settings, create_app
from techgate.service.server import start_on_loopback

GO = EXAMPLES / "callback-queue.yaml"
NO_GO = EXAMPLES / "chatbot-no-human.yaml"
CONDITIONAL = EXAMPLES / "crm-consolidation.yaml"
YAML = {"Content-Type": "application/yaml"}


class TickingClock:
    """One second later at every reading, from a fixed start; advance() jumps ahead."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            self.now += dt.timedelta(seconds=1)
            return self.now

    def advance(self, delta: dt.timedelta) -> None:
        with self._lock:
            self.now += delta


@dataclass
class Served:
    url: str
    app: FastAPI
    clock: TickingClock
    register_url: str
    secrets: dict[str, str] = field(default_factory=dict)
    """'reader', 'submitter', 'approver', 'admin', 'expired', 'revoked' → a secret."""

    def client(self, who: str | None = "admin", **headers: str) -> httpx.Client:
        sent = dict(headers)
        if who is not None:
            sent["Authorization"] = f"Bearer {self.secrets[who]}"
        return httpx.Client(base_url=self.url, headers=sent, timeout=60)


def serve(register_url: str, settings: Settings | None = None) -> Iterator[Served]:
    clock = TickingClock()
    secrets: dict[str, str] = {}
    with api.open_register(register_url, clock=clock) as register:
        for role in Role:
            secrets[role.value] = register.create_token(role.value, role, "setup").secret
        expiring = register.create_token(
            "expiring", Role.ADMIN, "setup", expires=clock.now + dt.timedelta(hours=1)
        )
        revoked = register.create_token("revoked", Role.ADMIN, "setup")
        register.revoke_token(revoked.token.id, "setup")
    secrets["expired"], secrets["revoked"] = expiring.secret, revoked.secret
    app = create_app(register_url, settings or Settings(render_workers=0), clock=clock)
    clock.advance(dt.timedelta(hours=2))  # the expiring token has expired
    running = start_on_loopback(app)
    try:
        yield Served(running.url, app, clock, register_url, secrets)
    finally:
        running.stop()


def submit(served: Served, path: Path, who: str = "submitter", **headers: str) -> httpx.Response:
    with served.client(who, **YAML, **headers) as client:
        return client.post("/v1/evaluations", content=path.read_bytes())


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    """The response's problem document, checked for its media type and status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and set(body) == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "problems",
    }
    assert "Traceback" not in response.text
    return dict(body)
