"""Customer Profiles data: profiles, their search keys, object types and objects; exact domain stats.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table('profile_keys',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('key_name', sa.String(length=64), nullable=False),
    sa.Column('key_value', sa.String(length=255), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'key_name', 'key_value', 'profile_id', name=op.f('pk_profile_keys'))
    )
    op.create_index('ix_profile_keys_profile', 'profile_keys', ['profile_id'], unique=False)
    op.create_table('profile_object_types',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('domain_id', 'name', name=op.f('pk_profile_object_types'))
    )
    op.create_table('profile_objects',
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=255), nullable=False),
    sa.Column('unique_key', sa.String(length=255), nullable=False),
    sa.Column('profile_id', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('expires_at', UtcDateTime, nullable=True),
    sa.PrimaryKeyConstraint('domain_id', 'object_type', 'unique_key', name=op.f('pk_profile_objects'))
    )
    op.create_index('ix_profile_objects_expiry', 'profile_objects', ['expires_at'], unique=False)
    op.create_index('ix_profile_objects_profile', 'profile_objects', ['domain_id', 'profile_id', 'object_type'],
                    unique=False)
    op.create_table('profile_profiles',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('field_sources', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime, nullable=False),
    sa.Column('updated_at', UtcDateTime, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_profile_profiles'))
    )
    op.create_index('ix_profile_profiles_domain', 'profile_profiles', ['domain_id', 'id'], unique=False)
    op.add_column('profile_domains', sa.Column('profile_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('profile_domains', sa.Column('object_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('profile_domains', sa.Column('total_size', sa.BigInteger(), server_default='0', nullable=False))
