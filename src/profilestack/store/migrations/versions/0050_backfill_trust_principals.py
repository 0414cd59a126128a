"""Roles saved before 0049 hold the users and roles their trust policy names by unique id too, as a role saved
since does: each one named that exists in the database now (the entity that name stood for until this upgrade).
Names of entities that do not exist stay names, as they were.

Revision ID: 0050
"""

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0049"

_NAMED_ENTITY = re.compile(r"arn:aws:iam::\d{12}:(user|role)/.+")


def _named(text: str) -> list[str]:
    """The user and role ARNs a trust policy's Principal and NotPrincipal elements name."""
    try:
        document = json.loads(text)
    except ValueError:
        return []
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    names = []
    for statement in statements if isinstance(statements, list) else [statements]:
        for key in ("Principal", "NotPrincipal"):
            element = statement.get(key) if isinstance(statement, dict) else None
            aws = element.get("AWS") if isinstance(element, dict) else None
            for name in [aws] if isinstance(aws, str) else aws if isinstance(aws, list) else []:
                if isinstance(name, str) and _NAMED_ENTITY.fullmatch(name):
                    names.append(name)
    return names


def upgrade() -> None:
    bind = op.get_bind()
    roles = sa.table("iam_roles", sa.column("id", sa.String), sa.column("arn", sa.String),
                     sa.column("trust_policy", sa.Text), sa.column("trust_principals", sa.JSON))
    users = sa.table("iam_users", sa.column("id", sa.String), sa.column("arn", sa.String))
    ids = {arn.lower(): entity_id for table in (users, roles)
           for entity_id, arn in bind.execute(sa.select(table.c.id, table.c.arn))}
    unconverted = bind.execute(sa.select(roles.c.id, roles.c.trust_policy)
                               .where(roles.c.trust_principals.is_(None))).all()
    for role_id, text in unconverted:
        held = {name: ids[name.lower()] for name in _named(text) if name.lower() in ids}
        if held:
            bind.execute(sa.update(roles).where(roles.c.id == role_id).values(trust_principals=held))


def downgrade() -> None:
    pass  # the ids stay; 0049's downgrade drops the column
