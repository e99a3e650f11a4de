"""API tokens: created with a role, listed without their secrets, revoked, checked per request.

A secret is 'tg_' and the URL-safe base64 of 32 random bytes, handed out once.
Only its sha256 is kept (with a short prefix to tell tokens apart), and a
request's token is found by that digest, an indexed lookup: 256 random bits
leave nothing to guess from, so a slow password hash would buy nothing. A
revocation is a new row beside the token (the tables are append-only); the
token's latest state is the token and its revocation, if any.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, bindparam, insert, select

from techgate.errors import NotFoundError, single_problem
from techgate.model.register import NewToken, Principal, Role, TokenInfo
from techgate.register.database import translated, writing
from techgate.register.tables import ApiTokenRow, TokenRevocationRow
from techgate.vocabulary import LARGEST_ID

if TYPE_CHECKING:
    from collections.abc import Callable

SECRET_PREFIX = "tg_"  # noqa: S105 (a marker, not a secret)
SHOWN_PREFIX = 10
"""Characters of the secret kept for display: 'tg_' and 7 of the random part."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class Tokens:
    """The token half of the Register (mixed into it)."""

    _engine: Engine
    url: str
    _clock: Callable[[], dt.datetime]

    @staticmethod
    def _append_event(connection: Connection, kind: str, at: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def create_token(
        self, name: str, role: Role, by: str, expires: dt.datetime | None = None
    ) -> NewToken:
        """A new token; its secret is in the answer and nowhere else."""
        from techgate.register.store import checked_name, stamp

        name, by = checked_name(name, "name"), checked_name(by, "by")
        at = self._clock()
        if expires is not None and _utc(expires) <= at:
            raise single_problem(
                "<token>", "expires before it is created", "give a later date", field="expires"
            )
        secret = new_secret()
        values: dict[str, Any] = {
            "name": name,
            "role": role.value,
            "secret_sha256": digest(secret),
            "prefix": secret[:SHOWN_PREFIX],
            "created_by": by,
            "created_at": stamp(at),
            "expires_at": None if expires is None else stamp(expires),
        }
        with translated(self.url), writing(self._engine) as connection:
            token_id = connection.execute(
                insert(ApiTokenRow).values(values).returning(ApiTokenRow.id)
            ).scalar_one()
            self._append_event(
                connection, "token.created", values["created_at"], token_event(token_id, values)
            )
            info = _info(connection, token_id)
        return NewToken.trusted(token=info, secret=secret)

    def tokens(self) -> tuple[TokenInfo, ...]:
        """Every token ever created, oldest first, revoked and expired ones included."""
        with translated(self.url), self._engine.connect() as connection:
            rows = connection.execute(_with_revocations().order_by(ApiTokenRow.id)).all()
        return tuple(_as_info(row) for row in rows)

    def revoke_token(self, token_id: int, by: str) -> TokenInfo:
        """Withdraw a token; revoking one already revoked changes nothing."""
        from techgate.register.store import checked_name, stamp

        by = checked_name(by, "by")
        _check_token_id(token_id)
        with translated(self.url), writing(self._engine) as connection:
            info = _info(connection, token_id)
            if info.revoked_at is not None:
                return info
            at = stamp(self._clock())
            values = {"token_id": token_id, "revoked_by": by, "revoked_at": at}
            revocation_id = connection.execute(
                insert(TokenRevocationRow).values(values).returning(TokenRevocationRow.id)
            ).scalar_one()
            self._append_event(
                connection, "token.revoked", at, revoked_event(revocation_id, values)
            )
            return _info(connection, token_id)

    def authenticate(self, secret: str, at: dt.datetime | None = None) -> Principal | None:
        """Who the secret belongs to; None for an unknown, revoked or expired token."""
        from techgate.register.store import stamp

        if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
            return None
        wanted = digest(secret)
        with translated(self.url), self._engine.connect() as connection:
            row = connection.execute(_by_digest(), {"digest": wanted}).one_or_none()
        # The lookup already matched the digest; comparing again in constant time
        # costs nothing and keeps the check itself free of early exits.
        if row is None or not hmac.compare_digest(row.secret_sha256, wanted):
            return None
        if row.revoked_at is not None:
            return None
        if row.expires_at is not None and stamp(at or self._clock()) >= row.expires_at:
            return None
        return Principal.trusted(token_id=row.id, name=row.name, role=Role(row.role))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _with_revocations() -> Any:
    return select(
        ApiTokenRow, TokenRevocationRow.revoked_at, TokenRevocationRow.revoked_by
    ).outerjoin(TokenRevocationRow, TokenRevocationRow.token_id == ApiTokenRow.id)


@functools.cache
def _by_digest() -> Any:
    # Built once, with a bound parameter: every request authenticates, and building the
    # statement (and its cache key) cost several times what running it does.
    return _with_revocations().where(ApiTokenRow.secret_sha256 == bindparam("digest"))


def _info(connection: Connection, token_id: int) -> TokenInfo:
    row = connection.execute(_with_revocations().where(ApiTokenRow.id == token_id)).one_or_none()
    if row is None:
        raise _no_token(token_id)
    return _as_info(row)


def _as_info(row: Any) -> TokenInfo:
    from techgate.register.store import parse_stamp

    return TokenInfo.trusted(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        prefix=row.prefix,
        created_by=row.created_by,
        created_at=parse_stamp(row.created_at),
        expires_at=None if row.expires_at is None else parse_stamp(row.expires_at),
        revoked_at=None if row.revoked_at is None else parse_stamp(row.revoked_at),
        revoked_by=row.revoked_by,
    )


def _check_token_id(token_id: int) -> None:
    if not 1 <= token_id <= LARGEST_ID:
        raise _no_token(token_id)


def _no_token(token_id: int) -> NotFoundError:
    return NotFoundError(
        single_problem(
            "<register>", f"has no token {token_id}", "see 'techgate token list'", field="token_id"
        ).problems
    )


def token_event(token_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of a new token says of its row (never the secret nor its hash)."""
    return {
        "token_id": token_id,
        "name": values["name"],
        "role": values["role"],
        "prefix": values["prefix"],
        "created_by": values["created_by"],
        "created_at": values["created_at"],
        "expires_at": values["expires_at"],
    }


def revoked_event(revocation_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of a revocation says of its row."""
    return {
        "revocation_id": revocation_id,
        "token_id": values["token_id"],
        "revoked_by": values["revoked_by"],
        "revoked_at": values["revoked_at"],
    }
