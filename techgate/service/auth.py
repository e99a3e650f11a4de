"""Who is calling: the bearer token, checked against the register, and the role it needs.

No token, or one that is unknown, revoked or expired, is 401 with
'WWW-Authenticate: Bearer'; a token whose role is too low is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from techgate.model.register import Principal, Role
from techgate.service.problems import ProblemError
from techgate.service.state import state_of

_bearer = HTTPBearer(auto_error=False, description="An API token: 'Bearer tg_...'.")


def _unauthorized(detail: str, error: str | None = None) -> ProblemError:
    challenge = 'Bearer realm="techgate"' + (f', error="{error}"' if error else "")
    return ProblemError(401, detail, kind="unauthorized", headers={"WWW-Authenticate": challenge})


def require(role: Role) -> Callable[..., Principal]:
    """A dependency giving the caller, refused unless their token's role allows 'role'."""

    def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorized("send an API token: 'Authorization: Bearer tg_...'")
        principal = state_of(request).register.authenticate(credentials.credentials)
        if principal is None:
            raise _unauthorized("the token is unknown, revoked or expired", "invalid_token")
        if not principal.role.allows(role):
            raise ProblemError(
                403,
                f"a {principal.role.value} token may not do this; it needs {role.value}",
                kind="forbidden",
            )
        request.state.principal = principal
        return principal

    caller.__name__ = f"require_{role.value}"
    return caller
