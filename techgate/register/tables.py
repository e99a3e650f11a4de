"""The register's tables. Every one is append-only: rows are inserted, never updated or deleted.

The migrations in techgate/register/migrations create exactly these (a test
compares them) plus the triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

HASH = String(64)
# Timestamps are UTC ISO 8601 text ('2026-01-02T03:04:05.000006Z'): the same on
# every backend, sorted as text, and exactly what the audit events carry.
STAMP = String(32)

APPEND_ONLY = ("proposals", "packs", "evaluations", "decisions", "audit_events")
"""Tables the migrations guard with triggers against UPDATE and DELETE."""


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class ProposalRow(Base):
    """Each submitted version of a proposal, by the sha256 of its canonical JSON."""

    __tablename__ = "proposals"

    sha256: Mapped[str] = mapped_column(HASH, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(String(200), index=True)
    canonical_json: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[str] = mapped_column(STAMP)


class PackRow(Base):
    """Each pack a proposal was judged by, by the sha256 of its canonical JSON."""

    __tablename__ = "packs"

    sha256: Mapped[str] = mapped_column(HASH, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(200))
    canonical_json: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[str] = mapped_column(STAMP)


class EvaluationRow(Base):
    """A decision record exactly as 'techgate evaluate --json' writes it, and what it judged."""

    __tablename__ = "evaluations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_sha256: Mapped[str] = mapped_column(HASH, unique=True)
    proposal_sha256: Mapped[str] = mapped_column(HASH, ForeignKey("proposals.sha256"), index=True)
    pack_sha256: Mapped[str] = mapped_column(HASH, ForeignKey("packs.sha256"), index=True)
    proposal_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16), index=True)
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    pack_id: Mapped[str] = mapped_column(String(200))
    pack_version: Mapped[str] = mapped_column(String(200))
    submitted_by: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[str] = mapped_column(STAMP)
    record_json: Mapped[str] = mapped_column(Text)


class DecisionRow(Base):
    """A human decision, bound to the record hash of the evaluation it decides."""

    __tablename__ = "decisions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), index=True)
    record_sha256: Mapped[str] = mapped_column(HASH)
    outcome: Mapped[str] = mapped_column(String(32))
    engine_decision: Mapped[str] = mapped_column(String(16))
    override: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[str] = mapped_column(STAMP)


class AuditEventRow(Base):
    """One event per change, chained: hash = sha256(prev_hash + event_json)."""

    __tablename__ = "audit_events"

    # Given by the writer (the last seq + 1, under the write lock): the event's
    # JSON carries it, so it must be known before the row is inserted.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(STAMP)
    # Unique: two events can never follow the same one, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(HASH, unique=True)
    hash: Mapped[str] = mapped_column(HASH, unique=True)
    event_json: Mapped[str] = mapped_column(Text)
