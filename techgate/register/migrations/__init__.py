"""Alembic migrations of the register, shipped in the package and applied on open."""
