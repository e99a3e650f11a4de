"""Webhooks in the register: subscriptions, the outbox, and the record of every delivery try.

All four tables are append-only, so state is the latest row:

- a subscription is enabled unless its latest subscription_changes row says
  otherwise;
- a message's state is its delivery_attempts row with the highest attempt
  number (the latest of those rows when one try has two: the claim, then
  its result). Ordering by attempt rather than by row keeps a result that
  arrives late (its claim had expired and another deliverer went on) from
  overruling the try that followed it.

enqueue() is called inside the transaction of the change it reports, so a
change is never stored without its messages nor a message queued for a change
rolled back; it writes nothing else and waits on nothing. Deliverers claim a
due message under the write lock by appending a 'sending' row whose
next_attempt_at is the claim's expiry: a second deliverer sees the claim and
passes the message by, and if the first one dies the claim expires and the
message is due again (at least once: receivers drop repeats by webhook-id).
Subscribing, disabling and enabling each append an audit event (the secret
never appears in one, only its sha256); queued messages and delivery tries do
not: they are the outbox's own log, written at every try.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, exists, func, insert, or_, select
from sqlalchemy.orm import aliased

from techgate.errors import InputProblem, NotFoundError, single_problem
from techgate.model.webhooks import DeliveryAttempt, DeliveryOutcome, NewSubscription, Subscription
from techgate.register import chain
from techgate.register.database import translated, writing
from techgate.register.store import Clock, Register, _name, _utf8, parse_stamp, stamp
from techgate.register.tables import (
    DeliveryAttemptRow,
    OutboxRow,
    SubscriptionChangeRow,
    WebhookSubscriptionRow,
)
from techgate.vocabulary import LARGEST_ID, WebhookEvent
from techgate.webhooks.signing import new_secret
from techgate.webhooks.targets import check_url

GONE = "receiver answered 410 Gone"
"""Why a subscription is disabled when its receiver says it wants nothing more."""
RECEIVER = "receiver"
"""Who disabled it then."""
MAX_WHY = 1_000


@dataclass(frozen=True)
class Claim:
    """A message a deliverer has claimed: what to send, where, and which try this is."""

    outbox_id: int
    message_id: str
    subscription_id: int
    url: str
    secret: str
    event_type: WebhookEvent
    body: bytes
    attempt: int
    attempted_at: dt.datetime
    claim_row: int


def message_body(event_type: WebhookEvent, data: Mapping[str, Any], at: str) -> str:
    """The JSON body every try of a message sends: {"data", "timestamp", "type"}.

    Keys sorted, no spaces, ASCII only (other characters as \\u escapes), so the
    signed bytes are the same whoever reads them and however they are stored.
    """
    return json.dumps(
        {"type": event_type.value, "timestamp": at, "data": dict(data)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def enqueue(
    connection: Connection, event_type: WebhookEvent | str, data: Mapping[str, Any], at: str
) -> int:
    """Queue one message per enabled subscriber of event_type; return how many.

    Call it with the connection of the transaction that writes the change
    (under database.writing), after the change's rows: the messages commit or
    roll back with it. 'at' is the change's time, as stored (store.stamp).
    """
    kind = WebhookEvent(event_type)
    body: str | None = None
    queued = 0
    for subscription_id, events, enabled in connection.execute(_subscriptions_query()):
        if not enabled or kind.value not in json.loads(events):
            continue
        body = body or message_body(kind, data, at)
        connection.execute(
            insert(OutboxRow),
            {
                "subscription_id": subscription_id,
                "message_id": _message_id(),
                "event_type": kind.value,
                "payload_json": body,
                "created_at": at,
            },
        )
        queued += 1
    if queued:
        global _queued_here
        with _queued_lock:
            _queued_here += queued
    return queued


_queued_lock = threading.Lock()
_queued_here = 0


def queued_here() -> int:
    """How many messages this process has queued so far (some may have been rolled back).

    The service compares it before and after a submission: a delivery pass is
    woken only when the submission queued something, instead of after every
    one, which under load ran a pass (and its queries) per submission.
    """
    with _queued_lock:
        return _queued_here


def _message_id() -> str:
    import secrets

    # Random rather than numbered: a receiver may hear from several registers, and
    # drops a repeated id as a message it has already had.
    return "msg_" + secrets.token_hex(16)


@functools.cache
def _subscriptions_query() -> Any:
    """Every subscription's id, events and whether it is enabled (its latest change says).

    Built once: every submission asks it, and building the statement cost more
    than running it on an empty table."""
    last = (
        select(
            SubscriptionChangeRow.subscription_id,
            func.max(SubscriptionChangeRow.id).label("last"),
        )
        .group_by(SubscriptionChangeRow.subscription_id)
        .subquery()
    )
    change = aliased(SubscriptionChangeRow)
    return (
        select(
            WebhookSubscriptionRow.id,
            WebhookSubscriptionRow.events,
            func.coalesce(change.enabled, True).label("enabled"),
        )
        .outerjoin(last, last.c.subscription_id == WebhookSubscriptionRow.id)
        .outerjoin(change, change.id == last.c.last)
        .order_by(WebhookSubscriptionRow.id)
    )


def subscription_event(subscription_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit event of a subscription says of its row (verify compares)."""
    return {
        "subscription_id": subscription_id,
        "url": values["url"],
        "events": json.loads(values["events"]),
        "secret_sha256": chain.sha256_text(values["secret"]),
        "created_by": values["created_by"],
        "created_at": values["created_at"],
    }


def change_event(change_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit event of a subscription disabled or enabled says of its row."""
    return {
        "change_id": change_id,
        "subscription_id": values["subscription_id"],
        "enabled": bool(values["enabled"]),
        "why": values["why"],
        "changed_by": values["changed_by"],
        "changed_at": values["changed_at"],
    }


SUBSCRIBED = "webhook.subscribed"
CHANGE_KINDS = {True: "webhook.enabled", False: "webhook.disabled"}


class WebhookStore:
    """The register's webhooks: reached as Register.webhooks."""

    def __init__(self, engine: Engine, url: str, clock: Clock) -> None:
        self._engine = engine
        self._url = url
        self._clock = clock

    def now(self) -> dt.datetime:
        return self._clock()

    # -- subscriptions -------------------------------------------------------------

    def subscribe(
        self, url: str, events: Iterable[WebhookEvent | str], by: str, *, allow_private: bool
    ) -> NewSubscription:
        """Add a receiver of events; the result holds its secret, shown this once."""
        by = _name(by, "by")
        kinds = _events(events)
        check_url(url, allow_private=allow_private)
        secret = new_secret()
        with translated(self._url), writing(self._engine) as connection:
            at = stamp(self._clock())
            values: dict[str, Any] = {
                "url": url,
                "events": json.dumps(sorted(kind.value for kind in kinds)),
                "secret": secret,
                "created_by": by,
                "created_at": at,
            }
            subscription_id = connection.execute(
                insert(WebhookSubscriptionRow).values(values).returning(WebhookSubscriptionRow.id)
            ).scalar_one()
            Register._append_event(
                connection, SUBSCRIBED, at, subscription_event(subscription_id, values)
            )
            subscription = _subscription(connection, subscription_id)
        return NewSubscription.trusted(subscription=subscription, secret=secret)

    def subscriptions(self) -> tuple[Subscription, ...]:
        """Every subscription, oldest first, enabled or not."""
        with translated(self._url), self._engine.connect() as connection:
            ids = connection.scalars(
                select(WebhookSubscriptionRow.id).order_by(WebhookSubscriptionRow.id)
            ).all()
            return tuple(_subscription(connection, i) for i in ids)

    def subscription(self, subscription_id: int) -> Subscription:
        _check_id(subscription_id)
        with translated(self._url), self._engine.connect() as connection:
            return _subscription(connection, subscription_id)

    def change(self, subscription_id: int, enabled: bool, by: str, why: str) -> Subscription:
        """Disable or enable a subscription (a new subscription_changes row and its event)."""
        by = _name(by, "by")
        why = _why(why)
        _check_id(subscription_id)
        with translated(self._url), writing(self._engine) as connection:
            _subscription(connection, subscription_id)  # refuses an unknown id
            _append_change(connection, subscription_id, enabled, why, by, stamp(self._clock()))
            return _subscription(connection, subscription_id)

    # -- delivery --------------------------------------------------------------------

    def claim(
        self,
        *,
        lease: dt.timedelta,
        skip_messages: Iterable[int] = (),
        skip_subscriptions: Iterable[int] = (),
    ) -> Claim | None:
        """Claim the oldest due message (under the write lock), or None when none is due.

        Due: no try yet, or the latest failed (or its claim expired) with
        next_attempt_at reached, and its subscription enabled.
        """
        skipped, passed_by = list(skip_messages), list(skip_subscriptions)
        # Looked for first without the write lock: a delivery pass runs after every change
        # (and every few seconds), and most find nothing due; only a pass that does takes the
        # lock, and looks again under it (another process may have claimed it meanwhile).
        with translated(self._url), self._engine.connect() as connection:
            if connection.execute(_due(stamp(self._clock()), skipped, passed_by)).first() is None:
                return None
        with translated(self._url), writing(self._engine) as connection:
            now = self._clock()
            at = stamp(now)
            query = _due(at, skipped, passed_by)
            row = connection.execute(query).one_or_none()
            if row is None:
                return None
            attempt = (row.last_attempt or 0) + 1
            claim_row = connection.execute(
                insert(DeliveryAttemptRow)
                .values(
                    outbox_id=row.id,
                    attempt=attempt,
                    outcome=DeliveryOutcome.SENDING.value,
                    status_code=None,
                    error=None,
                    attempted_at=at,
                    next_attempt_at=stamp(now + lease),
                )
                .returning(DeliveryAttemptRow.id)
            ).scalar_one()
        return Claim(
            outbox_id=row.id,
            message_id=row.message_id,
            subscription_id=row.subscription_id,
            url=row.url,
            secret=row.secret,
            event_type=WebhookEvent(row.event_type),
            body=row.payload_json.encode("utf-8"),
            attempt=attempt,
            attempted_at=parse_stamp(at),
            claim_row=claim_row,
        )

    def record(
        self,
        claim: Claim,
        outcome: DeliveryOutcome,
        *,
        status_code: int | None,
        error: str | None,
        next_attempt_at: dt.datetime | None,
    ) -> DeliveryAttempt:
        """Append how a claimed try ended; a 410 also disables the subscription."""
        with translated(self._url), writing(self._engine) as connection:
            row_id = connection.execute(
                insert(DeliveryAttemptRow)
                .values(
                    outbox_id=claim.outbox_id,
                    attempt=claim.attempt,
                    outcome=outcome.value,
                    status_code=status_code,
                    error=error,
                    attempted_at=stamp(claim.attempted_at),
                    next_attempt_at=stamp(next_attempt_at) if next_attempt_at else None,
                )
                .returning(DeliveryAttemptRow.id)
            ).scalar_one()
            if outcome is DeliveryOutcome.DISABLED:
                current = _subscription(connection, claim.subscription_id)
                if current.enabled:
                    _append_change(
                        connection,
                        claim.subscription_id,
                        False,
                        GONE,
                        RECEIVER,
                        stamp(self._clock()),
                    )
            return _attempts(connection, DeliveryAttemptRow.id == row_id)[0]

    def attempts(
        self, subscription_id: int | None = None, *, limit: int = 100
    ) -> tuple[DeliveryAttempt, ...]:
        """The latest delivery tries, newest first (a claim shows until its result follows)."""
        if subscription_id is not None:
            _check_id(subscription_id)
        with translated(self._url), self._engine.connect() as connection:
            where = (
                OutboxRow.subscription_id == subscription_id
                if subscription_id is not None
                else None
            )
            return tuple(_attempts(connection, where, limit=limit, newest_first=True))


def _state_query() -> Any:
    """Each message's state row: the highest attempt number, the latest row of that attempt."""
    ranked = select(
        DeliveryAttemptRow.outbox_id,
        DeliveryAttemptRow.attempt,
        DeliveryAttemptRow.outcome,
        DeliveryAttemptRow.next_attempt_at,
        func.row_number()
        .over(
            partition_by=DeliveryAttemptRow.outbox_id,
            order_by=(DeliveryAttemptRow.attempt.desc(), DeliveryAttemptRow.id.desc()),
        )
        .label("rank"),
    ).subquery()
    return select(
        ranked.c.outbox_id, ranked.c.attempt, ranked.c.outcome, ranked.c.next_attempt_at
    ).where(ranked.c.rank == 1)


def _append_change(
    connection: Connection, subscription_id: int, enabled: bool, why: str, by: str, at: str
) -> None:
    values: dict[str, Any] = {
        "subscription_id": subscription_id,
        "enabled": enabled,
        "why": why,
        "changed_by": by,
        "changed_at": at,
    }
    change_id = connection.execute(
        insert(SubscriptionChangeRow).values(values).returning(SubscriptionChangeRow.id)
    ).scalar_one()
    Register._append_event(connection, CHANGE_KINDS[enabled], at, change_event(change_id, values))


def _subscription(connection: Connection, subscription_id: int) -> Subscription:
    row = connection.execute(
        select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.id == subscription_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(
            [
                InputProblem(
                    "<register>",
                    None,
                    None,
                    "subscription_id",
                    f"has no webhook subscription {subscription_id}",
                    "see 'techgate webhook list'",
                )
            ]
        )
    change = connection.execute(
        select(SubscriptionChangeRow)
        .where(SubscriptionChangeRow.subscription_id == subscription_id)
        .order_by(SubscriptionChangeRow.id.desc())
        .limit(1)
    ).one_or_none()
    return Subscription.trusted(
        id=row.id,
        url=row.url,
        events=tuple(WebhookEvent(kind) for kind in json.loads(row.events)),
        enabled=True if change is None else bool(change.enabled),
        created_by=row.created_by,
        created_at=parse_stamp(row.created_at),
        changed_why=None if change is None else change.why,
        changed_by=None if change is None else change.changed_by,
        changed_at=None if change is None else parse_stamp(change.changed_at),
    )


def _attempts(
    connection: Connection, where: Any, *, limit: int = 1, newest_first: bool = False
) -> list[DeliveryAttempt]:
    later = aliased(DeliveryAttemptRow)
    # A claim followed by its result shows as the result alone.
    answered = exists().where(
        later.outbox_id == DeliveryAttemptRow.outbox_id,
        later.attempt == DeliveryAttemptRow.attempt,
        later.id > DeliveryAttemptRow.id,
    )
    query = (
        select(
            DeliveryAttemptRow,
            OutboxRow.message_id,
            OutboxRow.subscription_id,
            OutboxRow.event_type,
        )
        .join(OutboxRow, OutboxRow.id == DeliveryAttemptRow.outbox_id)
        .where(or_(DeliveryAttemptRow.outcome != DeliveryOutcome.SENDING.value, ~answered))
        .order_by(DeliveryAttemptRow.id.desc() if newest_first else DeliveryAttemptRow.id)
        .limit(limit)
    )
    if where is not None:
        query = query.where(where)
    return [
        DeliveryAttempt.trusted(
            id=row.id,
            outbox_id=row.outbox_id,
            message_id=row.message_id,
            subscription_id=row.subscription_id,
            event_type=WebhookEvent(row.event_type),
            attempt=row.attempt,
            outcome=DeliveryOutcome(row.outcome),
            status_code=row.status_code,
            error=row.error,
            attempted_at=parse_stamp(row.attempted_at),
            next_attempt_at=parse_stamp(row.next_attempt_at) if row.next_attempt_at else None,
        )
        for row in connection.execute(query)
    ]


def _events(events: Iterable[WebhookEvent | str]) -> set[WebhookEvent]:
    chosen: set[WebhookEvent] = set()
    for kind in events:
        _utf8(str(kind), "events")
        try:
            chosen.add(WebhookEvent(kind))
        except ValueError:
            known = ", ".join(e.value for e in WebhookEvent)
            raise single_problem(
                "<webhook>",
                f"{str(kind)[:80]!r} is not an event type",
                f"one of {known}",
                field="events",
            ) from None
    if not chosen:
        raise single_problem("<webhook>", "names no event type", field="events")
    return chosen


def _why(value: str) -> str:
    _utf8(value, "why")
    value = value.strip()
    if not value or len(value) > MAX_WHY or not value.isprintable():
        raise single_problem(
            "<webhook>", f"must be one printable line of 1 to {MAX_WHY} characters", field="why"
        )
    return value


def _check_id(subscription_id: int) -> None:
    if not 1 <= subscription_id <= LARGEST_ID:
        raise single_problem(
            "<register>",
            f"has no webhook subscription {subscription_id}",
            "see 'techgate webhook list'",
            field="subscription_id",
        )


def _due(at: str, skipped: list[int], passed_by: list[int]) -> Any:
    """The oldest message due at 'at', with its last try and its subscription."""
    state = _state_query().subquery()
    enabled = _subscriptions_query().subquery()
    query = (
        select(
            OutboxRow,
            state.c.attempt.label("last_attempt"),
            WebhookSubscriptionRow.url,
            WebhookSubscriptionRow.secret,
        )
        .join(enabled, enabled.c.id == OutboxRow.subscription_id)
        .join(
            WebhookSubscriptionRow,
            WebhookSubscriptionRow.id == OutboxRow.subscription_id,
        )
        .outerjoin(state, state.c.outbox_id == OutboxRow.id)
        .where(enabled.c.enabled.is_(True))
        .where(
            or_(
                state.c.outbox_id.is_(None),
                and_(
                    state.c.outcome.in_(
                        (DeliveryOutcome.FAILED.value, DeliveryOutcome.SENDING.value)
                    ),
                    state.c.next_attempt_at <= at,
                ),
            )
        )
        .order_by(OutboxRow.id)
        .limit(1)
    )
    if skipped:
        query = query.where(OutboxRow.id.not_in(skipped))
    if passed_by:
        query = query.where(OutboxRow.subscription_id.not_in(passed_by))
    return query
