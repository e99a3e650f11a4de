"""Every endpoint × every kind of caller answers what the role matrix in docs/service.md says.

The test reads the matrix from the documentation, so the two cannot drift:
a row without a request here, or a route without a row there, fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT
from service_support import GO, NO_GO, YAML, Served, serve, submit

from techgate.service import Settings

MATRIX_DOC = ROOT / "docs" / "service.md"
COLUMNS = ("no token", "expired", "revoked", "reader", "submitter", "approver", "admin")
WHO = {"no token": None, **{c: c for c in COLUMNS[1:]}}


def read_matrix() -> dict[str, dict[str, str]]:
    text = MATRIX_DOC.read_text(encoding="utf-8")
    table = text.split("<!-- role matrix: read by tests/test_service_roles.py -->", 1)[1]
    lines = [line for line in table.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert tuple(header[1:]) == COLUMNS
    matrix = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        endpoint = cells[0].strip("`")
        matrix[endpoint] = dict(zip(COLUMNS, cells[1:], strict=True))
    return matrix


MATRIX = read_matrix()
HOUSE_PACK = b"id: house\ntitle: House rules\nversion: 1.0.0\nextends: contact-centre\n"
CHANGED_GO = GO.read_text(encoding="utf-8").replace(
    "Virtual hold and scheduled callbacks", "Virtual hold and scheduled callbacks, v2"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, dict[str, Any]]]:
    """One service for the whole matrix (SQLite), with something behind every endpoint."""
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'techgate.db'}"
    for served in serve(url, Settings(render_workers=0, deliver_webhooks=False)):
        assert submit(served, GO).status_code == 201
        assert submit(served, NO_GO).status_code == 201  # by 'submitter': others may waive
        with served.client("admin") as admin:
            changed = admin.post("/v1/evaluations", content=CHANGED_GO.encode(), headers=YAML)
            assert changed.status_code == 201
            to_remove = HOUSE_PACK.replace(b"id: house", b"id: to-remove")
            assert (
                admin.put("/v1/packs/to-remove", content=to_remove, headers=YAML).status_code == 201
            )
            spare = admin.post("/v1/tokens", json={"name": "spare", "role": "reader"}).json()
            # One waiver to revoke for each caller the matrix lets revoke, and one to show.
            waivers = [admin.post("/v1/waivers", json=WAIVER).json()["id"] for _ in range(3)]
            hook = admin.post("/v1/webhooks", json=HOOK).json()["subscription"]["id"]
            job = admin.get("/v1/evaluations/1/record.html?async=true").json()["id"]
            while admin.get(f"/v1/jobs/{job}").json()["status"] == "pending":
                pass
        ids = {"job": job, "spare": str(spare["token"]["id"]), "hook": hook}
        yield served, {**ids, "waiver": waivers[0], "spare_waivers": waivers[1:]}


WAIVER = {
    "proposal_id": "chatbot-no-human",
    "gate_id": "human-route",
    "owner": "Head of Contact Centre",
    "reason": "a person answers within the hour while the route is built",
    "ticket": "RISK-7",
    "expires": "2026-03-01",
    "requested_by": "Ana Ruiz",
}
HOOK = {"url": "https://hooks.example.com/techgate", "events": ["decision.recorded"]}
Call = Callable[[httpx.Client, dict[str, Any]], httpx.Response]
CALLS: dict[str, Call] = {
    "GET /healthz": lambda c, ids: c.get("/healthz"),
    "GET /readyz": lambda c, ids: c.get("/readyz"),
    "GET /metrics": lambda c, ids: c.get("/metrics"),
    "GET /v1/openapi.json": lambda c, ids: c.get("/v1/openapi.json"),
    "GET /v1/docs": lambda c, ids: c.get("/v1/docs"),
    "POST /v1/evaluations": lambda c, ids: c.post(
        "/v1/evaluations", content=GO.read_bytes(), headers=YAML
    ),
    "POST /v1/evaluate": lambda c, ids: c.post(
        "/v1/evaluate", content=GO.read_bytes(), headers=YAML
    ),
    "GET /v1/evaluations": lambda c, ids: c.get("/v1/evaluations"),
    "GET /v1/evaluations/{evaluation_id}": lambda c, ids: c.get("/v1/evaluations/1"),
    "GET /v1/evaluations/{evaluation_id}/record": lambda c, ids: c.get("/v1/evaluations/1/record"),
    "GET /v1/evaluations/{evaluation_id}/record.{suffix}": lambda c, ids: c.get(
        "/v1/evaluations/1/record.md"
    ),
    "POST /v1/evaluations/{evaluation_id}/decisions": lambda c, ids: c.post(
        "/v1/evaluations/1/decisions", json={"outcome": "approved"}
    ),
    "GET /v1/proposals/{proposal_id}/history": lambda c, ids: c.get(
        "/v1/proposals/callback-queue/history"
    ),
    "GET /v1/proposals/{proposal_id}/diff": lambda c, ids: c.get(
        "/v1/proposals/callback-queue/diff"
    ),
    "GET /v1/packs": lambda c, ids: c.get("/v1/packs"),
    "GET /v1/packs/{pack_id}": lambda c, ids: c.get("/v1/packs/contact-centre"),
    "PUT /v1/packs/{pack_id}": lambda c, ids: c.put(
        "/v1/packs/house", content=HOUSE_PACK, headers=YAML
    ),
    "DELETE /v1/packs/{pack_id}": lambda c, ids: c.delete("/v1/packs/to-remove"),
    "POST /v1/tokens": lambda c, ids: c.post("/v1/tokens", json={"name": "made", "role": "reader"}),
    "GET /v1/tokens": lambda c, ids: c.get("/v1/tokens"),
    "POST /v1/waivers": lambda c, ids: c.post("/v1/waivers", json=WAIVER),
    "GET /v1/waivers": lambda c, ids: c.get("/v1/waivers"),
    "GET /v1/waivers/{waiver_id}": lambda c, ids: c.get(f"/v1/waivers/{ids['waiver']}"),
    "POST /v1/waivers/{waiver_id}/revoke": lambda c, ids: c.post(
        f"/v1/waivers/{ids['spare_waivers'][0]}/revoke", json={"reason": "fixed"}
    ),
    "POST /v1/webhooks": lambda c, ids: c.post("/v1/webhooks", json=HOOK),
    "GET /v1/webhooks": lambda c, ids: c.get("/v1/webhooks"),
    "POST /v1/webhooks/{subscription_id}/disable": lambda c, ids: c.post(
        f"/v1/webhooks/{ids['hook']}/disable", json={"why": "receiver moved"}
    ),
    "POST /v1/webhooks/{subscription_id}/enable": lambda c, ids: c.post(
        f"/v1/webhooks/{ids['hook']}/enable", json={}
    ),
    "GET /v1/webhooks/{subscription_id}/attempts": lambda c, ids: c.get(
        f"/v1/webhooks/{ids['hook']}/attempts"
    ),
    "POST /v1/tokens/{token_id}/revoke": lambda c, ids: c.post(f"/v1/tokens/{ids['spare']}/revoke"),
    "GET /v1/audit": lambda c, ids: c.get("/v1/audit"),
    "GET /v1/verify": lambda c, ids: c.get("/v1/verify"),
    "GET /v1/jobs/{job_id}": lambda c, ids: c.get(f"/v1/jobs/{ids['job']}"),
    "GET /v1/jobs/{job_id}/result": lambda c, ids: c.get(f"/v1/jobs/{ids['job']}/result"),
}


def test_the_matrix_covers_every_route_and_every_route_has_a_call(
    world: tuple[Served, dict[str, Any]],
) -> None:
    served, _ = world
    # Every operation the OpenAPI document lists, and the two pages that serve it.
    routes = {
        f"{method.upper()} {path}"
        for path, operations in served.app.openapi()["paths"].items()
        for method in operations
    } | {"GET /v1/openapi.json", "GET /v1/docs"}
    assert set(MATRIX) == routes
    assert set(CALLS) == routes


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_every_caller_gets_what_the_matrix_says(
    world: tuple[Served, dict[str, Any]], endpoint: str
) -> None:
    served, ids = world
    for column in COLUMNS:
        expected = MATRIX[endpoint][column]
        with served.client(WHO[column]) as client:
            response = CALLS[endpoint](client, ids)
        if endpoint.endswith("/revoke") and "waiver" in endpoint and response.is_success:
            ids["spare_waivers"].pop(0)  # each caller allowed to revoke gets a waiver of its own
        where = f"{endpoint} as {column}: {response.status_code} {response.text[:300]}"
        if expected == "yes":
            assert 200 <= response.status_code < 300, where
            continue
        assert response.status_code == int(expected), where
        assert response.headers["content-type"] == "application/problem+json", where
        if expected == "401":
            assert response.headers["www-authenticate"].startswith("Bearer"), where


def test_the_matrix_is_in_the_documentation_as_a_table() -> None:
    assert len(MATRIX) >= 20
    allowed = re.compile(r"^(yes|401|403)$")
    assert all(allowed.match(cell) for row in MATRIX.values() for cell in row.values())
    assert Path(MATRIX_DOC).is_file()
