"""Customer Profiles upload jobs.

Revision ID: 0029
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0029"
down_revision = "0028"


def upgrade() -> None:
    op.create_table('profile_upload_jobs',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('unique_key', sa.String(length=1000), nullable=False),
    sa.Column('data_expiry', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_reason', sa.String(length=32), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('completed_at', UtcDateTime, nullable=True),
    sa.Column('upload_token', sa.String(length=64), nullable=True),
    sa.Column('upload_valid_until', UtcDateTime, nullable=True),
    sa.Column('upload', sa.LargeBinary(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('created_records', sa.Integer(), nullable=False),
    sa.Column('updated_records', sa.Integer(), nullable=False),
    sa.Column('failed_records', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'id', name=op.f('pk_profile_upload_jobs'))
    )
    op.create_index('ix_profile_upload_jobs_token', 'profile_upload_jobs', ['upload_token'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_profile_upload_jobs_token', table_name='profile_upload_jobs')
    op.drop_table('profile_upload_jobs')
