"""Outbound Campaigns: what onboarded Connect instances are integrated with.

Revision ID: 0017
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    op.create_table('connect_instance_integrations',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('instance_id', sa.String(length=256), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('identifier', sa.String(length=500), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'region', 'instance_id', 'kind', 'identifier',
                            name=op.f('pk_connect_instance_integrations'))
    )
