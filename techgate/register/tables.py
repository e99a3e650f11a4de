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


# -- 0002: waivers, pack installs, API tokens, idempotency, webhooks ----------------------------

APPEND_ONLY_0002 = (
    "waivers",
    "waiver_revocations",
    "pack_installs",
    "api_tokens",
    "token_revocations",
    "webhook_subscriptions",
    "subscription_changes",
    "outbox",
    "delivery_attempts",
)
"""Tables of the second migration guarded the same way. idempotency_keys is not among them:
it is a cache of first responses that may be pruned once its keys have expired."""


class WaiverRow(Base):
    """A gate failure accepted for one proposal id, by an approver who did not ask for it."""

    __tablename__ = "waivers"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[str] = mapped_column(String(200), index=True)
    gate_id: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str] = mapped_column(String(200))
    condition: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[str] = mapped_column(STAMP)
    created_at: Mapped[str] = mapped_column(STAMP)


class WaiverRevocationRow(Base):
    """A waiver withdrawn before it expired (at most one per waiver)."""

    __tablename__ = "waiver_revocations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    waiver_id: Mapped[int] = mapped_column(ForeignKey("waivers.id"), unique=True)
    revoked_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[str] = mapped_column(STAMP)


class PackInstallRow(Base):
    """A pack made available by id to the service; the latest row for an id is what it means.

    pack_sha256 null removes the id. Packs named by a proposal sent to the
    service resolve only through these rows and the built-in packs, never a path.
    """

    __tablename__ = "pack_installs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pack_id: Mapped[str] = mapped_column(String(200), index=True)
    pack_sha256: Mapped[str | None] = mapped_column(HASH, ForeignKey("packs.sha256"))
    installed_by: Mapped[str] = mapped_column(Text)
    installed_at: Mapped[str] = mapped_column(STAMP)


class ApiTokenRow(Base):
    """An API token: only the sha256 of its secret is kept, with its role."""

    __tablename__ = "api_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # The secret is 256 random bits: a plain sha256 is enough (no dictionary to
    # guess from), and lets a request's token be found by an indexed lookup.
    secret_sha256: Mapped[str] = mapped_column(HASH, unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(STAMP)
    expires_at: Mapped[str | None] = mapped_column(STAMP)


class TokenRevocationRow(Base):
    """A token withdrawn (at most one per token)."""

    __tablename__ = "token_revocations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), unique=True)
    revoked_by: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[str] = mapped_column(STAMP)


class IdempotencyKeyRow(Base):
    """The first response to a submission sent with an Idempotency-Key, per caller and key.

    Written in the same transaction as the submission it answers, so a
    stored key always has its evaluation and the other way round.
    """

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(HASH)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(STAMP, index=True)


class WebhookSubscriptionRow(Base):
    """A receiver of events. Its signing secret is kept as given: signing needs the secret
    itself (Standard Webhooks is symmetric), unlike an API token, which is only compared."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[str] = mapped_column(Text)
    """The event types, as a sorted JSON list."""
    secret: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(STAMP)


class SubscriptionChangeRow(Base):
    """A subscription disabled (by an admin, or by its receiver answering 410) or enabled again;
    the latest row says its state."""

    __tablename__ = "subscription_changes"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    why: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[str] = mapped_column(STAMP)


class OutboxRow(Base):
    """A message owed to one subscriber, written in the transaction of the change it reports,
    so a decision is never stored without its messages nor a message sent for a rolled-back one."""

    __tablename__ = "outbox"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    """The webhook-id header: the same on every retry, so receivers can drop repeats."""
    event_type: Mapped[str] = mapped_column(String(64))
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(STAMP)


class DeliveryAttemptRow(Base):
    """One try at delivering an outbox message; the latest says where the message stands."""

    __tablename__ = "delivery_attempts"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    """delivered, failed (to be tried again at next_attempt_at), gave-up or disabled."""
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[str] = mapped_column(STAMP)
    next_attempt_at: Mapped[str | None] = mapped_column(STAMP)
