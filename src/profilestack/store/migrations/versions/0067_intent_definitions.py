"""Customer Profiles intent definitions (PutIntentDefinition): which predictive intents a domain works out.

Revision ID: 0067
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0067"
down_revision = "0066"


def upgrade() -> None:
    op.create_table('profile_intent_definitions',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('intent_domain', sa.String(length=32), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'intent_domain', name=op.f('pk_profile_intent_definitions'))
    )


def downgrade() -> None:
    op.drop_table('profile_intent_definitions')
