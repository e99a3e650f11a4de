"""Packs installed for the service: by id, the latest install row saying what an id means.

Installing stores the pack (content-addressed, in 'packs', when new) and
appends a row naming it; removing appends a row with no pack. Nothing is
changed in place, so what an id meant at any time can be read back.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, insert, select

from techgate.errors import NotFoundError, single_problem
from techgate.model.criteria import CriteriaPack
from techgate.model.register import PackInstall
from techgate.register.database import translated, writing
from techgate.register.tables import PackInstallRow, PackRow

if TYPE_CHECKING:
    from collections.abc import Callable


class Installs:
    """The installed-packs half of the Register (mixed into it)."""

    _engine: Engine
    url: str
    _clock: Callable[[], dt.datetime]

    @staticmethod
    def _append_event(connection: Connection, kind: str, at: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _add_once(connection: Connection, table: Any, key: str, values: dict[str, Any]) -> bool:
        raise NotImplementedError

    def install_pack(self, pack: CriteriaPack, by: str) -> PackInstall:
        """Offer the pack by its id (replacing what the id meant before)."""
        from techgate.register.store import checked_name, pack_row, stamp

        by = checked_name(by, "by")
        with translated(self.url), writing(self._engine) as connection:
            at = stamp(self._clock())
            self._add_once(connection, PackRow, pack.sha256, pack_row(pack, at))
            return self._install(connection, pack.id, pack.sha256, by, at)

    def remove_pack(self, pack_id: str, by: str) -> PackInstall:
        """Withdraw an installed id; proposals naming it are then refused (or get the built-in)."""
        from techgate.register.store import checked_name, stamp

        by = checked_name(by, "by")
        with translated(self.url), writing(self._engine) as connection:
            if _latest(connection, pack_id) is None:
                raise no_pack(pack_id)
            return self._install(connection, pack_id, None, by, stamp(self._clock()))

    def installed_packs(self) -> dict[str, tuple[str, str]]:
        """Every id installed now: id → (sha256, canonical JSON of the pack)."""
        with translated(self.url), self._engine.connect() as connection:
            rows = connection.execute(_installed_query()).all()
        return {row.pack_id: (row.sha256, row.canonical_json) for row in rows}

    def installs(self) -> tuple[PackInstall, ...]:
        """Every install and removal, oldest first."""
        with translated(self.url), self._engine.connect() as connection:
            rows = connection.execute(_joined().order_by(PackInstallRow.id)).all()
        return tuple(_as_install(row) for row in rows)

    def _install(
        self, connection: Connection, pack_id: str, sha256: str | None, by: str, at: str
    ) -> PackInstall:
        values: dict[str, Any] = {
            "pack_id": pack_id,
            "pack_sha256": sha256,
            "installed_by": by,
            "installed_at": at,
        }
        install_id = connection.execute(
            insert(PackInstallRow).values(values).returning(PackInstallRow.id)
        ).scalar_one()
        kind = "pack.installed" if sha256 else "pack.removed"
        self._append_event(connection, kind, at, install_event(install_id, values))
        row = connection.execute(_joined().where(PackInstallRow.id == install_id)).one()
        return _as_install(row)


@functools.cache
def _installed_query() -> Any:
    # Built once: every submission to the service asks it, and building the statement
    # cost several times what running it does.
    latest = select(func.max(PackInstallRow.id)).group_by(PackInstallRow.pack_id).scalar_subquery()
    return (
        select(PackInstallRow.pack_id, PackRow.sha256, PackRow.canonical_json)
        .join(PackRow, PackRow.sha256 == PackInstallRow.pack_sha256)
        .where(PackInstallRow.id.in_(latest))
        .order_by(PackInstallRow.pack_id)
    )


def _joined() -> Any:
    return select(PackInstallRow, PackRow.version).outerjoin(
        PackRow, PackRow.sha256 == PackInstallRow.pack_sha256
    )


def _latest(connection: Connection, pack_id: str) -> str | None:
    """The sha256 an id means now; None when never installed or removed last."""
    return connection.scalar(
        select(PackInstallRow.pack_sha256)
        .where(PackInstallRow.pack_id == pack_id)
        .order_by(PackInstallRow.id.desc())
        .limit(1)
    )


def _as_install(row: Any) -> PackInstall:
    from techgate.register.store import parse_stamp

    return PackInstall.trusted(
        id=row.id,
        pack_id=row.pack_id,
        pack_sha256=row.pack_sha256,
        version=row.version,
        installed_by=row.installed_by,
        installed_at=parse_stamp(row.installed_at),
    )


def no_pack(pack_id: str) -> NotFoundError:
    return NotFoundError(
        single_problem("<register>", f"has no installed pack {pack_id!r}", field="pack_id").problems
    )


def install_event(install_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """What the audit event of an install (or removal) says of its row."""
    return {
        "install_id": install_id,
        "pack_id": values["pack_id"],
        "pack_sha256": values["pack_sha256"],
        "installed_by": values["installed_by"],
        "installed_at": values["installed_at"],
    }
