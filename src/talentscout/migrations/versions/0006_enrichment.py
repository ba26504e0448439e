"""enrichment: runs, items, suppressions, learned mail patterns, company mail domains

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import talentscout.db

revision: str = "0006"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "enrichment_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("webhook_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("profile_ids", _json(), nullable=False),
        sa.Column("hold_ref", sa.String(length=100), nullable=False),
        sa.Column("enriched_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", talentscout.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrichment_runs")),
        sa.UniqueConstraint(
            "company_id", "idempotency_key", name=op.f("uq_enrichment_runs_company_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("enrichment_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrichment_runs_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrichment_runs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrichment_runs_status"), ["status"], unique=False)

    op.create_table(
        "enrichment_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("candidate", _json(), nullable=True),
        sa.Column("evidence", _json(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", talentscout.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["enrichment_runs.id"], name=op.f("fk_enrichment_items_run_id_enrichment_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrichment_items")),
        sa.UniqueConstraint("run_id", "profile_id", name=op.f("uq_enrichment_items_run_id_profile_id")),
    )
    with op.batch_alter_table("enrichment_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrichment_items_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrichment_items_run_id"), ["run_id"], unique=False)

    op.create_table(
        "enrichment_suppressions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("match_key", sa.String(length=255), nullable=False),
        sa.Column("hint", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrichment_suppressions")),
        sa.UniqueConstraint("kind", "match_key", name=op.f("uq_enrichment_suppressions_kind_match_key")),
    )
    with op.batch_alter_table("enrichment_suppressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrichment_suppressions_match_key"), ["match_key"], unique=False)

    op.create_table(
        "enrichment_pattern_stats",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("pattern", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("positive", sa.Float(), nullable=False),
        sa.Column("negative", sa.Float(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("updated_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", "pattern", "source", name=op.f("pk_enrichment_pattern_stats")),
    )
    op.create_table(
        "enrichment_company_domains",
        sa.Column("company_key", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("updated_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("company_key", "domain", name=op.f("pk_enrichment_company_domains")),
    )


def downgrade() -> None:
    op.drop_table("enrichment_company_domains")
    op.drop_table("enrichment_pattern_stats")
    with op.batch_alter_table("enrichment_suppressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrichment_suppressions_match_key"))
    op.drop_table("enrichment_suppressions")
    with op.batch_alter_table("enrichment_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrichment_items_run_id"))
        batch_op.drop_index(batch_op.f("ix_enrichment_items_company_id"))
    op.drop_table("enrichment_items")
    with op.batch_alter_table("enrichment_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrichment_runs_status"))
        batch_op.drop_index(batch_op.f("ix_enrichment_runs_created_at"))
        batch_op.drop_index(batch_op.f("ix_enrichment_runs_company_id"))
    op.drop_table("enrichment_runs")
