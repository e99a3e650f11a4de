"""The service when things break: the server killed mid-burst, the database restarted.

The server runs as an operator runs it ('techgate serve' in its own process,
tests/serving.py), so SIGKILL and a stopped database hit it as they would in
production.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLES
from serving import PostgreSQL, Server, create_token, pg_ctl, techgate

pytestmark = pytest.mark.slow


TEXT = (EXAMPLES / "callback-queue.yaml").read_text(encoding="utf-8")
YAML = {"Content-Type": "application/yaml"}


def body(number: int, tag: str = "burst") -> bytes:
    """The example under a new id: a new register entry each time."""
    return TEXT.replace("id: callback-queue", f"id: {tag}-{number:04d}", 1).encode("utf-8")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'techgate.db'}"
        return
    if pg_ctl() is None:
        pytest.skip("no PostgreSQL (pg_ctl) on this machine")
    server = PostgreSQL().start()
    server.create_database()
    try:
        yield server.url
    finally:
        server.remove()


def test_a_killed_server_loses_no_acknowledged_submission(database: str) -> None:
    token = create_token(database, "burst", "submitter")
    reader = create_token(database, "check", "reader")
    server = Server(database).start()
    acknowledged: dict[str, tuple[int, str]] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def submitter(first: int) -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            for number in range(first, first + 10_000, 4):
                try:
                    answer = http.post("/v1/evaluations", content=body(number), headers=YAML)
                except httpx.TransportError:
                    return  # the server is gone: whatever was in flight was never acknowledged
                if answer.status_code == 201:
                    stored = answer.json()["evaluation"]
                    with lock:
                        acknowledged[stored["proposal_id"]] = (
                            stored["id"],
                            stored["record_sha256"],
                        )
                        if len(acknowledged) >= 40:
                            enough.set()

    threads = [threading.Thread(target=submitter, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    assert enough.wait(120), server.log.read_text()[-2000:]
    server.kill()  # SIGKILL: no shutdown, no flush, in the middle of the burst
    for thread in threads:
        thread.join(60)
    assert len(acknowledged) >= 40

    again = Server(database).start()
    try:
        with httpx.Client(
            base_url=again.url, headers={"Authorization": f"Bearer {reader}"}, timeout=30
        ) as http:
            for proposal_id, (number, record_sha256) in acknowledged.items():
                stored = http.get(f"/v1/evaluations/{number}")
                assert stored.status_code == 200, proposal_id
                assert stored.json()["evaluation"]["proposal_id"] == proposal_id
                assert stored.json()["evaluation"]["record_sha256"] == record_sha256
    finally:
        again.stop()
    verified = techgate("register", "verify", "--db", database, "-f", "json", check=False)
    assert verified.returncode == 0 and json.loads(verified.stdout)["intact"]


@pytest.mark.skipif(pg_ctl() is None, reason="no PostgreSQL (pg_ctl) on this machine")
def test_a_database_restart_gives_503s_then_recovers(tmp_path: Path) -> None:
    postgres = PostgreSQL().start()
    try:
        postgres.create_database()
        token = create_token(postgres.url, "restart", "submitter")
        server = Server(postgres.url).start()
        try:
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            ) as http:
                assert (
                    http.post(
                        "/v1/evaluations", content=body(1, "restart"), headers=YAML
                    ).status_code
                    == 201
                )
                postgres.stop()
                down = http.post("/v1/evaluations", content=body(2, "restart"), headers=YAML)
                assert down.status_code == 503, down.text
                assert down.headers["content-type"].startswith("application/problem+json")
                assert "Retry-After" in down.headers
                assert http.get("/readyz").status_code == 503
                assert http.get("/healthz").status_code == 200  # alive, just not ready
                postgres.start()
                after = http.post("/v1/evaluations", content=body(2, "restart"), headers=YAML)
                assert after.status_code == 201, after.text
                assert http.get("/readyz").status_code == 200
        finally:
            server.stop()
        listed = techgate("register", "list", "--db", postgres.url, "-f", "json")
        ids = [item["proposal_id"] for item in json.loads(listed.stdout)["items"]]
        assert ids == ["restart-0001", "restart-0002"]
    finally:
        postgres.remove()


def test_two_worker_processes_share_the_port_and_never_duplicate(tmp_path: Path) -> None:
    """'serve --workers 2': both processes answer; a keyed submission sent to both at once
    (as a retry racing the first try) is stored once."""
    database = f"sqlite:///{tmp_path / 'techgate.db'}"
    token = create_token(database, "workers", "submitter")
    server = Server(database).start("--workers", "2")
    try:
        headers = {**YAML, "Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"}
        answers: list[int] = []

        def send() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                answers.append(
                    http.post(
                        "/v1/evaluations", content=body(1, "workers"), headers=headers
                    ).status_code
                )

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert set(answers) <= {201, 409} and 201 in answers, answers
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for number in range(2, 12):
                sent = http.post(
                    "/v1/evaluations",
                    content=body(number, "workers"),
                    headers={**YAML, "Authorization": f"Bearer {token}"},
                )
                assert sent.status_code == 201, sent.text
    finally:
        server.stop()
    listed = techgate("register", "list", "--db", database, "-f", "json")
    ids = [item["proposal_id"] for item in json.loads(listed.stdout)["items"]]
    assert ids.count("workers-0001") == 1 and len(ids) == 11


def test_settings_cross_into_worker_processes_unchanged() -> None:
    import datetime as dt

    from techgate.service import Settings
    from techgate.service.workers import settings_from_json, settings_json

    chosen = Settings(
        render_workers=0,
        max_waiver_days=30,
        deliver_webhooks=False,
        delivery_backoff_s=(1.0, 2.0),
        idempotency_lifetime=dt.timedelta(hours=3),
    )
    assert settings_from_json(settings_json(chosen)) == chosen
    assert settings_from_json(settings_json(Settings())) == Settings()
