"""The decision service under load, on loopback: submissions and PDF downloads, measured.

    python bench/bench_service.py [--backend sqlite|postgresql|both] [--clients 8]
        [--proposals 2000] [--seconds 60] [--pdfs 20] [--workers 1]

For each backend it starts a fresh database and 'techgate serve' in a process
of its own (as an operator runs it), then:

1. paced: --clients threads submit --proposals distinct proposals spread over
   --seconds (the issue's load: 2,000 over 60 s), each with an
   Idempotency-Key; one in twenty is sent a second time with the same key, as
   a client retrying after a lost answer would;
2. flat out: the same clients submit as fast as the server answers, for
   the capacity in submissions per second;
3. PDF downloads of stored records, two clients at a time;

and then counts what the register holds: every acknowledged submission once,
nothing else (no record lost or duplicated), and no 5xx answer. It prints
p50/p99 latency per phase, submissions per second, and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from serving import PostgreSQL, Server, create_token, techgate  # noqa: E402

EXAMPLES = [
    "callback-queue",
    "chatbot-no-human",
    "crm-consolidation",
    "ivr-speech-recognition",
    "sms-reminders-unchanged",
]


def proposals(count: int, tag: str) -> list[tuple[str, bytes]]:
    """count distinct proposals (id, YAML body): the examples under new ids."""
    bases = [(n, (ROOT / "examples" / f"{n}.yaml").read_text("utf-8")) for n in EXAMPLES]
    made = []
    for number in range(count):
        name, text = bases[number % len(bases)]
        new = f"{tag}-{number:05d}"
        made.append((new, text.replace(f"id: {name}", f"id: {new}", 1).encode("utf-8")))
    return made


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    acknowledged: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int, proposal_id: str | None, evaluation: int | None):
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if proposal_id is not None and evaluation is not None:
                previous = self.acknowledged.setdefault(proposal_id, evaluation)
                if previous != evaluation:
                    self.errors.append(f"{proposal_id}: answered {previous} then {evaluation}")


def submit_all(
    server: Server, token: str, bodies: list[tuple[str, bytes]], clients: int, seconds: float | None
) -> tuple[Tally, float]:
    """Submit every body; paced evenly over 'seconds', or flat out when it is None."""
    work: queue.Queue[tuple[int, tuple[str, bytes]]] = queue.Queue()
    for number, body in enumerate(bodies):
        work.put((number, body))
    tally = Tally()
    interval = seconds / len(bodies) if seconds else 0.0
    start = time.perf_counter()

    def client() -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as http:
            while True:
                try:
                    number, body = work.get_nowait()
                except queue.Empty:
                    return
                due = start + number * interval
                if (wait := due - time.perf_counter()) > 0:
                    time.sleep(wait)
                key = str(uuid.uuid4())
                for _ in range(2 if number % 20 == 7 else 1):
                    began = time.perf_counter()
                    answer = http.post(
                        "/v1/evaluations",
                        content=body[1],
                        headers={"Idempotency-Key": key, "Content-Type": "application/yaml"},
                    )
                    spent = time.perf_counter() - began
                    evaluation = None
                    if answer.status_code in (200, 201):
                        evaluation = answer.json()["evaluation"]["id"]
                    tally.add(spent, answer.status_code, body[0], evaluation)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - start


def download_pdfs(server: Server, token: str, ids: list[int], clients: int = 2) -> Tally:
    tally = Tally()
    work: queue.Queue[int] = queue.Queue()
    for number in ids:
        work.put(number)

    def client() -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as http:
            while True:
                try:
                    number = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                answer = http.get(f"/v1/evaluations/{number}/record.pdf")
                spent = time.perf_counter() - began
                ok = answer.status_code == 200 and answer.content.startswith(b"%PDF")
                tally.add(spent, answer.status_code if ok else -answer.status_code, None, None)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def stored_ids(server: Server, token: str) -> list[str]:
    """Every proposal id the register lists, page by page."""
    found: list[str] = []
    after = 0
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        while True:
            page = http.get("/v1/evaluations", params={"limit": 500, "after": after}).json()
            found.extend(item["proposal_id"] for item in page["items"])
            if page["next_after"] is None:
                return found
            after = page["next_after"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def line(name: str, tally: Tally, elapsed: float | None = None) -> str:
    ms = [v * 1000 for v in tally.latencies]
    rate = f", {len(ms) / elapsed:,.0f} requests/s" if elapsed else ""
    fives = sum(n for status, n in tally.statuses.items() if abs(status) >= 500)
    return (
        f"  {name}: {len(ms)} requests, p50 {statistics.median(ms):.1f} ms, "
        f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms{rate}; "
        f"statuses {dict(sorted(tally.statuses.items()))}; 5xx {fives}"
    )


def run(backend: str, options: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="techgate-bench-"))
    postgres = None
    if backend == "postgresql":
        postgres = PostgreSQL().start()
        postgres.create_database()
        db = postgres.url
    else:
        db = f"sqlite:///{folder / 'techgate.db'}"
    submitter = create_token(db, "bench", "submitter")
    reader = create_token(db, "bench-reader", "reader")
    server = Server(db).start("--workers", str(options.workers))
    try:
        print(
            f"{backend}: {db.split('@')[-1]}, {options.workers} server process(es), "
            f"load before {os.getloadavg()[0]:.2f}"
        )
        paced, paced_time = submit_all(
            server, submitter, proposals(options.proposals, "paced"), options.clients,
            options.seconds,
        )  # fmt: skip
        print(line(f"paced, {options.proposals} over {options.seconds:.0f} s", paced, paced_time))
        flat, flat_time = submit_all(
            server, submitter, proposals(options.proposals, "flat"), options.clients, None
        )
        print(line("flat out", flat, flat_time))
        stored = len(flat.acknowledged) / flat_time
        print(f"  flat out: {stored:,.0f} submissions stored per second")
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {reader}"}
        ) as http:
            first = http.get("/v1/evaluations", params={"limit": options.pdfs}).json()
        pdfs = download_pdfs(server, reader, [item["id"] for item in first["items"]])
        print(line(f"PDF downloads, {options.pdfs} records, 2 clients", pdfs))
        listed = stored_ids(server, reader)
        expected = {**paced.acknowledged, **flat.acknowledged}
        lost = set(expected) - set(listed)
        duplicated = len(listed) - len(set(listed))
        unexpected = set(listed) - set(expected)
        print(
            f"  register: {len(listed)} evaluations for {len(expected)} acknowledged; "
            f"lost {len(lost)}, duplicated {duplicated}, unexpected {len(unexpected)}, "
            f"answer mismatches {len(paced.errors) + len(flat.errors)}"
        )
        verified = techgate("register", "verify", "--db", db, check=False)
        print(f"  verify: exit {verified.returncode}, {verified.stdout.strip()}")
        print(f"  load after {os.getloadavg()[0]:.2f}")
    finally:
        server.stop()
        if postgres is not None:
            postgres.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pdfs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="techgate serve --workers")
    options = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for backend in ("sqlite", "postgresql") if options.backend == "both" else (options.backend,):
        run(backend, options)


if __name__ == "__main__":
    main()
