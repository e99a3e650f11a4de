"""The audit chain's hashing: standard library only, so anyone can re-check it by hand.

An event is the canonical JSON of {"seq", "kind", "at", "data"}: keys
sorted, no spaces, non-ASCII characters kept as UTF-8. Its hash is
sha256(previous event's hash, as 64 lowercase hex characters, followed
directly by the event's canonical JSON), over UTF-8 bytes. The first
event's previous hash is GENESIS.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    """The one JSON spelling of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_json(seq: int, kind: str, at: str, data: dict[str, Any]) -> str:
    return canonical({"seq": seq, "kind": kind, "at": at, "data": data})


def event_hash(previous: str, text: str) -> str:
    return hashlib.sha256((previous + text).encode("utf-8")).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
