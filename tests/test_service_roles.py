"""Every endpoint × every kind of caller answers what the role matrix in docs/service.md says.

The test reads the matrix from the documentation, so the two cannot drift:
a row without a request here, or a route without a row there, fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT
from service_support import GO, YAML, Served, serve, submit

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
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, dict[str, str]]]:
    """One service for the whole matrix (SQLite), with something behind every endpoint."""
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'techgate.db'}"
    for served in serve(url, Settings(render_workers=0)):
        assert submit(served, GO).status_code == 201
        with served.client("admin") as admin:
            changed = admin.post("/v1/evaluations", content=CHANGED_GO.encode(), headers=YAML)
            assert changed.status_code == 201
            to_remove = HOUSE_PACK.replace(b"id: house", b"id: to-remove")
            assert (
                admin.put("/v1/packs/to-remove", content=to_remove, headers=YAML).status_code == 201
            )
            spare = admin.post("/v1/tokens", json={"name": "spare", "role": "reader"}).json()
            job = admin.get("/v1/evaluations/1/record.html?async=true").json()["id"]
            while admin.get(f"/v1/jobs/{job}").json()["status"] == "pending":
                pass
        yield served, {"job": job, "spare": str(spare["token"]["id"])}


Call = Callable[[httpx.Client, dict[str, str]], httpx.Response]
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
    "POST /v1/tokens/{token_id}/revoke": lambda c, ids: c.post(f"/v1/tokens/{ids['spare']}/revoke"),
    "GET /v1/audit": lambda c, ids: c.get("/v1/audit"),
    "GET /v1/verify": lambda c, ids: c.get("/v1/verify"),
    "GET /v1/jobs/{job_id}": lambda c, ids: c.get(f"/v1/jobs/{ids['job']}"),
    "GET /v1/jobs/{job_id}/result": lambda c, ids: c.get(f"/v1/jobs/{ids['job']}/result"),
}


def test_the_matrix_covers_every_route_and_every_route_has_a_call(
    world: tuple[Served, dict[str, str]],
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
    world: tuple[Served, dict[str, str]], endpoint: str
) -> None:
    served, ids = world
    for column in COLUMNS:
        expected = MATRIX[endpoint][column]
        with served.client(WHO[column]) as client:
            response = CALLS[endpoint](client, ids)
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
