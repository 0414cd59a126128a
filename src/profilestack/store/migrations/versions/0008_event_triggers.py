"""Customer Profiles event triggers, integrations and trigger invocations.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table('profile_event_triggers',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'name', name=op.f('pk_profile_event_triggers'))
    )
    op.create_table('profile_integrations',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('uri', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'uri', name=op.f('pk_profile_integrations'))
    )
    op.create_table('profile_trigger_invocations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('trigger_name', sa.String(length=64), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.Column('fired_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_trigger_invocations'))
    )
    op.create_index('ix_profile_trigger_invocations', 'profile_trigger_invocations',
                    ['domain_id', 'trigger_name', 'profile_id', 'fired_at'], unique=False)
