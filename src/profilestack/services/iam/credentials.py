"""IAM users' access keys as a credential source for the authenticator."""

from __future__ import annotations

from sqlalchemy import select

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
            tags = tag_map(db, "user", row.id)
        principal = Principal(IAM_USER, row.account_id, row.arn, row.id, row.name, access_key, tags=tags,
                              entity_id=row.id)
        return Credential(access_key, row.secret, principal, active=row.status == "Active")
