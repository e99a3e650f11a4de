"""The decision service over real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from service_support import (
    CONDITIONAL,
    GO,
    NO_GO,
    YAML,
    Served,
    problem,
    serve,
    submit,
)

from techgate import api
from techgate.cli import cli
from techgate.render.json import render_json


@pytest.fixture
def served(register_url: str) -> Iterator[Served]:
    yield from serve(register_url)


def evaluate_json(path: Path) -> str:
    return render_json(api.evaluate(path))


# -- submitting ------------------------------------------------------------------------------


def test_submit_stores_the_record_evaluate_writes(served: Served) -> None:
    response = submit(served, GO)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/evaluations/1"
    body = response.json()
    assert body["created"] is True and body["evaluation"]["id"] == 1
    assert body["record"] == json.loads(evaluate_json(GO))
    assert body["evaluation"]["submitted_by"] == "submitter"
    with served.client("reader") as client:
        stored = client.get("/v1/evaluations/1/record")
    assert stored.text == evaluate_json(GO)  # byte for byte


def test_the_same_proposal_again_is_200_and_stores_nothing(served: Served) -> None:
    first = submit(served, GO).json()
    again = submit(served, GO, "approver")
    assert again.status_code == 200 and again.headers["location"] == "/v1/evaluations/1"
    assert again.json()["created"] is False
    assert again.json()["evaluation"] == first["evaluation"]
    with served.client("reader") as client:
        assert [e["id"] for e in client.get("/v1/evaluations").json()["items"]] == [1]


def test_the_submitter_is_the_token_never_a_query(served: Served) -> None:
    with served.client("approver", **YAML) as client:
        response = client.post("/v1/evaluations?by=mallory", content=NO_GO.read_bytes())
    assert response.json()["evaluation"]["submitted_by"] == "approver"


def test_json_and_yaml_bodies_give_the_same_record(served: Served) -> None:
    from conftest import read_yaml

    as_json = json.dumps(read_yaml(CONDITIONAL), indent="\t", default=str).encode()
    with served.client("submitter") as client:
        by_json = client.post(
            "/v1/evaluate", content=as_json, headers={"Content-Type": "application/json"}
        )
        by_yaml = client.post(
            "/v1/evaluate", content=CONDITIONAL.read_bytes(), headers={"Content-Type": "text/yaml"}
        )
    assert by_json.status_code == by_yaml.status_code == 200, by_json.text
    assert by_json.text == by_yaml.text == evaluate_json(CONDITIONAL)


def test_a_dry_run_stores_nothing(served: Served) -> None:
    with served.client("submitter", **YAML) as client:
        assert client.post("/v1/evaluate", content=NO_GO.read_bytes()).status_code == 200
        assert client.get("/v1/evaluations").json()["items"] == []


def test_invalid_proposals_are_422_with_the_lines_the_cli_prints(
    served: Served, tmp_path: Path
) -> None:
    text = GO.read_text(encoding="utf-8").replace("category: callback", "category: calback")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    response = submit(served, broken)
    body = problem(response, 422)
    assert body["type"] == "urn:techgate:problem:invalid-input"
    cli_says = CliRunner().invoke(cli, ["validate", str(broken)]).stderr
    located = body["problems"][0]
    assert isinstance(located, dict)
    assert located["file"] == "<request body>" and located["field"] == "category"
    line = text.splitlines().index("category: calback") + 1
    assert located["line"] == line
    assert f"{broken}:{line}:{located['column']}: category: {located['message']}" in cli_says


# Each level repeats the one before ten times: 10^5 values from a few lines.
ALIAS_BOMB = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{name}: &{name} [{', '.join([f'*{before}'] * 10)}]\n".encode()
    for before, name in zip("abcd", "bcde", strict=True)
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe" + "id: x".encode("utf-16-le"), "is not UTF-8"),
        (b"id: caf\xe9\n", "byte 0xe9 is not UTF-8"),
        (b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 40)), "nested more than"),
        (ALIAS_BOMB, "more than 50,000 values"),
        (b"", "file is empty"),
        (b"- just\n- a list\n", "mapping"),
        (b"id: [unclosed\n", "flow sequence"),
        (b"id: x\n\ttitle: tab\n", "tab"),
    ],
)
def test_hostile_bodies_are_located_problems(served: Served, body: bytes, message: str) -> None:
    with served.client("submitter", **YAML) as client:
        response = client.post("/v1/evaluations", content=body)
    found = problem(response, 422)
    assert message in json.dumps(found["problems"]), found


def test_a_body_over_the_limit_is_413_before_it_is_read(served: Served) -> None:
    big = b"# " + b"x" * (2 * 1024 * 1024) + b"\n"
    with served.client("submitter", **YAML) as client:
        declared = client.post("/v1/evaluations", content=big)
        streamed = client.post("/v1/evaluations", content=iter([big[:700_000]] * 3))
    for response in (declared, streamed):
        body = problem(response, 413)
        assert "1,048,576 bytes" in str(body["detail"])


@pytest.mark.parametrize("media", ["text/plain", "application/xml", "", "multipart/form-data"])
def test_only_yaml_and_json_bodies_are_read(served: Served, media: str) -> None:
    headers = {"Content-Type": media} if media else {}
    with served.client("submitter") as client:
        response = client.post("/v1/evaluations", content=GO.read_bytes(), headers=headers)
    problem(response, 415)


def naming(pack: str, path: Path = GO) -> bytes:
    """The proposal with its 'pack:' line naming another pack."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r"(?m)^pack: .*$", f"pack: {pack}", text).encode()


def test_a_proposal_cannot_make_the_service_read_a_path(served: Served) -> None:
    for reference in ("/etc/passwd", "../../etc/passwd", "criteria/contact-centre.yaml"):
        body = naming(reference)
        with served.client("submitter", **YAML) as client:
            response = client.post("/v1/evaluate", content=body)
        found = problem(response, 422)
        assert "a path is never read here" in json.dumps(found["problems"])
        assert "root:" not in response.text


# -- idempotency -------------------------------------------------------------------------------


def test_an_idempotency_key_replays_the_first_response(served: Served) -> None:
    first = submit(served, NO_GO, **{"Idempotency-Key": "abc-1"})
    again = submit(served, NO_GO, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    other = submit(served, GO, **{"Idempotency-Key": "abc-1"})
    assert problem(other, 422)["problems"][0]["field"] == "Idempotency-Key"  # type: ignore[index]
    # Keys are per caller: another token's same key is its own.
    assert submit(served, GO, "approver", **{"Idempotency-Key": "abc-1"}).status_code == 201


def test_an_expired_key_may_be_used_again(served: Served) -> None:
    import datetime as dt

    assert submit(served, NO_GO, **{"Idempotency-Key": "k"}).status_code == 201
    served.clock.advance(dt.timedelta(hours=25))
    assert submit(served, GO, **{"Idempotency-Key": "k"}).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "a\tb"])
def test_a_malformed_key_is_400(served: Served, key: str) -> None:
    with served.client("submitter", **YAML) as client:
        response = client.post(
            "/v1/evaluations",
            content=GO.read_bytes(),
            headers={"Idempotency-Key": key.encode("utf-8")},  # type: ignore[dict-item]
        )
    problem(response, 400)


def test_concurrent_retries_store_one_evaluation(served: Served) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def send(_: int) -> httpx.Response:
        return submit(served, CONDITIONAL, **{"Idempotency-Key": "burst"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(16)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len({r.content for r in created}) == 1
    assert len([r for r in created if "idempotent-replayed" not in r.headers]) == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert problem(refused, 409)["type"] == "urn:techgate:problem:idempotency-key-in-use"
    with served.client("reader") as client:
        assert len(client.get("/v1/evaluations").json()["items"]) == 1


def test_two_services_on_one_register_never_duplicate_a_keyed_submission(
    served: Served,
) -> None:
    """Two servers (two processes' worth of in-flight sets) share only the database: the key's
    row, written under the write lock with the evaluation, keeps retries from duplicating."""
    from concurrent.futures import ThreadPoolExecutor

    from techgate.service import Settings, create_app
    from techgate.service.server import start_on_loopback

    other = start_on_loopback(
        create_app(served.register_url, Settings(render_workers=0), clock=served.clock)
    )
    try:
        urls = [served.url, other.url]

        def send(i: int) -> httpx.Response:
            return httpx.post(
                f"{urls[i % 2]}/v1/evaluations",
                content=NO_GO.read_bytes(),
                headers={
                    **YAML,
                    "Authorization": f"Bearer {served.secrets['submitter']}",
                    "Idempotency-Key": "shared",
                },
                timeout=60,
            )

        with ThreadPoolExecutor(6) as pool:
            responses = list(pool.map(send, range(12)))
    finally:
        other.stop()
    assert {r.status_code for r in responses} <= {201, 409}
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    with served.client("reader") as client:
        assert len(client.get("/v1/evaluations").json()["items"]) == 1


# -- reading ------------------------------------------------------------------------------------


def test_list_filters_and_pages_with_a_link_header(served: Served) -> None:
    for path in (GO, NO_GO, CONDITIONAL, EXAMPLES / "agent-assist-drafts.yaml"):
        assert submit(served, path).status_code == 201
    with served.client("reader") as client:
        page = client.get("/v1/evaluations?limit=3")
        assert [e["id"] for e in page.json()["items"]] == [1, 2, 3]
        link = page.headers["link"]
        assert re.fullmatch(r'</v1/evaluations\?limit=3&after=3>; rel="next"', link)
        rest = client.get(link[1 : link.index(">")])
        assert [e["id"] for e in rest.json()["items"]] == [4] and "link" not in rest.headers
        gos = client.get("/v1/evaluations?decision=go").json()["items"]
        assert {e["proposal_id"] for e in gos} == {"callback-queue", "agent-assist-drafts"}
        one = client.get("/v1/evaluations?proposal_id=chatbot-no-human").json()["items"]
        assert [e["decision"] for e in one] == ["no-go"]
        assert client.get("/v1/evaluations?since=2030-01-01").json()["items"] == []
        for bad in ("decision=maybe", "limit=0", "limit=501", "after=-1", "since=yesterday"):
            problem(client.get(f"/v1/evaluations?{bad}"), 422)


def test_show_gives_the_evaluation_its_decisions_and_record(served: Served) -> None:
    submit(served, GO)
    with served.client("approver") as client:
        client.post("/v1/evaluations/1/decisions", json={"outcome": "approved"})
        shown = client.get("/v1/evaluations/1").json()
        assert shown["record"]["decision"] == "go"
        assert [d["by"] for d in shown["decisions"]] == ["approver"]
        assert shown["evaluation"]["status"] == "decided"
        problem(client.get("/v1/evaluations/2"), 404)
        problem(client.get(f"/v1/evaluations/{2**63}"), 422)
        problem(client.get(f"/v1/evaluations/{2**31}"), 422)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/markdown", "text/markdown; charset=utf-8"),
        ("text/*;q=0.9, application/json;q=0.1", "text/markdown; charset=utf-8"),
        ("text/html;q=0.5, text/markdown;q=0.4", "text/html; charset=utf-8"),
    ],
)
def test_the_record_by_content_negotiation(served: Served, accept: str | None, media: str) -> None:
    submit(served, GO)
    headers = {"Accept": accept} if accept else {}
    with served.client("reader", **headers) as client:
        response = client.get("/v1/evaluations/1/record")
    assert response.status_code == 200 and response.headers["content-type"] == media


@pytest.mark.parametrize("accept", ["image/png", "application/pdf;q=0, text/*;q=0", "x"])
def test_an_unacceptable_accept_is_406(served: Served, accept: str) -> None:
    submit(served, GO)
    with served.client("reader", Accept=accept) as client:
        problem(client.get("/v1/evaluations/1/record"), 406)


def test_the_record_by_suffix(served: Served) -> None:
    submit(served, GO)
    with served.client("reader") as client:
        markdown = client.get("/v1/evaluations/1/record.md")
        html = client.get("/v1/evaluations/1/record.html")
        as_json = client.get("/v1/evaluations/1/record.json")
        problem(client.get("/v1/evaluations/1/record.txt"), 406)
    assert markdown.text.startswith("# Virtual hold")
    assert html.headers["content-type"] == "text/html; charset=utf-8" and "<html" in html.text
    assert as_json.text == evaluate_json(GO)
    again = served.client("reader").get("/v1/evaluations/1/record.md")
    assert again.content == markdown.content  # the same record, the same bytes


def test_an_html_report_as_a_job(served: Served) -> None:
    submit(served, GO)
    with served.client("reader", Prefer="respond-async") as client:
        started = client.get("/v1/evaluations/1/record.html")
        assert started.status_code == 202
        location = started.headers["location"]
        status = client.get(location).json()
        while status["status"] == "pending":
            status = client.get(location).json()
        assert status["status"] == "done" and status["result"] == f"{location}/result"
        document = client.get(status["result"])
        direct = client.get("/v1/evaluations/1/record.html", headers={"Prefer": ""})
        problem(client.get("/v1/jobs/nope"), 404)
        problem(client.get("/v1/jobs/../etc"), 404)
    assert document.content == direct.content


def test_history_and_diff(served: Served, tmp_path: Path) -> None:
    submit(served, GO)
    with served.client("reader") as client:
        problem(client.get("/v1/proposals/callback-queue/diff"), 422)
        problem(client.get("/v1/proposals/nothing/history"), 404)
    changed = tmp_path / "v2.yaml"
    changed.write_text(
        GO.read_text(encoding="utf-8").replace("Virtual hold", "Virtual hold v2"), "utf-8"
    )
    submit(served, changed)
    submit(served, NO_GO)
    with served.client("reader") as client:
        history = client.get("/v1/proposals/callback-queue/history").json()
        assert [e["id"] for e in history["evaluations"]] == [1, 2]
        diff = client.get("/v1/proposals/callback-queue/diff")
        assert diff.status_code == 200 and diff.json()["proposal_changed"] is True
        explicit = client.get("/v1/proposals/callback-queue/diff?before=1&after=2")
        assert explicit.content == diff.content
        markdown = client.get(
            "/v1/proposals/callback-queue/diff", headers={"Accept": "text/markdown"}
        )
        assert markdown.headers["content-type"].startswith("text/markdown")
        wrong = client.get("/v1/proposals/callback-queue/diff?before=3")
        assert problem(wrong, 422)["problems"][0]["field"] == "before"  # type: ignore[index]


# -- deciding --------------------------------------------------------------------------------------


def test_decisions_name_the_token_and_overrides_need_a_reason(served: Served) -> None:
    submit(served, NO_GO)
    with served.client("approver") as client:
        refused = client.post("/v1/evaluations/1/decisions", json={"outcome": "approved"})
        assert problem(refused, 422)["problems"][0]["field"] == "reason"  # type: ignore[index]
        made = client.post(
            "/v1/evaluations/1/decisions",
            json={"outcome": "approved", "reason": "pilot with 50 users"},
        )
        assert made.status_code == 201, made.text
        assert made.json()["by"] == "approver" and made.json()["override"] is True
        extra = client.post(
            "/v1/evaluations/1/decisions", json={"outcome": "rejected", "by": "mallory"}
        )
        assert problem(extra, 422)["problems"][0]["field"] == "by"  # type: ignore[index]
        wrong_type = client.post(
            "/v1/evaluations/1/decisions",
            content=b"outcome: rejected\n",
            headers={"Content-Type": "application/yaml"},
        )
        problem(wrong_type, 415)
        problem(client.post("/v1/evaluations/7/decisions", json={"outcome": "rejected"}), 404)
        broken = client.post(
            "/v1/evaluations/1/decisions",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        problem(broken, 422)


# -- packs ---------------------------------------------------------------------------------------

HOUSE = b"""id: house
title: House rules
version: 1.0.0
extends: contact-centre
policy:
  go_threshold: 90
"""


def test_an_installed_pack_judges_proposals_that_name_it(served: Served) -> None:
    with served.client("admin", **YAML) as admin:
        first = admin.put("/v1/packs/house", content=HOUSE)
        assert first.status_code == 201 and first.json()["installed_by"] == "admin"
        assert admin.put("/v1/packs/house", content=HOUSE).status_code == 200
        listed = {p["id"]: p["source"] for p in admin.get("/v1/packs").json()["items"]}
        assert listed["house"] == "installed" and listed["contact-centre"] == "built-in"
        assert admin.get("/v1/packs/house").json()["lineage"] == ["contact-centre"]
        body = naming("house")
        judged = admin.post("/v1/evaluations", content=body).json()
        assert judged["record"]["pack"]["id"] == "house"
        removed = admin.delete("/v1/packs/house")
        assert removed.status_code == 200 and removed.json()["pack_sha256"] is None
        problem(admin.delete("/v1/packs/house"), 404)
        gone = admin.post("/v1/evaluate", content=body)
        assert "no criteria pack has this id" in json.dumps(problem(gone, 422)["problems"])
        assert admin.get("/v1/verify").json()["intact"] is True
        kinds = [e["kind"] for e in admin.get("/v1/audit?limit=500").json()["items"]]
        assert kinds.count("pack.installed") == 2 and kinds.count("pack.removed") == 1


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/v1/packs/other", HOUSE, 422),  # the id in the body is not the path's
        ("/v1/packs/house", b"id: house\n", 422),
        ("/v1/packs/house", HOUSE.replace(b"contact-centre", b"/etc/passwd"), 422),
        ("/v1/packs/Bad%20Id", HOUSE, 422),
        ("/v1/packs/..%2F..%2Fetc%2Fpasswd", HOUSE, 404),
    ],
)
def test_bad_packs_are_refused(served: Served, path: str, body: bytes, status: int) -> None:
    with served.client("admin", **YAML) as admin:
        response = admin.put(path, content=body)
    problem(response, status)
    assert "root:" not in response.text


# -- tokens, audit ---------------------------------------------------------------------------------


def test_tokens_over_http(served: Served) -> None:
    with served.client("admin") as admin:
        made = admin.post("/v1/tokens", json={"name": "portal", "role": "submitter"})
        assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
        secret, token_id = made.json()["secret"], made.json()["token"]["id"]
        listed = admin.get("/v1/tokens")
        assert secret not in listed.text and "portal" in listed.text
        problem(admin.post("/v1/tokens", json={"name": "x", "role": "root"}), 422)
        problem(admin.post("/v1/tokens/999/revoke"), 404)
    portal = httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {secret}"})
    assert submit_with(portal, GO).status_code == 201
    with served.client("admin") as admin:
        assert admin.post(f"/v1/tokens/{token_id}/revoke").json()["revoked_by"] == "admin"
    refused = submit_with(portal, GO)
    assert problem(refused, 401)["type"] == "urn:techgate:problem:unauthorized"
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def submit_with(client: httpx.Client, path: Path) -> httpx.Response:
    return client.post("/v1/evaluations", content=path.read_bytes(), headers=YAML)


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer tg_nope", "tg_x"]
)
def test_bad_credentials_are_401_with_a_challenge(served: Served, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{served.url}/v1/evaluations", headers=headers)
    problem(response, 401)
    assert response.headers["www-authenticate"].startswith('Bearer realm="techgate"')


def test_the_audit_chain_pages(served: Served) -> None:
    with served.client("admin") as admin:
        first = admin.get("/v1/audit?limit=2")
        events = first.json()["items"]
        assert [e["seq"] for e in events] == [1, 2] and events[0]["kind"] == "token.created"
        assert first.headers["link"] == '</v1/audit?after=2&limit=2>; rel="next"'
        rest = admin.get("/v1/audit?after=2&limit=100").json()
        assert rest["items"][0]["prev_hash"] == events[1]["hash"]
        verified = admin.get("/v1/verify").json()
        assert verified["intact"] and verified["head"] == rest["items"][-1]["hash"]
        masked = admin.get("/v1/audit?limit=1&mask=name&mask=prefix")
        event = masked.json()["items"][0]
        assert event["data"]["name"] == "[masked]" and event["masked"] == ["name", "prefix"]
        assert event["hash"] == events[0]["hash"]  # the hash is the unmasked event's
        assert "mask=name&mask=prefix" in masked.headers["link"]


# -- errors, health, metrics ----------------------------------------------------------------------


def test_unknown_paths_and_methods_are_problems(served: Served) -> None:
    with served.client("admin") as client:
        problem(client.get("/v2/evaluations"), 404)
        problem(client.delete("/v1/evaluations"), 405)
        problem(client.get("/v1/evaluations/abc"), 422)


def test_health_readiness_and_metrics(served: Served) -> None:
    submit(served, GO)
    submit(served, GO)
    with httpx.Client(base_url=served.url) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        assert anonymous.get("/readyz").json() == {"status": "ok"}
        metrics = anonymous.get("/metrics")
    assert metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = metrics.text
    assert (
        'techgate_http_requests_total{route="/v1/evaluations",method="POST",status="201"} 1' in text
    )
    assert (
        'techgate_http_requests_total{route="/v1/evaluations",method="POST",status="200"} 1' in text
    )
    assert 'techgate_submissions_total{outcome="created"} 1' in text
    assert 'techgate_submissions_total{outcome="existing"} 1' in text
    assert "techgate_render_pending 0" in text
    sample = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? [0-9.e+-]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line


def test_the_openapi_document_is_3_1_and_names_the_models(served: Served) -> None:
    document = httpx.get(f"{served.url}/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    assert {"StoredEvaluation", "Evaluation", "Problem", "HumanDecision"} <= set(schemas)
    assert schemas["StoredEvaluation"]["properties"]["record_sha256"]["description"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45" and (path, status) != ("/readyz", "503"):
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
    assert "HTTPValidationError" not in json.dumps(document)


def test_a_database_that_stops_answering_is_503_then_recovers(served: Served) -> None:
    if not served.register_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to stop; PostgreSQL refuses connections on demand")
    import psycopg

    base, name = served.register_url.rsplit("/", 1)
    admin = base.replace("postgresql+psycopg", "postgresql") + "/postgres"

    def allow(flag: bool) -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {flag}')
            if not flag:
                connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )

    submit(served, GO)
    allow(False)
    try:
        down = submit(served, NO_GO)
        body = problem(down, 503)
        assert body["type"] == "urn:techgate:problem:database-unavailable"
        assert down.headers["retry-after"] == "5" and "password" not in down.text
        with served.client("reader") as client:
            problem(client.get("/v1/evaluations/1"), 503)
            # A job is held in memory, but its caller's token is looked up in the register.
            problem(client.get("/v1/jobs/no-such-job"), 503)
        not_ready = httpx.get(f"{served.url}/readyz")
        assert not_ready.status_code == 503 and not_ready.headers["retry-after"] == "5"
    finally:
        allow(True)
    assert httpx.get(f"{served.url}/readyz").status_code == 200
    assert submit(served, NO_GO).status_code == 201
    with served.client("admin") as client:
        assert client.get("/v1/verify").json()["intact"] is True


def test_a_bug_is_a_bare_500_and_adding_a_router_is_one_line(tmp_path: Path) -> None:
    from fastapi import APIRouter

    from techgate.service import ROUTERS, Settings, create_app
    from techgate.service.server import start_on_loopback

    broken = APIRouter()

    @broken.get("/v1/broken")
    def fails() -> None:
        raise RuntimeError("secret internals /etc/shadow")

    app = create_app(
        f"sqlite:///{tmp_path / 'techgate.db'}",
        Settings(render_workers=0),
        routers=(*ROUTERS, broken),
    )
    running = start_on_loopback(app)
    try:
        response = httpx.get(f"{running.url}/v1/broken")
    finally:
        running.stop()
    body = problem(response, 500)
    assert body["type"] == "urn:techgate:problem:bug" and "secret" not in response.text


@pytest.mark.parametrize("name", ["", "a\nb", "\x1b[31mred", "x" * 201])
def test_token_names_over_http_are_one_printable_line(served: Served, name: str) -> None:
    with served.client("admin") as admin:
        response = admin.post("/v1/tokens", json={"name": name, "role": "reader"})
    problem(response, 422)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/evaluations?proposal_id=%00",
        "/v1/evaluations?owner=a%00b",
        "/v1/evaluations?category=%ED%A0%80",
        "/v1/proposals/%00/history",
        "/v1/proposals/x%00y/diff",
        "/v1/proposals/%ED%A0%80/history",
        "/v1/evaluations?proposal_id=' OR 1=1 --",
        "/v1/proposals/' OR 1=1 --/history",
        "/v1/evaluations?since=9999-12-31T23:59:59%2B14:00",
    ],
)
def test_hostile_query_values_are_answers_not_bugs(served: Served, url: str) -> None:
    submit(served, GO)
    with served.client("reader") as client:
        response = client.get(url)
    assert response.status_code in (200, 404, 422), response.text
    if response.status_code == 200:
        assert response.json()["items"] == []


def test_a_streamed_json_body_over_the_limit_is_413_too(served: Served) -> None:
    chunk = b'{"name": "' + b"x" * 700_000
    with served.client("admin", **{"Content-Type": "application/json"}) as admin:
        response = admin.post("/v1/tokens", content=iter([chunk, b"y" * 700_000, b'"}']))
        decision = admin.post("/v1/evaluations/1/decisions", content=iter([chunk] * 3))
    for answer in (response, decision):
        assert problem(answer, 413)["type"] == "urn:techgate:problem:body-too-large"


# -- found by the contract tests (tests/test_service_contract.py) ---------------------------------


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/v1/evaluations", {"GET", "POST"}),
        ("/v1/tokens", {"GET", "POST"}),
        ("/v1/packs/house", {"DELETE", "GET", "PUT"}),
        ("/v1/evaluate", {"POST"}),
    ],
)
def test_a_405_allows_every_method_of_the_path(
    served: Served, path: str, methods: set[str]
) -> None:
    # Starlette named only the methods of the first route matching the path: 'Allow: POST'
    # for /v1/evaluations, whose GET lists evaluations.
    with served.client("admin") as client:
        refused = client.request("OPTIONS", path)
    problem(refused, 405)
    assert set(refused.headers["allow"].split(", ")) == methods


@pytest.mark.parametrize(
    ("path", "body", "line", "column"),
    [
        ("/v1/tokens", b'{"name": "\xff", "role": "reader"}', 1, 11),
        ("/v1/evaluations/1/decisions", b'{\n  "outcome": "approved",\n  "reason": "\xc3"}', 3, 14),
        ("/v1/tokens", b'{"name": "caf\xe9", "role": "reader"}', 1, 14),  # Latin-1
    ],
)
def test_a_json_body_that_is_not_utf8_is_a_located_422(
    served: Served, path: str, body: bytes, line: int, column: int
) -> None:
    # FastAPI answered a bare 400 'There was an error parsing the body', a status the
    # operations do not document, where every other unreadable input is a located 422.
    submit(served, GO)
    with served.client("admin", **{"Content-Type": "application/json"}) as client:
        body_problem = problem(client.post(path, content=body), 422)
    assert body_problem["type"] == "urn:techgate:problem:invalid-input"
    [located] = body_problem["problems"]
    assert isinstance(located, dict)
    assert (located["file"], located["line"], located["column"]) == ("<request body>", line, column)
    assert "is not UTF-8" in located["message"]


@pytest.mark.parametrize("moment", ["0.5", "20260131", "1700000000", "-1", "1e9", " 7 "])
def test_a_number_is_not_a_date_in_a_query(served: Served, moment: str) -> None:
    # pydantic reads a number as seconds since 1970: '?since=20260131' meant August 1970.
    submit(served, GO)
    with served.client("reader") as client:
        for name in ("since", "until"):
            refused = problem(client.get("/v1/evaluations", params={name: moment}), 422)
            [located] = refused["problems"]
            assert isinstance(located, dict)
            assert located["field"] == name and "is a number" in located["message"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"since": "2026-01-01"}, 1),
        ({"since": "2026-01-02T03:04:00Z"}, 1),
        ({"since": "2026-01-03"}, 0),
        ({"until": "2026-01-02T04:00:00+01:00"}, 0),
        ({"until": "2026-01-03"}, 1),
    ],
)
def test_a_date_or_a_date_and_time_filters(
    served: Served, query: dict[str, str], found: int
) -> None:
    submit(served, GO)  # the service's clock: 2026-01-02 03:04 and a few seconds
    with served.client("reader") as client:
        answered = client.get("/v1/evaluations", params=query)
    assert answered.status_code == 200, answered.text
    assert len(answered.json()["items"]) == found


def test_ids_beyond_what_postgresql_stores_are_refused_alike_on_both(served: Served) -> None:
    # The id columns are INTEGER: 32-bit on PostgreSQL, which answered 'integer out of range'
    # (a 422 naming the database) where SQLite answered 404.
    from techgate.vocabulary import LARGEST_ID

    assert LARGEST_ID == 2**31 - 1
    submit(served, GO)
    with served.client("admin") as client:
        for path in (
            f"/v1/evaluations/{LARGEST_ID}",
            f"/v1/evaluations/{LARGEST_ID}/record",
            f"/v1/evaluations/{LARGEST_ID}/record.json",
        ):
            assert problem(client.get(path), 404)["type"] == "urn:techgate:problem:not-found"
        problem(client.post(f"/v1/tokens/{LARGEST_ID}/revoke"), 404)
        for path in (
            f"/v1/evaluations/{LARGEST_ID + 1}",
            f"/v1/tokens/{LARGEST_ID + 1}/revoke",
            f"/v1/audit?after={LARGEST_ID + 1}",
            f"/v1/evaluations?after={LARGEST_ID + 1}",
        ):
            answer = client.post(path) if path.endswith("revoke") else client.get(path)
            assert "database" not in problem(answer, 422)["detail"]
        assert client.get(f"/v1/audit?after={LARGEST_ID}").json()["items"] == []
        assert client.get(f"/v1/evaluations?after={LARGEST_ID}").json()["items"] == []


def test_readiness_503_is_documented_as_served(served: Served) -> None:
    # Every error status was rewritten to a problem document, /readyz's 503 too, which the
    # service answers with Health as application/json.
    document = httpx.get(f"{served.url}/v1/openapi.json").json()
    not_ready = document["paths"]["/readyz"]["get"]["responses"]["503"]
    assert not_ready["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
    }


def test_the_record_suffix_is_documented_as_the_formats_offered(served: Served) -> None:
    document = httpx.get(f"{served.url}/v1/openapi.json").json()
    operation = document["paths"]["/v1/evaluations/{evaluation_id}/record.{suffix}"]["get"]
    [suffix] = [p for p in operation["parameters"] if p["name"] == "suffix"]
    assert suffix["schema"]["enum"] == ["json", "md", "html", "pdf"]
    submit(served, GO)
    with served.client("reader") as client:  # another suffix is still 406, as documented
        assert problem(client.get("/v1/evaluations/1/record.txt"), 406)["problems"] == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/evaluations?category=a%00b", "category"),
        ("/v1/evaluations?owner=%00", "owner"),
        ("/v1/evaluations?proposal_id=x%00", "proposal_id"),
        ("/v1/evaluations?pack_id=%00", "pack_id"),
        ("/v1/proposals/x%00y/history", "proposal_id"),
        ("/v1/proposals/%00/diff", "proposal_id"),
    ],
)
def test_a_nul_in_a_lookup_is_the_same_located_422_on_both_databases(
    served: Served, url: str, field: str
) -> None:
    # PostgreSQL cannot hold a NUL in text: it refused the query, a 422 naming the database,
    # where SQLite answered an empty page or 404.
    submit(served, GO)
    with served.client("reader") as client:
        refused = problem(client.get(url), 422)
    [located] = refused["problems"]
    assert isinstance(located, dict)
    assert (located["file"], located["field"]) == ("<register>", field)
    assert "NUL" in str(located["message"]) and "postgresql" not in refused["detail"].lower()


# -- an override of the engine is flagged in every report ----------------------------------------


def test_every_report_of_an_overridden_record_flags_the_override(served: Served) -> None:
    assert submit(served, NO_GO).status_code == 201
    with served.client("approver") as approver:
        decided = approver.post(
            "/v1/evaluations/1/decisions",
            json={"outcome": "approved", "reason": "pilot *with* 50 users <b>"},
        )
        assert decided.status_code == 201
        markdown = approver.get("/v1/evaluations/1/record.md").text
        html = approver.get("/v1/evaluations/1/record.html").text
        record = approver.get("/v1/evaluations/1/record.json").text
    assert "## What people decided" in markdown
    assert "**OVERRIDING the engine's no-go**" in markdown
    assert "overriding the engine&#39;s no-go" in html or "overriding the engine's no-go" in html
    # What people typed stays text in both.
    assert "<b>" not in markdown and "*with*" not in markdown
    assert "pilot *with* 50 users &lt;b&gt;" in html
    # The record itself is the engine's, byte for byte: decisions are never written into it.
    assert "OVERRID" not in record


def test_reports_without_decisions_are_unchanged_by_the_section() -> None:
    record = api.evaluate(NO_GO)
    plain = api.render(record, ["md", "html"])
    assert api.render(record, ["md", "html"], decisions=()) == plain
    assert all(b"What people decided" not in body for body in plain.values())
