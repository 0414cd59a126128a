"""IAM SAML providers.

Revision ID: 0032
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0032"
down_revision = "0031"


def upgrade() -> None:
    op.create_table('iam_saml_providers',
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('metadata_document', sa.Text(), nullable=False),
    sa.Column('valid_until', UtcDateTime, nullable=True),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('assertion_encryption_mode', sa.String(length=16), nullable=True),
    sa.Column('private_keys', sa.JSON(), nullable=False),
    sa.Column('context_provider', sa.JSON(), nullable=True),
    sa.Column('identity_center_instance_arn', sa.String(length=1224), nullable=True),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_iam_saml_providers')),
    sa.UniqueConstraint('id', name=op.f('uq_iam_saml_providers_id'))
    )


def downgrade() -> None:
    op.drop_table('iam_saml_providers')
