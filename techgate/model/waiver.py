"""Waivers: a failed gate accepted for one proposal id, for a while, by an approver.

The request is what someone asks for (validated where it enters: a command
line, an HTTP body); the Waiver is what a register granted, read back from
its rows or from the JSON 'techgate register waivers -f json' writes. One
expiry check, applies(), decides everywhere (the register, evaluate
--waivers, batch, the service) whether a waiver is in force at a moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated

from pydantic import Field, StringConstraints

from techgate.model._base import Frozen, Identifier, Record
from techgate.vocabulary import LARGEST_ID

MAX_WAIVER_NAME = 200
"""Owner, requester, approver and ticket: one printable line of at most this many."""
MAX_WAIVER_TEXT = 10_000
"""Reason and condition: at most this many characters."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_WAIVER_NAME)]
Prose = Annotated[str, StringConstraints(min_length=1, max_length=MAX_WAIVER_TEXT)]
WaiverId = Annotated[int, Field(ge=1, le=LARGEST_ID)]


class WaiverRequest(Frozen):
    """What someone asks to be waived: one failed gate of one proposal id, until a date."""

    proposal_id: Identifier
    """The proposal id the waiver is for (every later version of it too, until it expires)."""
    gate_id: Identifier
    """The gate whose failure is accepted: a gate of the pack that judged the proposal last."""
    owner: Name
    """Who answers for the risk while the gate stays failed."""
    reason: Prose
    """Why the failure is accepted."""
    ticket: Name
    """The change or risk ticket that tracks it (e.g. CHG-1234)."""
    expires: dt.date
    """The last day it applies (through the end of that day, UTC); at most the pack's
    max_waiver_days (default 365) after the day it is granted."""
    condition: Prose | None = None
    """What must hold while it applies, if anything; reports show it as a condition."""
    requested_by: Name
    """Who asked for it; they cannot grant it."""


class WaiverRevocation(Record):
    """A waiver withdrawn before it expired."""

    by: str
    """Who withdrew it."""
    reason: str | None
    """Why, when said."""
    at: dt.datetime
    """When (UTC); the waiver no longer applies from this moment."""


class Waiver(Record):
    """A waiver as the register granted it, and its revocation if any."""

    id: WaiverId
    """The waiver's number in the register."""
    proposal_id: Identifier
    """The proposal id it is for."""
    gate_id: Identifier
    """The gate whose failure it accepts."""
    owner: Name
    """Who answers for the risk while the gate stays failed."""
    reason: Prose
    """Why the failure is accepted."""
    ticket: Name
    """The change or risk ticket that tracks it."""
    expires: dt.date
    """The last day it applies (through the end of that day, UTC)."""
    condition: Prose | None
    """What must hold while it applies, if anything."""
    requested_by: Name
    """Who asked for it."""
    granted_by: Name
    """The approver who granted it."""
    created_at: dt.datetime
    """When it was granted (UTC); it applies from this moment."""
    revocation: WaiverRevocation | None
    """Its withdrawal, if it was withdrawn; null otherwise."""


class WaiverList(Record):
    """Waivers, as 'techgate register waivers -f json' writes them and 'evaluate --waivers'
    reads them."""

    waivers: tuple[Waiver, ...]
    """Oldest first."""


def utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; a time without a zone is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def applies(waiver: Waiver, at: dt.datetime) -> bool:
    """Whether the waiver is in force at this moment: the one expiry check.

    It applies from the moment it was granted through the end of its expiry
    date in UTC, and never after; a revoked waiver never applies from its
    revocation on.
    """
    moment = utc(at)
    if moment < utc(waiver.created_at):
        return False
    revocation = waiver.revocation
    if revocation is not None and moment >= utc(revocation.at):
        return False
    return moment.date() <= waiver.expires


def in_force(
    waivers: Iterable[Waiver], at: dt.datetime, proposal_id: str | None = None
) -> tuple[Waiver, ...]:
    """The waivers that apply at this moment (of one proposal id, when given)."""
    return tuple(
        w
        for w in waivers
        if (proposal_id is None or w.proposal_id == proposal_id) and applies(w, at)
    )


def latest_expiry(granted: dt.date, max_days: int) -> dt.date:
    """The last expiry date a waiver granted on this day may have."""
    return granted + dt.timedelta(days=max_days)
