"""IAM entities, customer managed policies and STS sessions.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table('iam_access_keys',
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('last_used_at', UtcDateTime, nullable=True),
    sa.Column('last_used_service', sa.String(length=64), nullable=True),
    sa.Column('last_used_region', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('access_key_id', name=op.f('pk_iam_access_keys'))
    )
    op.create_index('ix_iam_access_keys_user', 'iam_access_keys', ['user_id'], unique=False)
    op.create_table('iam_attachments',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('entity_id', sa.String(length=128), nullable=False),
    sa.Column('policy_arn', sa.String(length=2048), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'entity_id', 'policy_arn', name=op.f('pk_iam_attachments'))
    )
    op.create_index('ix_iam_attachments_policy', 'iam_attachments', ['account_id', 'policy_arn'], unique=False)
    op.create_table('iam_group_members',
    sa.Column('group_id', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_iam_group_members'))
    )
    op.create_index('ix_iam_group_members_user', 'iam_group_members', ['user_id'], unique=False)
    op.create_table('iam_groups',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_groups')),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_iam_groups_name')
    )
    op.create_table('iam_inline_policies',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('entity_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'entity_id', 'name', name=op.f('pk_iam_inline_policies'))
    )
    op.create_table('iam_policies',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.Column('default_version', sa.String(length=16), nullable=False),
    sa.Column('version_counter', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_policies')),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_iam_policies_name')
    )
    op.create_index('ix_iam_policies_arn', 'iam_policies', ['arn'], unique=True)
    op.create_table('iam_roles',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('boundary_arn', sa.String(length=2048), nullable=True),
    sa.Column('trust_policy', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('max_session_duration', sa.Integer(), nullable=False),
    sa.Column('last_used_at', UtcDateTime, nullable=True),
    sa.Column('last_used_region', sa.String(length=32), nullable=True),
    sa.Column('service_principal', sa.String(length=256), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_roles')),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_iam_roles_name')
    )
    op.create_table('iam_tags',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('entity_id', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'entity_id', 'key', name=op.f('pk_iam_tags'))
    )
    op.create_table('iam_users',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_key', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('boundary_arn', sa.String(length=2048), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iam_users')),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_iam_users_name')
    )
    op.create_table('sts_sessions',
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('session_token', sa.Text(), nullable=False),
    sa.Column('role_id', sa.String(length=128), nullable=False),
    sa.Column('role_arn', sa.String(length=2048), nullable=False),
    sa.Column('session_name', sa.String(length=64), nullable=False),
    sa.Column('session_policy', sa.Text(), nullable=True),
    sa.Column('policy_arns', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('source_identity', sa.String(length=64), nullable=True),
    sa.Column('invoked_by', sa.String(length=256), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('expires_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('access_key_id', name=op.f('pk_sts_sessions'))
    )
    op.create_index('ix_sts_sessions_expiry', 'sts_sessions', ['expires_at'], unique=False)
    op.create_table('iam_policy_versions',
    sa.Column('policy_id', sa.String(length=128), nullable=False),
    sa.Column('version_id', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['iam_policies.id'],
                            name=op.f('fk_iam_policy_versions_policy_id_iam_policies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('policy_id', 'version_id', name=op.f('pk_iam_policy_versions'))
    )
    op.create_index("ix_audit_access_key", "audit_events", ["access_key_id", "seq"])
