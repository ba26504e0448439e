"""jobs: embedded job queue, worker heartbeats, periodic ticks; procrastinate schema on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import talentscout.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("task", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column(
            "args",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", talentscout.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fence", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=255), nullable=True),
        sa.Column("created_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", talentscout.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", talentscout.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_claim", ["status", "run_at"], unique=False)
        batch_op.create_index("ix_jobs_lease", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index(
            "uq_jobs_active_dedupe_key",
            ["dedupe_key"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )

    op.create_table(
        "job_workers",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("started_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_workers")),
    )
    with op.batch_alter_table("job_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_workers_last_seen"), ["last_seen"], unique=False)

    op.create_table(
        "job_periodic_ticks",
        sa.Column("task", sa.String(length=128), nullable=False),
        sa.Column("tick", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("fired_at", talentscout.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task", "tick", name=op.f("pk_job_periodic_ticks")),
    )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from talentscout.jobs.pg import schema_sql

        # procrastinate's schema as shipped by the installed package. Executed without
        # parameters so psycopg leaves its '%' characters alone.
        bind.exec_driver_sql(schema_sql(), execution_options={"no_parameters": True})
        # Dedupe looks up queued-or-running jobs by key; procrastinate only indexes queued ones.
        bind.exec_driver_sql(
            "CREATE INDEX ix_procrastinate_jobs_active_queueing_lock ON procrastinate_jobs (queueing_lock) "
            "WHERE status IN ('todo', 'doing')",
            execution_options={"no_parameters": True},
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from talentscout.jobs.pg import DROP_SCHEMA_SQL

        bind.exec_driver_sql(DROP_SCHEMA_SQL, execution_options={"no_parameters": True})

    op.drop_table("job_periodic_ticks")
    with op.batch_alter_table("job_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_workers_last_seen"))
    op.drop_table("job_workers")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_jobs_active_dedupe_key")
        batch_op.drop_index("ix_jobs_lease")
        batch_op.drop_index("ix_jobs_claim")
    op.drop_table("jobs")
