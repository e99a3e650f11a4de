"""What the register says of webhooks: subscriptions, their changes, and delivery attempts.

Records built by the register from rows it wrote itself (Record.trusted); the
HTTP service serves the same models.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from techgate.model._base import Record
from techgate.vocabulary import WebhookEvent


class DeliveryOutcome(StrEnum):
    """Where one try at delivering a message ended."""

    SENDING = "sending"
    """Claimed by a deliverer and under way; if no other row follows by next_attempt_at (the
    deliverer died), the message is due again."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    FAILED = "failed"
    """Anything else (timeout, refused connection, 3xx, 4xx, 5xx); tried again at
    next_attempt_at."""
    GAVE_UP = "gave-up"
    """Failed on the last try the schedule allows; never tried again."""
    DISABLED = "disabled"
    """The receiver answered 410 Gone: its subscription was disabled."""


class Subscription(Record):
    """A receiver of webhook events, and whether it is sent anything now."""

    id: int
    """The subscription's number in the register."""
    url: str
    """Where messages are POSTed."""
    events: tuple[WebhookEvent, ...]
    """The event types it receives, sorted."""
    enabled: bool
    """Whether new events are queued for it and queued messages are delivered."""
    created_by: str
    """Who subscribed it."""
    created_at: dt.datetime
    """When it was subscribed (UTC)."""
    changed_why: str | None
    """Why it was last disabled or enabled; null if it never was."""
    changed_by: str | None
    """Who last disabled or enabled it ('receiver' when it answered 410 Gone)."""
    changed_at: dt.datetime | None
    """When it was last disabled or enabled (UTC)."""


class NewSubscription(Record):
    """A subscription just made, with its signing secret: the only time the secret is shown."""

    subscription: Subscription
    """The subscription."""
    secret: str
    """The signing secret, 'whsec_' and base64 of 32 random bytes. Give it to the receiver to
    check signatures with; it cannot be shown again."""


class DeliveryAttempt(Record):
    """One try at delivering one message to one subscriber."""

    id: int
    """The attempt row's number."""
    outbox_id: int
    """The message's number in the outbox."""
    message_id: str
    """The webhook-id header: the same on every try of one message."""
    subscription_id: int
    """Whom it was for."""
    event_type: WebhookEvent
    """What the message reports."""
    attempt: int
    """1 for the first try, 2 for the second..."""
    outcome: DeliveryOutcome
    """sending, delivered, failed, gave-up or disabled."""
    status_code: int | None
    """The receiver's HTTP status, when it answered."""
    error: str | None
    """What went wrong, when something did."""
    attempted_at: dt.datetime
    """When the try started (UTC)."""
    next_attempt_at: dt.datetime | None
    """When a failed message is tried again (or a claim under way expires); null otherwise."""
