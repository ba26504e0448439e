"""profiles: the candidate profile table (system of record for the search index)

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import talentscout.db

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('profiles',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('seniority', sa.Integer(), nullable=True),
    sa.Column('years_experience', sa.Float(), nullable=False),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('content_hash', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', talentscout.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', talentscout.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profiles')),
    sa.UniqueConstraint('scope_key', 'external_id', name=op.f('uq_profiles_scope_key_external_id')),
    )
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_profiles_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_profiles_seq'), ['seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_profiles_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_profiles_updated_at'))
        batch_op.drop_index(batch_op.f('ix_profiles_seq'))
        batch_op.drop_index(batch_op.f('ix_profiles_company_id'))

    op.drop_table('profiles')
