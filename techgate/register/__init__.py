"""The register of decisions: SQLAlchemy 2 over SQLite (default) or PostgreSQL, append-only.

Open one with techgate.api.open_register; see docs/register.md.
"""

from __future__ import annotations

from techgate.model.register import Filters, Page
from techgate.register.database import DEFAULT_URL, ENVIRONMENT, resolve_url, shown
from techgate.register.store import Clock, Register, utc_now

__all__ = [
    "DEFAULT_URL",
    "ENVIRONMENT",
    "Clock",
    "Filters",
    "Page",
    "Register",
    "open_register",
    "resolve_url",
    "utc_now",
]


def open_register(
    url: str | None = None, *, clock: Clock = utc_now, max_waiver_days: int | None = None
) -> Register:
    """Open the register at url, TECHGATE_DB or ./techgate.db; create and migrate it if needed.

    max_waiver_days: this register's own limit on how long a waiver may run,
    applied as well as each pack's (the tighter wins).
    """
    from techgate.register.database import make_engine, translated, upgrade

    chosen = resolve_url(url)
    with translated(chosen):
        engine = make_engine(chosen)
        try:
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
    return Register(engine, shown(chosen), clock, max_waiver_days=max_waiver_days)
