"""Contract tests: schemathesis drives every operation of the running service from its OpenAPI.

The service runs on a loopback socket over a register holding evaluations (two
of one proposal), an installed pack and a finished render job; schemathesis
reads /v1/openapi.json from it and sends each operation generated requests,
valid and invalid (its examples, coverage and fuzzing phases), as an admin so
that every operation is reachable. Path parameters are drawn from what is
generated and from the ids that exist, so the checks also see real rows. Every
answer must be no server error, a documented status, the documented media type,
a body and headers matching their schemas, and invalid input must be refused.

The run is bounded and reproducible: a fixed seed, derandomized generation, no
example database, 25 examples an operation (about 1,000 requests a database;
reports are asked for by suffix, a PDF and two HTML among them). Run it alone with
    .venv/bin/python -m pytest tests/test_service_contract.py -p no:cacheprovider
"""

from __future__ import annotations

import copy
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from conftest import EXAMPLES, read_yaml
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from service_support import CONDITIONAL, GO, NO_GO, YAML, Served, serve, submit
from test_service_roles import MATRIX

from techgate.service import Settings

HOUSE_PACK = b"id: house\ntitle: House rules\nversion: 1.0.0\nextends: contact-centre\n"
CHANGED_GO = GO.read_text(encoding="utf-8").replace(
    "Virtual hold and scheduled callbacks", "Virtual hold and scheduled callbacks, v2"
)


def as_json_value(path: Any) -> Any:
    """A proposal as the plain JSON value schemathesis sends (dates as strings)."""
    return json.loads(json.dumps(read_yaml(path), default=str))


VOICEBOT = EXAMPLES / "voicebot-projected-savings.yaml"
VALID_BODIES: dict[tuple[str, str], list[Any]] = {
    ("POST", "/v1/evaluations"): [as_json_value(p) for p in (GO, NO_GO, CONDITIONAL)],
    ("POST", "/v1/evaluate"): [as_json_value(p) for p in (GO, NO_GO, CONDITIONAL)],
    ("PUT", "/v1/packs/{pack_id}"): [
        {"id": "house", "title": "House rules", "version": "1.0.1", "extends": "contact-centre"}
    ],
    # A proposal the run itself never submits: were it the latest submitter of the
    # proposal, the run's admin token could not waive its gates.
    ("POST", "/v1/waivers"): [
        {
            "proposal_id": "voicebot-projected-savings",
            "gate_id": "cuts-on-measured-benefits",
            "owner": "Head of Contact Centre",
            "reason": "a person answers within the hour while the route is built",
            "ticket": "RISK-7",
            "expires": "2026-06-30",
            "requested_by": "Ana Ruiz",
        }
    ],
    ("POST", "/v1/webhooks"): [
        {"url": "https://hooks.example.com/techgate", "events": ["decision.recorded"]}
    ],
}
"""Bodies that are valid beyond their schema, sent beside the generated ones."""

REFUSED_WHEN_VALID = (
    "^(submit|dry_run|install|decide|create|diff|grant|subscribe|disable|enable)_"
    "|^revoke_v1_waivers_"
)
"""Operations whose schema-valid requests may still be refused (422): see the CONFIG."""

CONFIG = f"""
seed = 20260101
suppress-health-check = ["all"]

[generation]
mode = "all"
max-examples = 25
deterministic = true
database = "none"

[phases.stateful]
enabled = false

# Valid by the schema is not yet valid: a proposal's pack must exist and its answers hold
# together, an override needs a reason, a token may not expire before it is made, a diff
# needs two evaluations of the proposal, a waiver's gate must be the pack's and its expiry
# ahead, a revoked waiver cannot be revoked again, a webhook's URL must be one it may reach,
# and the reason for disabling or enabling one must say something visible.
# These operations may refuse such a request (422).
[[operations]]
include-operation-id-regex = "{REFUSED_WHEN_VALID}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]
"""


REQUIRED_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "allow_header_conformance",
)
"""Checks the run must make (schemathesis enables every built-in check by default)."""

OPERATIONS = set(MATRIX) - {"GET /v1/openapi.json", "GET /v1/docs"}
"""Every operation in the OpenAPI document: the role matrix's rows but the document itself."""


@dataclass
class World:
    """The running service, the ids that exist in it, and what the contract run was answered."""

    served: Served
    known: dict[str, list[Any]]
    """Path parameter → values naming real rows."""
    admin_token_id: int
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    """(operation label, status) → how many times."""


def build_world(served: Served) -> World:
    ids = [submit(served, path).json()["evaluation"]["id"] for path in (GO, NO_GO, CONDITIONAL)]
    assert submit(served, VOICEBOT).status_code == 201  # by 'submitter': the waivers' proposal
    with served.client("submitter", **YAML) as client:  # a second version, for diff
        assert client.post("/v1/evaluations", content=CHANGED_GO.encode()).status_code == 201
    proposals = [str(read_yaml(path)["id"]) for path in (GO, NO_GO, CONDITIONAL)]
    with served.client("admin") as admin:
        assert admin.put("/v1/packs/house", content=HOUSE_PACK, headers=YAML).status_code == 201
        tokens = {t["name"]: t["id"] for t in admin.get("/v1/tokens").json()}
        job = admin.get(f"/v1/evaluations/{ids[0]}/record.html", params={"async": "true"})
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        waiver = VALID_BODIES[("POST", "/v1/waivers")][0]
        waivers = [admin.post("/v1/waivers", json=waiver).json()["id"] for _ in range(3)]
        hook = admin.post("/v1/webhooks", json=VALID_BODIES[("POST", "/v1/webhooks")][0])
        assert hook.status_code == 201, hook.text
        for _ in range(600):  # a finished job, so its result can be fetched
            if admin.get(f"/v1/jobs/{job_id}").json()["status"] != "pending":
                break
            time.sleep(0.05)
    known = {
        "evaluation_id": ids,
        "proposal_id": proposals,
        "pack_id": ["house", "contact-centre"],
        # Never the admin token the run uses: revoking it would end the run.
        "token_id": [tokens[name] for name in ("reader", "expiring", "revoked")],
        "job_id": [job_id],
        "suffix": ["json", "md", "html", "pdf"],
        "waiver_id": waivers,
        "subscription_id": [hook.json()["subscription"]["id"]],
    }
    return World(served, known, tokens["admin"])


@pytest.fixture
def contract_world(register_url: str) -> Iterator[World]:
    for served in serve(register_url, Settings(render_workers=0, deliver_webhooks=False)):
        world = build_world(served)
        yield world
        # Every operation must have been answered 2xx at least once: proof that the run
        # reached real rows, not only 404s and 422s.
        answered = {label for label, status in world.answers if 200 <= status < 300}
        assert answered == OPERATIONS, sorted(OPERATIONS - answered)


@pytest.fixture
def service_schema(contract_world: World) -> Any:
    config = SchemathesisConfig.from_str(CONFIG)
    checks = config.projects.get_default().checks
    assert all(getattr(checks, name).enabled for name in REQUIRED_CHECKS)
    served = contract_world.served
    url = f"{served.url}/v1/openapi.json"
    schema = schemathesis.openapi.from_url(url, config=config)
    schema.config.update(base_url=served.url)
    schema.config.headers = {"Authorization": f"Bearer {served.secrets['admin']}"}
    known = contract_world.known

    @schema.hook
    def flatmap_case(context: Any, case: Case) -> Any:
        """The generated case, or the same with ids that exist and a body valid beyond its
        schema; only where the case is meant to be valid, so a request meant to be refused
        stays one."""
        options = [st.just(case)]
        valid_bodies = VALID_BODIES.get((case.operation.method.upper(), case.operation.path))
        if valid_bodies and meant_valid(case, ParameterLocation.BODY):
            options.append(st.sampled_from(valid_bodies).map(lambda body: with_body(case, body)))
        if case.path_parameters and meant_valid(case, ParameterLocation.PATH):
            existing = st.fixed_dictionaries(
                {
                    name: st.sampled_from(known[name]) if name in known else st.just(value)
                    for name, value in case.path_parameters.items()
                }
            )
            options.append(existing.map(lambda path: with_path(case, path)))
        return st.one_of(options)

    return schema


def meant_valid(case: Case, location: ParameterLocation) -> bool:
    components = case.meta.components if case.meta is not None else {}
    info = components.get(location)
    return info is None or not info.mode.is_negative


# The case is drawn afresh for each example, so changing it where it is drawn is safe.
def with_body(case: Case, body: Any) -> Case:
    case.body = copy.deepcopy(body)
    if case.operation.path == "/v1/packs/{pack_id}":  # a pack is installed under its own id
        case.path_parameters = {**(case.path_parameters or {}), "pack_id": body["id"]}
    return case


def with_path(case: Case, path_parameters: dict[str, Any]) -> Case:
    case.path_parameters = path_parameters
    return case


schema = schemathesis.pytest.from_fixture("service_schema")


@schema.parametrize()
def test_every_operation_keeps_its_contract(case: Any, contract_world: World) -> None:
    if (
        case.path_parameters
        and case.path_parameters.get("token_id") == contract_world.admin_token_id
    ):
        return  # revoking the run's own token would end the run
    response = case.call_and_validate()
    contract_world.answers[(case.operation.label, response.status_code)] += 1


# -- the document itself -----------------------------------------------------------------------

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('document') / 'techgate.db'}"
    for served in serve(url, Settings(render_workers=0)):
        answer = httpx.get(f"{served.url}/v1/openapi.json")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        yield dict(answer.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(document).validate()  # against the OpenAPI 3.1 meta-schema


def test_every_operation_is_named_summarised_and_in_the_role_matrix(
    document: dict[str, Any],
) -> None:
    ids = [operation["operationId"] for _, operation in operations(document)]
    assert all(ids) and len(set(ids)) == len(ids)
    for label, operation in operations(document):
        assert operation["summary"].strip(), label
    assert {label for label, _ in operations(document)} == OPERATIONS


def test_a_token_is_asked_for_exactly_where_the_matrix_says(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: 'Bearer tg_...'.",
        }
    }
    for label, operation in operations(document):
        needs_token = MATRIX[label]["no token"] == "401"
        assert operation.get("security") == ([{"HTTPBearer": []}] if needs_token else None), label
        responses = operation["responses"]
        if needs_token:
            # The token is looked up in the register: 503 when the database does not answer.
            assert {"401", "403", "503"} <= set(responses), label


def test_every_input_error_is_a_documented_problem(document: dict[str, Any]) -> None:
    for label, operation in operations(document):
        responses = operation["responses"]
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        client_errors = {s for s in responses if s.startswith("4")}
        # The probes take no token and no input: nothing a client sends can be wrong.
        assert client_errors or not (takes_input or operation.get("security")), label
        if takes_input:
            assert "422" in responses, label
        if operation.get("requestBody"):
            assert {"413", "415"} <= set(responses), label
        for status in client_errors:
            assert responses[status]["content"] == PROBLEM, (label, status)
            assert responses[status]["description"], (label, status)
