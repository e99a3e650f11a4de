"""Journals built line by line in memory, chained as techgate chains them, for the meeting tests."""

from __future__ import annotations

from typing import Any

from techgate.meeting.journal import canonical, line_hash
from techgate.meeting.state import ZERO_HASH

CHAIR = "Dana Chair"
PACK_SHA = "a" * 64
PROPOSAL_SHA = "b" * 64


def indicator(
    key: str, top: int = 4, *, na: bool = False, unchanged: bool = True
) -> dict[str, Any]:
    return {
        "allow_na": na,
        "allow_unchanged": unchanged,
        "id": key,
        "title": key.title(),
        "top": top,
    }


class Builder:
    """Appends events as lines with the right seq and prev; bytes() is the journal's text."""

    def __init__(self, *, names: str = "shown", chair: str = CHAIR) -> None:
        self.lines: list[bytes] = []
        self.chair = chair
        self.event(
            "meeting.opened",
            chair,
            {
                "chair": chair,
                "date": "2026-03-04",
                "names": names,
                "pack_id": "contact-centre",
                "pack_sha256": PACK_SHA,
                "pack_version": "2.0.0",
                "proposal": "p.yaml",
                "proposal_id": "p",
                "proposal_sha256": PROPOSAL_SHA,
                "proposal_title": "A proposal",
            },
        )

    def event(self, kind: str, by: str, data: dict[str, Any]) -> Builder:
        seq = len(self.lines) + 1
        prev = line_hash(self.lines[-1]) if self.lines else ZERO_HASH
        value = {
            "at": f"2026-03-04T{seq // 3600:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}.000000Z",
            "by": by,
            "data": data,
            "kind": kind,
            "prev": prev,
            "seq": seq,
        }
        self.lines.append(canonical(value).encode("utf-8"))
        return self

    def present(self, *names: str, assessor: bool = True) -> Builder:
        for name in names:
            self.event(
                "attendance", self.chair, {"assessor": assessor, "name": name, "present": True}
            )
        return self

    def absent(self, name: str) -> Builder:
        return self.event(
            "attendance", self.chair, {"assessor": True, "name": name, "present": False}
        )

    def round(self, number: int, *indicators: dict[str, Any], timer: int | None = None) -> Builder:
        data = {"indicators": list(indicators), "round": number, "timer_seconds": timer}
        return self.event("round.opened", self.chair, data)

    def answer(self, who: str, number: int, key: str, answer: int | str, note: str = "") -> Builder:
        data = {"answer": answer, "indicator": key, "note": note, "round": number}
        return self.event("answer.given", who, data)

    def reveal(self, number: int, by: str | None = None) -> Builder:
        return self.event("round.revealed", by or self.chair, {"round": number})

    def bytes(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)
