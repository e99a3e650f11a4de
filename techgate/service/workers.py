"""Several server processes on one socket: 'techgate serve --workers N'.

One Python process is held to one core by the GIL; uvicorn's supervisor
forks N processes that share the listening socket, and each builds its own
app from the environment (the register's URL and the settings, as JSON),
since a built app cannot cross into a new process. The register keeps them
consistent (the write lock, Idempotency-Key's primary key, delivery claims),
as it does two services on one database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from typing import Any

from fastapi import FastAPI

from techgate.service.settings import Settings

SETTINGS_VARIABLE = "TECHGATE_SERVE_SETTINGS"
DB_VARIABLE = "TECHGATE_SERVE_DB"


def settings_json(settings: Settings) -> str:
    values: dict[str, Any] = {}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        values[field.name] = value.total_seconds() if isinstance(value, dt.timedelta) else value
    return json.dumps(values)


def settings_from_json(text: str) -> Settings:
    values = json.loads(text)
    for field in dataclasses.fields(Settings):
        if isinstance(field.default, dt.timedelta) and field.name in values:
            values[field.name] = dt.timedelta(seconds=values[field.name])
    if values.get("delivery_backoff_s") is not None:
        values["delivery_backoff_s"] = tuple(values["delivery_backoff_s"])
    return Settings(**values)


def app() -> FastAPI:
    """The factory each worker process calls (uvicorn --factory)."""
    from techgate.service.app import create_app

    settings = settings_from_json(os.environ[SETTINGS_VARIABLE])
    return create_app(os.environ.get(DB_VARIABLE) or None, settings)


def serve_workers(db: str | None, settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with 'workers' processes in the foreground until SIGTERM or SIGINT."""
    import uvicorn

    os.environ[SETTINGS_VARIABLE] = settings_json(settings)
    if db:
        os.environ[DB_VARIABLE] = db
    uvicorn.run(
        "techgate.service.workers:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        timeout_graceful_shutdown=30,
        log_level="info",
    )
