"""Customer Profiles: changes to a domain's counters, folded into the domain's row in the background.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table('profile_domain_stat_changes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('profiles', sa.Integer(), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_domain_stat_changes'))
    )
    op.create_index('ix_profile_domain_stat_changes_domain', 'profile_domain_stat_changes', ['domain_id'],
                    unique=False)
