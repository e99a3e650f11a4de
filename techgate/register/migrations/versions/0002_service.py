"""Waivers, installed packs, API tokens, idempotency keys and webhooks.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# idempotency_keys is left out: a cache of first responses, pruned once its keys expire.
APPEND_ONLY = (
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


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_api_tokens_secret_sha256")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "waivers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("proposal_id", sa.String(length=200), nullable=False),
        sa.Column("gate_id", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=False),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("granted_by", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waivers")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_waivers_proposal_id"), "waivers", ["proposal_id"], unique=False)
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_outbox_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outbox_subscription_id"), "outbox", ["subscription_id"], unique=False)
    op.create_table(
        "pack_installs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pack_id", sa.String(length=200), nullable=False),
        sa.Column("pack_sha256", sa.String(length=64), nullable=True),
        sa.Column("installed_by", sa.Text(), nullable=False),
        sa.Column("installed_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["pack_sha256"], ["packs.sha256"], name=op.f("fk_pack_installs_pack_sha256_packs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_installs")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_pack_installs_pack_id"), "pack_installs", ["pack_id"], unique=False)
    op.create_table(
        "subscription_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_subscription_changes_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_changes")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_subscription_changes_subscription_id"),
        "subscription_changes",
        ["subscription_id"],
        unique=False,
    )
    op.create_table(
        "token_revocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("revoked_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_token_revocations_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_revocations")),
        sa.UniqueConstraint("token_id", name=op.f("uq_token_revocations_token_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "waiver_revocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("waiver_id", sa.Integer(), nullable=False),
        sa.Column("revoked_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["waiver_id"], ["waivers.id"], name=op.f("fk_waiver_revocations_waiver_id_waivers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiver_revocations")),
        sa.UniqueConstraint("waiver_id", name=op.f("uq_waiver_revocations_waiver_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempted_at", sa.String(length=32), nullable=False),
        sa.Column("next_attempt_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_delivery_attempts_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_delivery_attempts_outbox_id"), "delivery_attempts", ["outbox_id"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_idempotency_keys_evaluation_id_evaluations"),
        ),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )
    refuse_changes(APPEND_ONLY)


def refuse_changes(tables: tuple[str, ...]) -> None:
    """The same triggers as 0001's, on the new tables (PostgreSQL's function exists already)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION techgate_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION techgate_append_only()"
            )
        return
    for table in tables:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'techgate register: {table} is append-only "
                f"({action} refused)'); END"
            )


def downgrade() -> None:
    raise NotImplementedError("the register is append-only; it is never migrated down")
