"""Outbound Campaigns v1 campaigns beside v2's: the API version that made each campaign.

Revision ID: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"


def upgrade() -> None:
    op.add_column('campaigns', sa.Column('api_version', sa.String(length=2), server_default='v2', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('api_version')
