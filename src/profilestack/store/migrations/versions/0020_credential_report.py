"""IAM credential reports, and when a login profile's password was last changed.

Revision ID: 0020
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0020"
down_revision = "0019"


def upgrade() -> None:
    op.add_column('iam_account_settings', sa.Column('credential_report', sa.Text(), nullable=True))
    op.add_column('iam_account_settings', sa.Column('credential_report_at', UtcDateTime, nullable=True))
    op.add_column('iam_login_profiles', sa.Column('changed_at', UtcDateTime, nullable=True))
