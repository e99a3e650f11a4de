"""What webhooks cost: a submission's store with subscribers, a delivery pass, an idle pass.

    .venv/bin/python bench/bench_webhooks.py [--db URL] [--count 200]

Without --db, a fresh SQLite file in a temporary folder. Receivers are
loopback servers answering 200 at once, so delivery figures are techgate's
share (claim, sign, POST, record), not a network's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import EXAMPLES, read_yaml
from receiver import Receiver

from techgate import api
from techgate.render.json import render_json
from techgate.webhooks.settings import DeliverySettings


def prepared(count: int, offset: int) -> list[Any]:
    base = read_yaml(EXAMPLES / "callback-queue.yaml")
    out = []
    for n in range(count):
        loaded = api.load({**base, "id": f"bench-{offset + n}"})
        record = api.evaluate(loaded)
        out.append((loaded.proposal, loaded.pack, record, render_json(record)))
    return out


def store_times(register: Any, items: list[Any]) -> list[float]:
    times = []
    for proposal, pack, record, text in items:
        start = time.perf_counter()
        register.submit(proposal, pack, record, text)
        times.append(time.perf_counter() - start)
    return times


def describe(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label}: p50 {statistics.median(times) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"{len(times) / sum(times):.0f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='bench-webhooks-')}/techgate.db"
    receivers = [Receiver() for _ in range(5)]
    try:
        with api.open_register(url) as register:
            describe("store, no subscriber", store_times(register, prepared(args.count, 0)))
            for receiver in receivers:
                api.subscribe(
                    register, receiver.url, ["evaluation.created"], by="bench", allow_private=True
                )
            describe(
                "store, 5 subscribers (5 messages queued)",
                store_times(register, prepared(args.count, args.count)),
            )
            for workers in (1, 4):
                settings = DeliverySettings(allow_private_targets=True, workers=workers, batch=500)
                start = time.perf_counter()
                attempts = api.deliver_due(register, settings)
                elapsed = time.perf_counter() - start
                print(
                    f"deliver, {workers} worker(s): {len(attempts)} messages in {elapsed:.2f} s, "
                    f"{len(attempts) / elapsed:.0f}/s"
                )
            settings = DeliverySettings(allow_private_targets=True)
            idle = []
            for _ in range(10):
                start = time.perf_counter()
                assert api.deliver_due(register, settings) == ()
                idle.append(time.perf_counter() - start)
            delivered = sum(len(r.received) for r in receivers)
            print(
                f"idle pass over {delivered} delivered messages: "
                f"median {statistics.median(idle) * 1000:.1f} ms"
            )
            start = time.perf_counter()
            result = register.verify()
            print(f"verify, {result.events} events: {time.perf_counter() - start:.2f} s")
    finally:
        for receiver in receivers:
            receiver.close()


if __name__ == "__main__":
    main()
