"""STS role sessions assumed with an MFA code.

Revision ID: 0015
"""

import sqlalchemy as sa
from alembic import op

from profilestack.store.types import UtcDateTime

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    op.add_column('sts_sessions', sa.Column('mfa_at', UtcDateTime, nullable=True))
