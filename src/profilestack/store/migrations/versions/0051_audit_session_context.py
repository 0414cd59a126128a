"""Audit events keep the session context of calls made with temporary credentials (CloudTrail's
userIdentity.sessionContext: the issuing role, when and how the credentials were issued, the source identity), the
TLS details of calls that came over TLS (tlsDetails), and what calls that changed something answered
(responseElements).

Revision ID: 0051
"""

import sqlalchemy as sa
from alembic import op

revision = "0051"
down_revision = "0050"


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("session_context", sa.JSON(), nullable=True))
    op.add_column("audit_events", sa.Column("tls_details", sa.JSON(), nullable=True))
    op.add_column("audit_events", sa.Column("response_elements", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_events", "response_elements")
    op.drop_column("audit_events", "tls_details")
    op.drop_column("audit_events", "session_context")
