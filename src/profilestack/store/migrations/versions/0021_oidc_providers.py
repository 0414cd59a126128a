"""IAM OpenID Connect identity providers.

Revision ID: 0021
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0021"
down_revision = "0020"


def upgrade() -> None:
    op.create_table('iam_oidc_providers',
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('client_ids', sa.JSON(), nullable=False),
    sa.Column('thumbprints', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_iam_oidc_providers')),
    sa.UniqueConstraint('id', name=op.f('uq_iam_oidc_providers_id'))
    )
