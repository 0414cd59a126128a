"""Customer Profiles identity resolution jobs and their matches.

Revision ID: 0040
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0040"
down_revision = "0039"


def upgrade() -> None:
    op.create_table('profile_identity_resolution_jobs',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=2048), nullable=True),
    sa.Column('start_time', UtcDateTime, nullable=False),
    sa.Column('end_time', UtcDateTime, nullable=True),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.Column('auto_merging', sa.JSON(), nullable=True),
    sa.Column('profiles_reviewed', sa.BigInteger(), nullable=True),
    sa.Column('matches_found', sa.BigInteger(), nullable=True),
    sa.Column('merges_done', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('domain_id', 'id', name=op.f('pk_profile_identity_resolution_jobs'))
    )
    op.create_table('profile_matches',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('match_id', sa.String(length=64), nullable=False),
    sa.Column('profile_ids', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'job_id', 'match_id', name=op.f('pk_profile_matches'))
    )


def downgrade() -> None:
    op.drop_table('profile_matches')
    op.drop_table('profile_identity_resolution_jobs')
