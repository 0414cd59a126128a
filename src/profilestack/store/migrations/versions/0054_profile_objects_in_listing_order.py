"""A profile's objects of one type indexed in the order ListProfileObjects gives them (created_at, then the
unique key), so that a page is read from where the last one ended rather than after every object before it.

Revision ID: 0054
"""

from alembic import op

revision = "0054"
down_revision = "0053"


def upgrade() -> None:
    op.drop_index("ix_profile_objects_profile", table_name="profile_objects")
    op.create_index("ix_profile_objects_profile", "profile_objects",
                    ["domain_id", "profile_id", "object_type", "created_at", "unique_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_profile_objects_profile", table_name="profile_objects")
    op.create_index("ix_profile_objects_profile", "profile_objects", ["domain_id", "profile_id", "object_type"],
                    unique=False)
