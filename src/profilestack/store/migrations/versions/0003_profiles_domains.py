"""Service-linked role deletion tasks and Customer Profiles domains.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table('iam_slr_deletion_tasks',
    sa.Column('task_id', sa.String(length=1000), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('role_id', sa.String(length=128), nullable=False),
    sa.Column('role_name', sa.String(length=64), nullable=False),
    sa.Column('service_principal', sa.String(length=256), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('finished_at', UtcDateTime, nullable=True),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_iam_slr_deletion_tasks'))
    )
    op.create_index('ix_iam_slr_tasks_role', 'iam_slr_deletion_tasks', ['role_id', 'status'], unique=False)
    op.create_table('profile_domains',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('arn', sa.String(length=256), nullable=False),
    sa.Column('default_expiration_days', sa.Integer(), nullable=False),
    sa.Column('default_encryption_key', sa.String(length=255), nullable=True),
    sa.Column('dead_letter_queue_url', sa.String(length=255), nullable=True),
    sa.Column('matching', sa.JSON(), nullable=True),
    sa.Column('rule_based_matching', sa.JSON(), nullable=True),
    sa.Column('data_store', sa.JSON(), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.Column('role_name', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_domains')),
    sa.UniqueConstraint('account_id', 'region', 'name', name='uq_profile_domains_name')
    )
    op.create_index('ix_profile_domains_role', 'profile_domains', ['account_id', 'role_name'], unique=False)
    op.create_table('profile_tags',
    sa.Column('resource_arn', sa.String(length=256), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.PrimaryKeyConstraint('resource_arn', 'key', name=op.f('pk_profile_tags'))
    )
