"""Standard Webhooks signatures: signing messages, and checking them as a receiver would.

The secret is 'whsec_' followed by the base64 of the key's bytes. A message's
signature is the base64 of HMAC-SHA256, keyed with those bytes, over
'{webhook-id}.{webhook-timestamp}.{body}', sent as 'v1,<signature>'; the
header may hold several, space-separated (a secret being rotated). Standard
library only, so a receiver can copy verify() as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32
"""The specification asks for 24 to 64 random bytes."""
TOLERANCE_SECONDS = 5 * 60
"""How far a message's timestamp may be from the receiver's clock, either way."""
_TIMESTAMP = re.compile(r"^[0-9]{1,15}$")


class SignatureError(ValueError):
    """A webhook message whose headers or signature do not check out."""


def new_secret() -> str:
    """A fresh signing secret: 'whsec_' and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The key bytes a secret stands for ('whsec_' is optional, as receivers' libraries allow)."""
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("the secret is not base64 after 'whsec_'") from None
    if not key:
        raise SignatureError("the secret is empty")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The 'v1,<base64>' signature of one message at one timestamp."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one try at sending a message."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    tolerance: float = TOLERANCE_SECONDS,
    now: float | None = None,
) -> str:
    """Check a received message; return its webhook-id, or raise SignatureError.

    Header names are matched without regard to case. The timestamp must be
    within 'tolerance' seconds of now, in the past or the future, so a message
    captured and sent again later is refused; keep the ids of messages seen
    within that window to drop repeats. Signatures other than 'v1' are skipped;
    the comparison takes the same time whatever bytes differ.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    offered = lowered.get("webhook-signature", "")
    if not (message_id and stamp and offered):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not _TIMESTAMP.match(stamp):
        raise SignatureError("webhook-timestamp is not a whole number of seconds")
    timestamp = int(stamp)
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise SignatureError("the message is too old (outside the replay window)")
    if timestamp > current + tolerance:
        raise SignatureError("the message is from the future (outside the replay window)")
    expected = base64.b64decode(signature(secret, message_id, timestamp, body)[3:])
    for candidate in offered.split(" "):
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            return message_id
    raise SignatureError("no signature matches")
