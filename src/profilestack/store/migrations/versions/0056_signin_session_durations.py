"""Roles and login profiles keep a maximum AWS Sign-In session duration (IAM's MaxSigninSessionDuration), unset
(NULL) until one is given.

Revision ID: 0056
"""

import sqlalchemy as sa
from alembic import op

revision = "0056"
down_revision = "0055"


def upgrade() -> None:
    op.add_column("iam_roles", sa.Column("max_signin_session_duration", sa.Integer(), nullable=True))
    op.add_column("iam_login_profiles", sa.Column("max_signin_session_duration", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("iam_login_profiles", "max_signin_session_duration")
    op.drop_column("iam_roles", "max_signin_session_duration")
