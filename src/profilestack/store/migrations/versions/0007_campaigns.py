"""Outbound Campaigns v2; profile_tags becomes resource_tags, shared by the regional services.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.rename_table("profile_tags", "resource_tags")
    op.create_table('campaign_outbound_requests',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('campaign_id', sa.String(length=256), nullable=False),
    sa.Column('client_token', sa.String(length=200), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.Column('expiration_time', UtcDateTime, nullable=True),
    sa.Column('event_trigger_context', sa.JSON(), nullable=True),
    sa.Column('requested_by', sa.String(length=2048), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_outbound_requests')),
    sa.UniqueConstraint('campaign_id', 'client_token', name='uq_campaign_outbound_requests_token')
    )
    op.create_table('campaigns',
    sa.Column('id', sa.String(length=256), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('arn', sa.String(length=256), nullable=False),
    sa.Column('name', sa.String(length=127), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('arn', name=op.f('uq_campaigns_arn'))
    )
    op.create_index('ix_campaigns_account', 'campaigns', ['account_id', 'region'], unique=False)
