"""Waivers in the register: granted, revoked and listed, each write with its audit event.

A waiver is granted for one proposal id and one gate of the pack that judged
that proposal last, by an approver who neither asked for it nor submitted
the evaluation it answers. Nothing is changed in place: a revocation is a
row of its own (at most one per waiver), and whether a waiver is in force is
worked out by model.waiver.applies, the one expiry check.

Times are stored as the register stores every time (UTC text, microseconds);
a waiver's expiry date D is kept as the last moment it applies,
'DT23:59:59.999999Z', so that the text sorts with every other time and its
first ten characters are the date.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, insert, select

from techgate.errors import single_problem
from techgate.model.criteria import DEFAULT_WAIVER_DAYS
from techgate.model.waiver import (
    MAX_WAIVER_TEXT,
    Waiver,
    WaiverList,
    WaiverRequest,
    WaiverRevocation,
    applies,
    latest_expiry,
    utc,
)
from techgate.register.database import translated, writing
from techgate.register.store import AppendEvent, _name, _utf8, parse_stamp, stamp
from techgate.register.tables import (
    AuditEventRow,
    EvaluationRow,
    PackRow,
    WaiverRevocationRow,
    WaiverRow,
)
from techgate.vocabulary import LARGEST_ID

# A select of waivers with their revocation's columns (none when not revoked).
_Query = Select[WaiverRow, str, str | None, str]

WHERE = "<waiver>"
"""What problems with a waiver name in place of a file."""


def expires_stamp(expires: dt.date) -> str:
    """The last moment a waiver expiring on this date applies, as the register writes times."""
    return f"{expires.isoformat()}T23:59:59.999999Z"


def grant(
    engine: Engine,
    url: str,
    now: dt.datetime,
    append_event: AppendEvent,
    request: WaiverRequest,
    by: str,
    max_days: int | None,
) -> Waiver:
    """Store a waiver after every check; the write and its audit event in one transaction."""
    values = _checked_text(request, by)
    today = utc(now).date()
    if request.expires < today:
        raise single_problem(
            WHERE,
            f"{request.expires.isoformat()} is in the past (today is {today.isoformat()}, UTC)",
            "a waiver expires at the end of a day from today on",
            field="expires",
        )
    with translated(url), writing(engine) as connection:
        latest = connection.execute(
            select(EvaluationRow)
            .where(EvaluationRow.proposal_id == request.proposal_id)
            .order_by(EvaluationRow.id.desc())
            .limit(1)
        ).one_or_none()
        if latest is None:
            raise single_problem(
                WHERE,
                f"the register has never evaluated proposal {request.proposal_id!r}",
                "submit it first: a waiver answers a gate an evaluation found failed",
                field="proposal_id",
            )
        if latest.submitted_by is not None and _same_person(latest.submitted_by, values["by"]):
            raise single_problem(
                WHERE,
                f"{values['by']!r} submitted evaluation {latest.id} of this proposal and "
                "cannot also waive its gates",
                "another approver must grant it",
                field="by",
            )
        gates, pack_days = _pack_rules(connection, latest.pack_sha256)
        if request.gate_id not in gates:
            shown = ", ".join(gates[:20]) + (", ..." if len(gates) > 20 else "")
            raise single_problem(
                WHERE,
                f"{request.gate_id!r} is not a gate of pack {latest.pack_id} "
                f"{latest.pack_version}, which judged evaluation {latest.id}",
                f"its gates: {shown}",
                field="gate_id",
            )
        limits = [pack_days] + ([max_days] if max_days is not None else [])
        longest = min(limits)
        last = latest_expiry(today, longest)
        if request.expires > last:
            who = "this register" if longest != pack_days else f"pack {latest.pack_id}"
            raise single_problem(
                WHERE,
                f"{request.expires.isoformat()} is more than {longest} days away; "
                f"{who} allows waivers until {last.isoformat()} at the latest",
                "ask again before it expires rather than for longer",
                field="expires",
            )
        row: dict[str, Any] = {
            "proposal_id": request.proposal_id,
            "gate_id": request.gate_id,
            "owner": values["owner"],
            "reason": values["reason"],
            "ticket": values["ticket"],
            "condition": values["condition"],
            "requested_by": values["requested_by"],
            "granted_by": values["by"],
            "expires_at": expires_stamp(request.expires),
            "created_at": stamp(now),
        }
        waiver_id = connection.execute(
            insert(WaiverRow).values(row).returning(WaiverRow.id)
        ).scalar_one()
        append_event(connection, "waiver.created", row["created_at"], waiver_event(waiver_id, row))
        granted = _waiver(_rows(connection, select_waivers().where(WaiverRow.id == waiver_id))[0])
        _notify(connection, "waiver.created", row["created_at"], waiver_message(granted))
        return granted


EXPIRED = "waiver.expired"
"""The audit event (and webhook event) of a waiver found expired by a sweep."""
_BEFORE_ANY = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def announce_expired(
    engine: Engine, url: str, now: dt.datetime, append_event: AppendEvent
) -> tuple[Waiver, ...]:
    """Announce every waiver that expired since the last sweep: one audit event each, and a
    'waiver.expired' message to its subscribers, in one transaction.

    The sweep resumes where the last one that found anything stopped (the
    'until' its events carry), so a waiver is announced once however often
    sweeps run, and a sweep that finds nothing writes nothing.
    """
    end = stamp(now)
    with translated(url), writing(engine) as connection:
        last = connection.scalar(
            select(AuditEventRow.event_json)
            .where(AuditEventRow.kind == EXPIRED)
            .order_by(AuditEventRow.seq.desc())
            .limit(1)
        )
        start = json.loads(last)["data"]["until"] if last else stamp(_BEFORE_ANY)
        if start >= end:
            return ()
        query = (
            select_waivers()
            .where(WaiverRow.expires_at >= start)
            .where(WaiverRow.expires_at < end)
            .where(
                (WaiverRevocationRow.revoked_at.is_(None))
                | (WaiverRevocationRow.revoked_at > WaiverRow.expires_at)
            )
            .order_by(WaiverRow.expires_at, WaiverRow.id)
        )
        expired = tuple(_waiver(row) for row in _rows(connection, query))
        for waiver in expired:
            data = {**waiver_message(waiver), "until": end}
            append_event(connection, EXPIRED, end, data)
            _notify(connection, EXPIRED, end, waiver_message(waiver))
        return expired


def waiver_message(waiver: Waiver) -> dict[str, Any]:
    """What a 'waiver.created' or 'waiver.expired' webhook says of the waiver."""
    return {
        "waiver_id": waiver.id,
        "proposal_id": waiver.proposal_id,
        "gate_id": waiver.gate_id,
        "owner": waiver.owner,
        "ticket": waiver.ticket,
        "expires": waiver.expires.isoformat(),
        "granted_by": waiver.granted_by,
        "requested_by": waiver.requested_by,
    }


def _notify(connection: Connection, event_type: str, at: str, data: dict[str, Any]) -> None:
    # Imported here: the webhooks module builds on the store, as this one does.
    from techgate.register.webhooks import enqueue

    enqueue(connection, event_type, data, at)


def revoke(
    engine: Engine,
    url: str,
    now: dt.datetime,
    append_event: AppendEvent,
    waiver_id: int,
    by: str,
    reason: str | None,
) -> Waiver:
    """Withdraw a waiver in force; the revocation and its audit event in one transaction."""
    by = _name(by, "by")
    reason = _optional_text(reason, "reason")
    if not 1 <= waiver_id <= LARGEST_ID:
        raise _no_waiver(waiver_id)
    with translated(url), writing(engine) as connection:
        found = _rows(connection, select_waivers().where(WaiverRow.id == waiver_id))
        if not found:
            raise _no_waiver(waiver_id)
        waiver = _waiver(found[0])
        if waiver.revocation is not None:
            raise single_problem(
                WHERE,
                f"waiver {waiver_id} was revoked already, by {waiver.revocation.by} "
                f"at {stamp(waiver.revocation.at)}",
                field="waiver_id",
            )
        if utc(now).date() > waiver.expires:
            raise single_problem(
                WHERE,
                f"waiver {waiver_id} expired at the end of {waiver.expires.isoformat()}; "
                "there is nothing left to revoke",
                field="waiver_id",
            )
        values: dict[str, Any] = {
            "waiver_id": waiver_id,
            "revoked_by": by,
            "reason": reason,
            "revoked_at": stamp(now),
        }
        revocation_id = connection.execute(
            insert(WaiverRevocationRow).values(values).returning(WaiverRevocationRow.id)
        ).scalar_one()
        append_event(
            connection,
            "waiver.revoked",
            values["revoked_at"],
            revocation_event(revocation_id, values),
        )
        return _waiver(_rows(connection, select_waivers().where(WaiverRow.id == waiver_id))[0])


def listed(
    engine: Engine,
    url: str,
    at: dt.datetime,
    proposal_id: str | None,
    include_inactive: bool,
) -> WaiverList:
    """Waivers, oldest first: those in force at 'at', or every one."""
    _utf8(proposal_id, "proposal_id")
    values = {"proposal_id": proposal_id, "now": stamp(at)}
    with translated(url), engine.connect() as connection:
        rows = connection.execute(_listed_query(proposal_id is not None, include_inactive), values)
        waivers = [_waiver(row) for row in rows.all()]
    if not include_inactive:
        waivers = [w for w in waivers if applies(w, at)]
    return WaiverList.trusted(waivers=tuple(waivers))


def expired_between(engine: Engine, url: str, start: dt.datetime, end: dt.datetime) -> WaiverList:
    """Waivers whose expiry fell in (start, end]: they applied up to a moment in that span and
    not after it. A waiver revoked before it expired did not expire and is left out.

    The expiry moment is midnight UTC after the last day; consecutive spans
    (a, b], (b, c] name each waiver once, for a sweep announcing expiries.
    """
    # The last moment that applies is a microsecond before the expiry moment, so
    # start < expiry <= end is start <= last < end in the register's microseconds.
    low, high = stamp(start), stamp(end)
    query = (
        select_waivers()
        .where(WaiverRow.expires_at >= low)
        .where(WaiverRow.expires_at < high)
        .where(
            (WaiverRevocationRow.revoked_at.is_(None))
            | (WaiverRevocationRow.revoked_at > WaiverRow.expires_at)
        )
    )
    with translated(url), engine.connect() as connection:
        waivers = [_waiver(row) for row in _rows(connection, query)]
    return WaiverList.trusted(waivers=tuple(waivers))


@functools.cache
def _listed_query(one_proposal: bool, include_inactive: bool) -> Any:
    # Built once per shape, with bound parameters: the service asks it for every
    # submission, and building the statement cost several times what running it does.
    query = select_waivers()
    if one_proposal:
        query = query.where(WaiverRow.proposal_id == bindparam("proposal_id"))
    if not include_inactive:
        # The index narrows to those not yet expired; applies() decides.
        query = query.where(WaiverRow.expires_at >= bindparam("now"))
    return query.order_by(WaiverRow.id)


def select_waivers() -> _Query:
    query: _Query = select(
        WaiverRow,
        WaiverRevocationRow.revoked_by,
        WaiverRevocationRow.reason.label("revocation_reason"),
        WaiverRevocationRow.revoked_at,
    ).outerjoin(WaiverRevocationRow, WaiverRevocationRow.waiver_id == WaiverRow.id)
    return query


def _rows(connection: Connection, query: _Query) -> Sequence[Any]:
    return connection.execute(query.order_by(WaiverRow.id)).all()


def _waiver(row: Any) -> Waiver:
    revocation = None
    if row.revoked_at is not None:
        revocation = WaiverRevocation.trusted(
            by=row.revoked_by, reason=row.revocation_reason, at=parse_stamp(row.revoked_at)
        )
    return Waiver.trusted(
        id=row.id,
        proposal_id=row.proposal_id,
        gate_id=row.gate_id,
        owner=row.owner,
        reason=row.reason,
        ticket=row.ticket,
        expires=dt.date.fromisoformat(row.expires_at[:10]),
        condition=row.condition,
        requested_by=row.requested_by,
        granted_by=row.granted_by,
        created_at=parse_stamp(row.created_at),
        revocation=revocation,
    )


def waiver_event(waiver_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of a granted waiver says of its row (verify compares)."""
    return {
        "waiver_id": waiver_id,
        **{
            key: values[key]
            for key in (
                "proposal_id",
                "gate_id",
                "owner",
                "reason",
                "ticket",
                "condition",
                "requested_by",
                "granted_by",
                "expires_at",
                "created_at",
            )
        },
    }


def revocation_event(revocation_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of a revocation says of its row (verify compares)."""
    return {
        "revocation_id": revocation_id,
        "waiver_id": values["waiver_id"],
        "revoked_by": values["revoked_by"],
        "reason": values["reason"],
        "revoked_at": values["revoked_at"],
    }


def _pack_rules(connection: Connection, pack_sha256: str) -> tuple[list[str], int]:
    """The gate ids of a stored pack, and how long it lets a waiver run.

    Read from the pack's canonical JSON as it was stored (the register never
    loads or evaluates); max_waiver_days is absent there at its default.
    """
    text = connection.scalar(select(PackRow.canonical_json).where(PackRow.sha256 == pack_sha256))
    pack = json.loads(text) if text else {}
    gates = [str(g.get("id")) for g in pack.get("gates", ()) if isinstance(g, dict)]
    days = (pack.get("policy") or {}).get("max_waiver_days", DEFAULT_WAIVER_DAYS)
    return gates, int(days)


def _checked_text(request: WaiverRequest, by: str) -> dict[str, Any]:
    """The request's free text, each field checked as the register checks names and reasons."""
    values: dict[str, Any] = {
        "by": _name(by, "by"),
        "requested_by": _name(request.requested_by, "requested_by"),
        "owner": _name(request.owner, "owner"),
        "ticket": _name(request.ticket, "ticket"),
        "reason": _optional_text(request.reason, "reason"),
        "condition": _optional_text(request.condition, "condition"),
    }
    if values["reason"] is None:
        raise single_problem(
            WHERE,
            "says nothing a reader could see",
            "say why the failure is accepted",
            field="reason",
        )
    if request.condition is not None and values["condition"] is None:
        raise single_problem(
            WHERE,
            "says nothing a reader could see",
            "leave it out, or say what must hold",
            field="condition",
        )
    if _same_person(values["by"], values["requested_by"]):
        raise single_problem(
            WHERE,
            f"{values['by']!r} asked for this waiver and cannot also grant it",
            "another approver must grant it",
            field="by",
        )
    return values


def _optional_text(value: str | None, field: str) -> str | None:
    """Free text over lines: no control character but line breaks and tabs; None when it
    says nothing visible (only spaces, joiners, marks or bidi controls)."""
    if value is None:
        return None
    _utf8(value, field)
    value = value.strip()
    if len(value) > MAX_WAIVER_TEXT:
        raise single_problem(WHERE, f"is longer than {MAX_WAIVER_TEXT:,} characters", field=field)
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise single_problem(
            WHERE,
            "holds a control character (only lines and tabs may break the text)",
            field=field,
        )
    # A bidi override could make the text read other than it is stored.
    if any(c in _BIDI_CONTROLS for c in value):
        raise single_problem(
            WHERE, "holds a bidi control character, which can disguise the text", field=field
        )
    visible = any(unicodedata.category(c)[0] in "LNPS" for c in value)
    return value if visible else None


_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _same_person(first: str, second: str) -> bool:
    """Names compared as people would read them: case, width and spacing do not make
    another person."""

    def key(name: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", name).casefold().split())

    return key(first) == key(second)


def _no_waiver(waiver_id: int) -> Exception:
    return single_problem(
        "<register>",
        f"has no waiver {waiver_id}",
        "see 'techgate register waivers --all'",
        field="waiver_id",
    )
