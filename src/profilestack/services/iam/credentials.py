"""IAM users' access keys as a credential source for the authenticator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from profilestack.identity.credentials import Credential
from profilestack.identity.principal import IAM_USER, Principal
from profilestack.services.iam.tables import iam_access_keys, iam_users
from profilestack.services.iam.tags import tag_map
from profilestack.store.database import Database


class AccessKeyCredentials:
    def __init__(self, database: Database) -> None:
        self.database = database

    def lookup(self, access_key: str) -> Credential | None:
        if not access_key.startswith("AKIA"):
            return None
        with self.database.transaction(write=False) as db:
            row = db.execute(select(iam_access_keys.c.secret, iam_access_keys.c.status, iam_users)
                             .join(iam_users, iam_users.c.id == iam_access_keys.c.user_id)
                             .where(iam_access_keys.c.access_key_id == access_key)).first()
            if row is None:
                return None
            principal = user_principal(db, row, access_key)
        return Credential(access_key, row.secret, principal, active=row.status == "Active")


def user_principal(db: Connection, user: Row[Any], access_key: str, session_token: bool = False) -> Principal:
    """The IAM user (a row of ``iam_users``) calling with ``access_key``."""
    return Principal(IAM_USER, user.account_id, user.arn, user.id, user.name, access_key,
                     tags=tag_map(db, "user", user.id), entity_id=user.id, session_token=session_token)
