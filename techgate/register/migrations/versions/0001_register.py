"""The register's first tables, and the triggers that keep them append-only.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("proposals", "packs", "evaluations", "decisions", "audit_events")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("event_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_events_prev_hash")),
    )
    op.create_table(
        "packs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pack_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("canonical_json", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_packs")),
    )
    op.create_index(op.f("ix_packs_pack_id"), "packs", ["pack_id"], unique=False)
    op.create_table(
        "proposals",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.String(length=200), nullable=False),
        sa.Column("canonical_json", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_proposals")),
    )
    op.create_index(op.f("ix_proposals_proposal_id"), "proposals", ["proposal_id"], unique=False)
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("proposal_sha256", sa.String(length=64), nullable=False),
        sa.Column("pack_sha256", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("pack_id", sa.String(length=200), nullable=False),
        sa.Column("pack_version", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.String(length=32), nullable=False),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pack_sha256"], ["packs.sha256"], name=op.f("fk_evaluations_pack_sha256_packs")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_sha256"],
            ["proposals.sha256"],
            name=op.f("fk_evaluations_proposal_sha256_proposals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("record_sha256", name=op.f("uq_evaluations_record_sha256")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_evaluations_decision"), "evaluations", ["decision"], unique=False)
    op.create_index(
        op.f("ix_evaluations_pack_sha256"), "evaluations", ["pack_sha256"], unique=False
    )
    op.create_index(
        op.f("ix_evaluations_proposal_id"), "evaluations", ["proposal_id"], unique=False
    )
    op.create_index(
        op.f("ix_evaluations_proposal_sha256"), "evaluations", ["proposal_sha256"], unique=False
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("engine_decision", sa.String(length=16), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_decisions_evaluation_id_evaluations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_decisions_evaluation_id"), "decisions", ["evaluation_id"], unique=False
    )

    refuse_changes(APPEND_ONLY)


def refuse_changes(tables: tuple[str, ...]) -> None:
    """Triggers that make the database itself refuse UPDATE and DELETE on the tables.

    The register's code never issues either; these stop anyone else (or a
    bug) from doing so through SQL. Removing them takes a deliberate DROP
    TRIGGER, and 'techgate register verify' still finds what was changed.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION techgate_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'techgate register: % is append-only (% refused)', "
            "TG_TABLE_NAME, TG_OP; END $$"
        )
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
