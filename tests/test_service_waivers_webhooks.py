"""Waivers and webhooks through the service, over loopback HTTP, on SQLite and PostgreSQL.

A waived gate shows as waived in the stored record; an approver who asked for
the waiver or submitted the proposal cannot grant it; subscribers get signed
messages from the service's own deliverer, and a receiver that fails or hangs
gets retries while the decision is stored and answered at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from receiver import Receiver
from service_support import YAML, Served, serve

from techgate import api
from techgate.service import Settings

VOICEBOT = EXAMPLES / "voicebot-projected-savings.yaml"
GATE = "cuts-on-measured-benefits"  # failed, severity no-go; the score alone is conditional
WAIVER: dict[str, Any] = {
    "proposal_id": "voicebot-projected-savings",
    "gate_id": GATE,
    "owner": "Head of Contact Centre",
    "reason": "roles change only after the pilot measures the savings",
    "ticket": "RISK-42",
    "expires": "2026-06-30",
    "condition": "no post is cut before the pilot report",
    "requested_by": "Ana Ruiz",
}
QUICK = Settings(
    render_workers=0,
    allow_private_webhooks=True,
    delivery_interval_s=0.1,
    delivery_timeout_s=1.0,
    delivery_backoff_s=(0.2, 0.2, 0.2),
)


@pytest.fixture
def served(register_url: str) -> Iterator[Served]:
    yield from serve(register_url, QUICK)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def wait_for(condition: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_waiver_granted_over_http_shows_in_the_next_record(served: Served) -> None:
    with served.client("submitter") as submitter, served.client("approver") as approver:
        first = submitter.post("/v1/evaluations", content=VOICEBOT.read_bytes(), headers=YAML)
        assert first.json()["evaluation"]["decision"] == "no-go"
        granted = approver.post("/v1/waivers", json=WAIVER)
        assert granted.status_code == 201, granted.text
        waiver = granted.json()
        assert waiver["granted_by"] == "approver" and waiver["gate_id"] == GATE
        assert granted.headers["location"] == f"/v1/waivers/{waiver['id']}"
        again = submitter.post("/v1/evaluations", content=VOICEBOT.read_bytes(), headers=YAML)
        assert again.status_code == 201
        stored = again.json()
        assert stored["evaluation"]["decision"] == "conditional"
        gate = next(g for g in stored["record"]["gates"] if g["id"] == GATE)
        assert gate["status"] == "waived" and gate["passed"] is False
        assert gate["waiver"]["ticket"] == "RISK-42"
        listed = approver.get("/v1/waivers", params={"proposal_id": WAIVER["proposal_id"]})
        assert [w["id"] for w in listed.json()["waivers"]] == [waiver["id"]]
        revoked = approver.post(f"/v1/waivers/{waiver['id']}/revoke", json={"reason": "done"})
        assert revoked.status_code == 200 and revoked.json()["revocation"]["by"] == "approver"
        assert approver.get("/v1/waivers").json()["waivers"] == []
        shown = approver.get(f"/v1/waivers/{waiver['id']}")
        assert shown.json()["revocation"]["reason"] == "done"
        assert approver.get("/v1/waivers/999").status_code == 404


@pytest.mark.parametrize(
    ("who", "changes", "field"),
    [
        ("approver", {"requested_by": "approver"}, "by"),  # asked for it: cannot grant it
        ("admin", {}, "by"),  # submitted the evaluation it answers
        ("approver", {"gate_id": "no-such-gate"}, "gate_id"),
        ("approver", {"expires": "2030-01-01"}, "expires"),
        ("approver", {"proposal_id": "never-submitted"}, "proposal_id"),
    ],
)
def test_a_waiver_the_register_refuses_is_422_naming_the_field(
    served: Served, who: str, changes: dict[str, Any], field: str
) -> None:
    with served.client("admin") as admin:
        admin.post("/v1/evaluations", content=VOICEBOT.read_bytes(), headers=YAML)
    with served.client(who) as client:
        refused = client.post("/v1/waivers", json={**WAIVER, **changes})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [p["field"] for p in refused.json()["problems"]] == [field]


def test_subscribers_get_signed_messages_from_the_services_deliverer(
    served: Served, receiver: Receiver
) -> None:
    with served.client("admin") as admin, served.client("approver") as approver:
        made = admin.post(
            "/v1/webhooks",
            json={"url": receiver.url, "events": ["evaluation.created", "decision.recorded"]},
        )
        assert made.status_code == 201, made.text
        assert made.headers["cache-control"] == "no-store"
        secret = made.json()["secret"]
        assert secret.startswith("whsec_")
        listed = admin.get("/v1/webhooks").json()
        assert secret not in json.dumps(listed)  # shown once, never listed
        stored = admin.post("/v1/evaluations", content=VOICEBOT.read_bytes(), headers=YAML)
        number = stored.json()["evaluation"]["id"]
        decided = approver.post(
            f"/v1/evaluations/{number}/decisions",
            json={"outcome": "rejected"},
        )
        assert decided.status_code == 201
        wait_for(lambda: len(receiver.received) == 2)
        kinds = []
        for got in receiver.received:
            # Stamped by the test clock, far from now: a wide window, and a wrong secret fails.
            api.verify_webhook(got.headers, got.body, secret, tolerance=10**9)
            with pytest.raises(ValueError):
                api.verify_webhook(got.headers, got.body, "whsec_" + "A" * 44, tolerance=10**9)
            kinds.append(json.loads(got.body)["type"])
        # Delivered by parallel workers: in any order (receivers order by the payload's time).
        assert sorted(kinds) == ["decision.recorded", "evaluation.created"]
        subscription = made.json()["subscription"]["id"]
        tries = admin.get(f"/v1/webhooks/{subscription}/attempts").json()
        assert {t["outcome"] for t in tries} == {"delivered"}


def test_a_failing_or_hanging_receiver_gets_retries_and_never_delays_a_decision(
    served: Served, receiver: Receiver
) -> None:
    receiver.answer(500, "hold", 200)
    with served.client("admin") as admin, served.client("approver") as approver:
        made = admin.post(
            "/v1/webhooks", json={"url": receiver.url, "events": ["decision.recorded"]}
        ).json()
        stored = admin.post("/v1/evaluations", content=VOICEBOT.read_bytes(), headers=YAML)
        number = stored.json()["evaluation"]["id"]
        decided = approver.post(f"/v1/evaluations/{number}/decisions", json={"outcome": "rejected"})
        # Answered before the receiver ever held a try: the decision waits on no delivery.
        assert decided.status_code == 201 and not receiver.holding.is_set()
        # 500, then a receiver that hangs past the 1 s timeout, then 200: three tries.
        wait_for(lambda: len(receiver.received) >= 3)
        subscription = made["subscription"]["id"]
        wait_for(
            lambda: (
                admin.get(f"/v1/webhooks/{subscription}/attempts").json()[0]["outcome"]
                == "delivered"
            )
        )
        tries = admin.get(f"/v1/webhooks/{subscription}/attempts").json()
        outcomes = [t["outcome"] for t in reversed(tries) if t["outcome"] != "sending"]
        assert outcomes == ["failed", "failed", "delivered"], tries
        ids = {got.headers["webhook-id"] for got in receiver.received}
        assert len(ids) == 1  # one message, tried three times under one id
        shown = admin.get(f"/v1/evaluations/{number}").json()
        assert shown["decisions"][0]["outcome"] == "rejected"


def test_a_receiver_answering_410_disables_its_subscription(
    served: Served, receiver: Receiver
) -> None:
    receiver.answer(410)
    with served.client("admin") as admin:
        made = admin.post(
            "/v1/webhooks", json={"url": receiver.url, "events": ["evaluation.created"]}
        ).json()
        subscription = made["subscription"]["id"]
        admin.post("/v1/evaluations", content=VOICEBOT.read_bytes(), headers=YAML)
        wait_for(lambda: not admin.get("/v1/webhooks").json()[0]["enabled"])
        enabled = admin.post(f"/v1/webhooks/{subscription}/enable", json={"why": "fixed"})
        assert enabled.status_code == 200 and enabled.json()["enabled"] is True
