"""Profile keys are kept once per origin: a key both a profile's own field and one of its objects give (its
email, say) outlives either of them.

Revision ID: 0044
"""

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"

_KEY = ["domain_id", "key_name", "key_value", "profile_id"]


def _primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("pk_profile_keys", "profile_keys", type_="primary")
        op.create_primary_key("pk_profile_keys", "profile_keys", columns)
        return
    # SQLite changes a primary key by copying the table
    op.create_table("profile_keys_next",
                    sa.Column("domain_id", sa.Integer(), nullable=False),
                    sa.Column("key_name", sa.String(length=64), nullable=False),
                    sa.Column("key_value", sa.String(length=255), nullable=False),
                    sa.Column("profile_id", sa.String(length=32), nullable=False),
                    sa.Column("origin", sa.String(length=300), nullable=False),
                    sa.PrimaryKeyConstraint(*columns, name="pk_profile_keys"))
    op.execute("INSERT OR IGNORE INTO profile_keys_next (domain_id, key_name, key_value, profile_id, origin) "
               "SELECT domain_id, key_name, key_value, profile_id, origin FROM profile_keys")
    op.drop_index("ix_profile_keys_profile", table_name="profile_keys")
    op.drop_table("profile_keys")
    op.rename_table("profile_keys_next", "profile_keys")
    op.create_index("ix_profile_keys_profile", "profile_keys", ["profile_id"], unique=False)


def upgrade() -> None:
    _primary_key([*_KEY, "origin"])


def downgrade() -> None:
    op.execute("DELETE FROM profile_keys WHERE EXISTS (SELECT 1 FROM profile_keys AS other WHERE "
               + " AND ".join(f"other.{column} = profile_keys.{column}" for column in _KEY)
               + " AND other.origin < profile_keys.origin)")
    _primary_key(_KEY)
