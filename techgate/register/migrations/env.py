"""Alembic's environment: always run on a connection the register opened (see database.py).

The register starts the transaction and takes its write lock before calling
upgrade, so two processes opening a new database at once cannot both create
the tables.
"""

from __future__ import annotations

from alembic import context

from techgate.register.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the register's migrations run only through techgate.register")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
