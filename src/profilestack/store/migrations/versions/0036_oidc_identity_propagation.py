"""OpenID Connect providers' trusted identity propagation settings.

Revision ID: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"


def upgrade() -> None:
    op.add_column('iam_oidc_providers', sa.Column('context_provider', sa.JSON(), nullable=True))
    op.add_column('iam_oidc_providers', sa.Column('identity_center_instance_arn', sa.String(length=1224),
                                                  nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('iam_oidc_providers') as batch:
        batch.drop_column('identity_center_instance_arn')
        batch.drop_column('context_provider')
